"""The "Sync conflicts" panel: open conflicts to settle, and changes the server rejected for good.

Two tabs. **Conflicts**: the list (`ConflictsModel`) beside the selected record's conflicts
(`ResolveView`); resolving writes `resolve_conflict` commands through the task runner's write lane
(`conflict_work.resolve`: outbox entries, one transaction), announces the change and asks the sync
engine to push. The conflict stays listed as "Resolving…" until the pull brings it back closed.
**Rejected changes**: the rejected log with the server's reason; the agent can copy what they had
written (clipboard) or dismiss an entry.

Everything shown is refreshed from `ctx.hub.changed` (a pulled conflict, an outbox change, an edit
of a record on screen), with short bounded reads on the GUI thread.
"""

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services.conflict_work import (
    RejectedChange,
    Resolution,
    dismiss_rejected,
    open_conflicts,
    record_conflicts,
    rejected_changes,
    resolve,
)
from desktop.services.store import Changed
from desktop.views.conflicts.conflicts_model import (
    CONFLICT_ID_ROLE,
    FIELD,
    MINE,
    RECORD,
    STATE,
    THEIRS,
    ConflictsModel,
    entity_label,
)
from desktop.views.conflicts.rejected_model import CHANGE, WHEN, RejectedModel, change_text, when_text
from desktop.views.conflicts.rejected_model import RECORD as RECORD_COLUMN
from desktop.views.conflicts.resolve_view import ResolveView
from desktop.views.context import ViewContext
from desktop.views.i18n import tr

CONFLICTS_TAB, REJECTED_TAB = range(2)


def _table(parent: QWidget, name: str) -> QTableView:
    view = QTableView(parent)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def copy_text(change: RejectedChange) -> str:
    """What "Copy" puts on the clipboard: a header naming the change and the reason, then the text sent."""
    header = tr("{change} rejected on {when}: {reason}").format(
        change=change_text(change), when=when_text(change.at), reason=change.reason
    )
    return f"{header}\n\n{change.sent_text()}"


