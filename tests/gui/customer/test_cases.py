"""Open cases and the case editor: SLA colours at their thresholds (injected clock), only legal status
changes offered, and a note, a status change and an escalation each reaching the outbox."""

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from desktop.services.store import Cache
from desktop.views.context import ViewContext
from desktop.views.customer.cases_model import SLA, SLA_STATE_ROLE, CasesModel
from desktop.views.customer.screen import SLA_TICK_MS, CustomerScreen
from desktop.views.customer.sla import NEAR_DUE
from desktop.views.theme import current_theme
from tests.gui.customer.conftest import SyncRequests
from tests.gui.customer.sample import CASE_NEAR, CASE_OPEN, CUSTOMER, NOW

pytestmark = pytest.mark.gui

NEAR_DUE_AT = NOW + timedelta(minutes=90)  # the sla_due_at of CASE_NEAR


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def outbox(cache: Cache) -> list[tuple[str, str, str]]:
    with cache.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT entity, entity_id, op FROM outbox ORDER BY client_seq"))
        ]


def test_cases_model_passes_the_model_tester(qtmodeltester: ModelTester, cache: Cache) -> None:
    qtmodeltester.check(CasesModel(cache, CUSTOMER, clock=lambda: NOW))


@pytest.mark.parametrize(
    ("before_due", "state"),
    [
        (NEAR_DUE + timedelta(minutes=1), "ok"),
        (NEAR_DUE, "near"),
        (timedelta(minutes=1), "near"),
        (timedelta(0), "breached"),
        (-timedelta(hours=3), "breached"),
    ],
)
def test_sla_colours_at_thresholds(cache: Cache, before_due: timedelta, state: str) -> None:
    clock = Clock(NEAR_DUE_AT - before_due)
    model = CasesModel(cache, CUSTOMER, clock=clock)
    index = model.index(model.row_of(CASE_NEAR), SLA)
    assert index.data(SLA_STATE_ROLE) == state
    background = index.data(0x8)  # Qt.BackgroundRole
    theme = current_theme()
    expected = {"ok": None, "near": QColor(theme.warning), "breached": QColor(theme.danger)}[state]
    assert background == expected
    if state == "breached":
        assert index.data().startswith("overdue")


def test_one_timer_moves_every_countdown(qtbot: QtBot, ctx: ViewContext) -> None:
    clock = Clock(NOW)
    screen = CustomerScreen(ctx, CUSTOMER, clock=clock)
    qtbot.addWidget(screen)
    with qtbot.waitExposed(screen):
        screen.show()
    timers = [t for t in screen.findChildren(QTimer) if t.isActive() and t.interval() == SLA_TICK_MS]
    assert len(timers) == 1
    model = screen.cases_model
    index = model.index(model.row_of(CASE_NEAR), SLA)
    assert index.data(SLA_STATE_ROLE) == "near"
    clock.now = NEAR_DUE_AT + timedelta(minutes=5)
    with qtbot.waitSignal(model.dataChanged):
        timers[0].timeout.emit()
    assert index.data(SLA_STATE_ROLE) == "breached" and index.data() == "overdue 5 min"
    screen.hide()
    assert not timers[0].isActive()


def test_status_box_offers_only_allowed_transitions(qtbot: QtBot, ctx: ViewContext) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    screen.cases_view.select_case(CASE_NEAR)  # pending
    assert screen.case_editor.case_id == CASE_NEAR
    assert screen.case_editor.offered_statuses() == ["pending", "open", "escalated", "resolved"]
    screen.cases_view.select_case(CASE_OPEN)
    assert screen.case_editor.offered_statuses() == ["open", "pending", "escalated", "resolved"]


def test_status_change_and_note_reach_the_outbox(
    qtbot: QtBot, ctx: ViewContext, cache: Cache, sync_requests: SyncRequests
) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    editor = screen.case_editor
    screen.cases_view.select_case(CASE_OPEN)

    qtbot.keyClicks(editor.note_edit, "Customer will send the router back.")
    editor.add_note_button.click()
    assert outbox(cache)[-1][0::2] == ("case_note", "append")
    assert "Customer will send the router back." in editor.notes.toPlainText()
    assert editor.note_edit.toPlainText() == ""

    editor.status_box.setCurrentIndex(editor.status_box.findData("resolved"))
    editor.save_button.click()
    assert outbox(cache)[-1] == ("case", CASE_OPEN, "update")
    assert sync_requests.count == 2
    # the resolved case leaves the open cases; the editor follows the change
    assert screen.cases_model.row_of(CASE_OPEN) == -1
    assert editor.offered_statuses() == ["resolved", "open", "closed"]


def test_escalate_sends_a_command(qtbot: QtBot, ctx: ViewContext, cache: Cache) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    editor = screen.case_editor
    screen.cases_view.select_case(CASE_OPEN)
    assert not editor.escalate_button.isEnabled()
    qtbot.keyClicks(editor.reason_edit, "Third outage this week")
    assert editor.escalate_button.isEnabled()
    editor.escalate_button.click()
    assert outbox(cache) == [("case", CASE_OPEN, "command")]
    assert editor.info.text() == "Escalation sent; waiting for the server."


def test_new_case_and_log_interaction_dialogs(qtbot: QtBot, ctx: ViewContext, cache: Cache) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    dialog = screen.open_new_case()
    dialog.accept()  # no subject: refused with a message
    assert dialog.isVisible() and dialog.error.text() == "Give the case a subject."
    qtbot.keyClicks(dialog.subject_edit, "Wants a second line")
    dialog.accept()
    assert screen.cases_model.rowCount() == 3
    new_id = screen.case_editor.case_id
    assert new_id is not None and outbox(cache)[-1] == ("case", new_id, "create")

    before = screen.timeline.model.interaction_count
    log = screen.open_log_interaction("partner_contact")
    qtbot.keyClicks(log.summary_edit, "Contoso confirmed the install date.")
    log.accept()
    assert log.error.text() == "Name the partner."
    qtbot.keyClicks(log.partner_edit, "Contoso Installations")
    log.case_box.setCurrentIndex(log.case_box.findData(new_id))
    log.accept()
    assert screen.timeline.model.interaction_count == before + 1
    assert screen.timeline.chips["partner"].text().endswith(" 2")
    assert outbox(cache)[-1][0::2] == ("interaction", "append")


def test_the_sla_column_fits_its_bold_badge(qtbot: QtBot, cache: Cache) -> None:
    """The badge text is bold and padded: the column sized to contents must hold all of it."""
    from PySide6.QtGui import QFont, QFontMetrics

    from desktop.views.customer.cases_view import CasesView, SlaDelegate

    model = CasesModel(cache, CUSTOMER, clock=lambda: NEAR_DUE_AT + timedelta(days=3, hours=12))
    view = CasesView(model)
    qtbot.addWidget(view)
    view.resize(420, 200)
    with qtbot.waitExposed(view):
        view.show()
    view.table.resizeColumnsToContents()
    index = model.index(model.row_of(CASE_NEAR), SLA)
    assert index.data() == "overdue 3 d"  # past an hour, only the largest unit
    bold = QFont(view.table.font())
    bold.setBold(True)
    needed = QFontMetrics(bold).horizontalAdvance(index.data()) + 2 * (
        SlaDelegate.INSET + SlaDelegate.PADDING
    )
    assert view.table.columnWidth(SLA) >= needed
    view.hide()
