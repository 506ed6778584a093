"""Every keyboard shortcut of the window, declared once, and the help overlay (F1) that lists them.

`SHORTCUTS` is the registry: a name, the keys and what it does. `make_actions` turns it into
QActions on a window (window-wide shortcuts, in the menu-less tool bar's world); the overlay reads
the same registry, so the help can never disagree with the keys.
"""

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.views.i18n import tr
from desktop.views.icons import icon


@dataclass(frozen=True)
class Shortcut:
    """One shortcut: `name` (the action's key), its key sequences (the first is shown), its label."""

    name: str
    keys: tuple[str, ...]
    label: str
    icon: str | None = None


#: the labels are translated when shown (`tr` at use, the source text here)
SHORTCUTS: Final[tuple[Shortcut, ...]] = (
    Shortcut("search", ("Ctrl+K",), "Search customers", "search"),
    Shortcut("new_customer", ("Ctrl+N",), "New customer", "customer"),
    Shortcut("next_tab", ("Ctrl+PgDown", "Ctrl+Tab"), "Next customer tab", "next"),
    Shortcut("previous_tab", ("Ctrl+PgUp", "Ctrl+Shift+Tab"), "Previous customer tab", "previous"),
    Shortcut("close_tab", ("Ctrl+W",), "Close the customer tab", "close"),
    Shortcut("new_note", ("Ctrl+Shift+N",), "New note on the current customer", "note"),
    Shortcut("new_case", ("Ctrl+Shift+C",), "New case for the current customer", "case"),
    Shortcut(
        "log_interaction", ("Ctrl+L",), "Log an interaction (call, visit, partner contact)", "interaction"
    ),
    Shortcut("conflicts", ("Ctrl+Shift+R",), "Show or hide sync conflicts and refused changes", "conflict"),
    Shortcut("supervisor", ("Ctrl+Shift+P",), "Show or hide the queue panel and agent board (supervisors)"),
    Shortcut("toggle_theme", ("Ctrl+Shift+L",), "Switch between the light and dark theme", "theme"),
    Shortcut("help", ("F1",), "Show or hide the keyboard shortcuts", "help"),
    Shortcut("about", (), "About Liaison Desk", "about"),
    Shortcut("quit", ("Ctrl+Q",), "Quit"),
)


def shortcut(name: str) -> Shortcut:
    for item in SHORTCUTS:
        if item.name == name:
            return item
    raise KeyError(name)


def make_actions(parent: QWidget) -> dict[str, QAction]:
    """One QAction per shortcut, added to `parent` so its keys work anywhere in the window."""
    actions: dict[str, QAction] = {}
    for item in SHORTCUTS:
        action = QAction(tr(item.label), parent)
        action.setObjectName(f"action_{item.name}")
        if item.icon is not None:
            action.setIcon(icon(item.icon))
        if item.keys:
            action.setShortcuts([QKeySequence(k) for k in item.keys])
            action.setToolTip(f"{tr(item.label)} ({_keys_text(item)})")
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        parent.addAction(action)
        actions[item.name] = action
    return actions


def keys_text(name: str) -> str:
    """The keys of the shortcut `name` as the platform writes them (for tool tips and hints)."""
    return _keys_text(shortcut(name))


def _keys_text(item: Shortcut) -> str:
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in item.keys)


class HelpOverlay(QFrame):
    """The list of shortcuts, drawn over the window's centre; Esc, F1 or the button hides it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setAccessibleName(tr("Keyboard shortcuts"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        heading = QLabel(tr("Keyboard shortcuts"), self)
        heading.setObjectName("placeholderTitle")
        heading.setAccessibleName(tr("Keyboard shortcuts"))
        layout.addWidget(heading)
        grid = QGridLayout()
        self.rows: list[tuple[str, str]] = []
        for row, item in enumerate(s for s in SHORTCUTS if s.keys):
            keys = QLabel(_keys_text(item), self)
            keys.setAccessibleName(tr("Keys for: {what}").format(what=tr(item.label)))
            label = QLabel(tr(item.label), self)
            label.setAccessibleName(tr(item.label))
            grid.addWidget(keys, row, 0)
            grid.addWidget(label, row, 1)
            self.rows.append((keys.text(), label.text()))
        layout.addLayout(grid)
        close = QPushButton(tr("Close"), self)
        close.setAccessibleName(tr("Close the keyboard shortcuts"))
        close.clicked.connect(self.hide)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
        self.hide()
        parent.installEventFilter(self)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
            return
        self.adjustSize()
        self._centre()
        self.show()
        self.raise_()
        self.setFocus()

    def _centre(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.move(
                max(0, (parent.width() - self.width()) // 2), max(0, (parent.height() - self.height()) // 2)
            )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F1):
            self.hide()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._centre()
        return False