class ConflictsPanel(QWidget):
    """Open conflicts with a side-by-side resolve view, and the rejected changes."""

    openCustomer = Signal(str)  # a customer id  # noqa: N815
    countsChanged = Signal(int, int)  # open conflicts, rejected changes  # noqa: N815

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsPanel")
        self.setAccessibleName(tr("Sync conflicts and rejected changes"))
        self._ctx = ctx
        self._counts = (-1, -1)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(tr("Conflicts or rejected changes"))
        self.conflicts_model = ConflictsModel(self)
        self.rejected_model = RejectedModel(self)
        self.tabs.addTab(self._conflicts_tab(), tr("Conflicts"))
        self.tabs.addTab(self._rejected_tab(), tr("Rejected changes"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        ctx.hub.changed.connect(self._on_changed)
        self.reload()

    # ---- building ----------------------------------------------------------------------------------

    def _conflicts_tab(self) -> QWidget:
        page = QWidget(self)
        self.conflicts_view = _table(page, tr("Open conflicts"))
        self.conflicts_view.setModel(self.conflicts_model)
        # the values are compared in the resolve view beside the list; the list names what and where
        self.conflicts_view.setColumnHidden(THEIRS, True)
        self.conflicts_view.setColumnHidden(MINE, True)
        header = self.conflicts_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RECORD, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.ResizeToContents)
        self.conflicts_view.selectionModel().selectionChanged.connect(self._on_conflict_selected)
        self.conflicts_empty = QLabel(tr("No open conflicts: every change has reached the server."), page)
        self.conflicts_empty.setObjectName("muted")
        self.conflicts_empty.setWordWrap(True)
        self.resolve_view = ResolveView(
            page, user_id=self._ctx.user.id if self._ctx.user is not None else None
        )
        self.resolve_view.resolveRequested.connect(self._resolve)
        self.resolve_view.openCustomer.connect(self.openCustomer)
        left = QWidget(page)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.conflicts_empty)
        left_layout.addWidget(self.conflicts_view, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, page)
        self.splitter.setObjectName("conflictsSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.resolve_view)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(page)
        layout.addWidget(self.splitter)
        return page

    def _rejected_tab(self) -> QWidget:
        page = QWidget(self)
        self.rejected_view = _table(page, tr("Rejected changes"))
        self.rejected_view.setModel(self.rejected_model)
        header = self.rejected_view.horizontalHeader()
        for column in (WHEN, RECORD_COLUMN, CHANGE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.rejected_view.selectionModel().selectionChanged.connect(self._on_rejected_selected)
        self.rejected_empty = QLabel(tr("No rejected changes."), page)
        self.rejected_empty.setObjectName("muted")
        self.reason = QLabel(page)
        self.reason.setObjectName("errorMessage")
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sent = QPlainTextEdit(page)
        self.sent.setReadOnly(True)
        self.sent.setAccessibleName(tr("What was sent"))
        self.sent.setPlaceholderText(tr("Choose a rejected change to see what was sent."))
        self.copy_button = QPushButton(tr("Copy text"), page)
        self.copy_button.setAccessibleName(tr("Copy the text of the rejected change"))
        self.copy_button.clicked.connect(self.copy_selected)
        self.dismiss_button = QPushButton(tr("Dismiss"), page)
        self.dismiss_button.setAccessibleName(tr("Remove the rejected change from the list"))
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.rejected_empty)
        layout.addWidget(self.rejected_view, 2)
        layout.addWidget(self.reason)
        sent_title = QLabel(tr("What was sent"), page)
        sent_title.setObjectName("muted")
        layout.addWidget(sent_title)
        layout.addWidget(self.sent, 1)
        layout.addLayout(buttons)
        return page

    # ---- refreshing --------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the open conflicts and the rejected log again (bounded) and keep the selections."""
        selected_conflict = self._selected_conflict_id()
        selected_rejected = self._selected_mutation_id()
        with self._ctx.cache.read() as conn:
            conflicts = open_conflicts(conn)
            rejected = rejected_changes(conn)
        self.conflicts_model.set_conflicts(conflicts)
        self.rejected_model.set_changes(rejected)
        self.conflicts_empty.setVisible(not conflicts)
        self.rejected_empty.setVisible(not rejected)
        self._reselect(self.conflicts_view, self.conflicts_model.row_of(selected_conflict or ""))
        self._reselect(self.rejected_view, self.rejected_model.row_of(selected_rejected or ""))
        self._show_selected_conflict()
        self._show_selected_rejected()
        self.tabs.setTabText(CONFLICTS_TAB, tr("Conflicts ({n})").format(n=len(conflicts)))
        self.tabs.setTabText(REJECTED_TAB, tr("Rejected changes ({n})").format(n=len(rejected)))
        counts = (len(conflicts), len(rejected))
        if counts != self._counts:
            self._counts = counts
            self.countsChanged.emit(*counts)

    def _on_changed(self, changed: Changed) -> None:
        shown = self.conflicts_model.records()
        touches_shown = any(
            (entity, row_id) in shown for entity in changed.entities for row_id in changed.ids(entity)
        )
        if changed.outbox or "conflict" in changed.entities or touches_shown:
            self.reload()

    @staticmethod
    def _reselect(view: QTableView, row: int) -> None:
        model = view.model()
        if row < 0 and model.rowCount() > 0:
            row = 0
        if row >= 0:
            view.selectRow(row)

    # ---- conflicts ---------------------------------------------------------------------------------

    def _selected_conflict_id(self) -> str | None:
        rows = self.conflicts_view.selectionModel().selectedRows()
        return str(rows[0].data(CONFLICT_ID_ROLE)) if rows else None

    def select_conflict(self, conflict_id: str) -> None:
        row = self.conflicts_model.row_of(conflict_id)
        if row >= 0:
            self.conflicts_view.selectRow(row)

    def _on_conflict_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected_conflict()

    def _show_selected_conflict(self) -> None:
        conflict_id = self._selected_conflict_id()
        row = self.conflicts_model.row_of(conflict_id) if conflict_id else -1
        conflict = self.conflicts_model.conflict_at(row)
        if conflict is None:
            self.resolve_view.show_conflicts([])
            return
        with self._ctx.cache.read() as conn:
            same_record = record_conflicts(conn, conflict.record.entity, conflict.record.entity_id)
        self.resolve_view.show_conflicts(same_record)

    def _resolve(self, resolutions: list[Resolution]) -> None:
        self._ctx.tasks.write(
            lambda writer: resolve(writer, resolutions),
            done=self._written,
            failed=lambda exc: self.resolve_view.show_error(str(exc)),
        )

    def _written(self, changed: Changed) -> None:
        self._ctx.hub.publish(changed)
        self._ctx.request_sync()

    # ---- rejected changes --------------------------------------------------------------------------

    def _selected_mutation_id(self) -> str | None:
        change = self._selected_rejected()
        return change.mutation_id if change is not None else None

    def _selected_rejected(self) -> RejectedChange | None:
        rows = self.rejected_view.selectionModel().selectedRows()
        return self.rejected_model.change_at(rows[0].row()) if rows else None

    def _on_rejected_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected_rejected()

    def _show_selected_rejected(self) -> None:
        change = self._selected_rejected()
        self.copy_button.setEnabled(change is not None)
        self.dismiss_button.setEnabled(change is not None)
        if change is None:
            self.reason.clear()
            self.sent.clear()
            return
        self.reason.setText(
            tr("{kind} {id}: the server refused this change: {reason}").format(
                kind=entity_label(change.entity), id=change.entity_id[:8] + "…", reason=change.reason
            )
        )
        self.sent.setPlainText(change.sent_text())

    def copy_selected(self) -> None:
        """Put the selected rejected change's text on the clipboard."""
        change = self._selected_rejected()
        if change is not None:
            QGuiApplication.clipboard().setText(copy_text(change))

    def dismiss_selected(self) -> None:
        change = self._selected_rejected()
        if change is None:
            return
        ids = [change.mutation_id]
        self._ctx.tasks.write(
            lambda writer: dismiss_rejected(writer, ids),
            done=self._ctx.hub.publish,
            failed=lambda exc: self.reason.setText(str(exc)),
        )

    def select_rejected(self, mutation_id: str) -> None:
        row = self.rejected_model.row_of(mutation_id)
        if row >= 0:
            self.rejected_view.selectRow(row)
