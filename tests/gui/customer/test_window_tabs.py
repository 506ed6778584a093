"""The main window's tabs across a start whose cache opens its engines after the first paint.

`restore_ui(tabs=False)` restores the window's geometry now and leaves the last session's tabs for
`restore_tabs()` (desktop/app.py calls it once the cache's engines are open): a window closed before
that must not save its empty tab bar over them, and restoring twice must not open them twice.
"""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop.views.context import ViewContext
from desktop.views.main_window import MainWindow
from desktop.views.tabs import OPEN_KEY
from tests.gui.customer.sample import CUSTOMER, DNC_CUSTOMER

pytestmark = pytest.mark.gui


def _saved(settings: QSettings) -> list[str]:
    value = settings.value(OPEN_KEY, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def test_tabs_still_to_restore_are_not_saved_over(qtbot: QtBot, tmp_path: Path, ctx: ViewContext) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    settings.setValue(OPEN_KEY, [CUSTOMER, DNC_CUSTOMER])
    window = MainWindow("http://127.0.0.1:1", "agent", ctx=ctx, settings=settings)
    qtbot.addWidget(window)
    window.restore_ui(tabs=False)
    assert window.tabs is not None and window.tabs.count() == 0
    window.save_ui()  # closed before the cache's engines were open
    assert _saved(settings) == [CUSTOMER, DNC_CUSTOMER]

    window.restore_tabs()
    window.restore_tabs()  # once only
    assert window.tabs.customer_ids() == [CUSTOMER, DNC_CUSTOMER]
    window.tabs.close_tab(0)
    window.save_ui()  # restored: what the user has now is saved
    assert _saved(settings) == [DNC_CUSTOMER]
