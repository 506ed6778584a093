"""One record's open conflicts, every field on a row with base, theirs and mine side by side.

Per field the agent picks theirs (keep the server's value), mine (send their value again) or types
a value of their own; the choices a conflict offers come from `conflict_work.choices` (a deleted
record can be restored, a possible duplicate only dismissed or its twin opened). "Resolve" is
enabled once every field has a choice and emits `resolveRequested` with the commands to send; the
panel writes them. Values are shown as plain text (never rich text: they come from other people).
"""

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.services.conflict_work import (
    Choice,
    ConflictWorkError,
    EditSpec,
    OpenConflict,
    Resolution,
    choices,
    edit_spec,
    parse_edit,
    resolution,
)
from desktop.views.conflicts.conflicts_model import (
    entity_label,
    field_label,
    format_value,
    mine_text,
    theirs_text,
)
from desktop.views.i18n import tr
from desktop.views.message_label import error_label

FIELD_COL, BASE_COL, THEIRS_COL, MINE_COL, OWN_COL = range(5)


def _value_label(text: str, parent: QWidget, *, muted: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setMinimumWidth(80)
    if muted:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _choice_label(choice: Choice, conflict: OpenConflict, mine: bool) -> str:
    if conflict.kind == "deleted_remotely":
        return tr("Leave it deleted") if choice == "theirs" else tr("Restore it")
    if conflict.kind == "stale_delete":
        return tr("Keep the record")
    if conflict.kind == "possible_duplicate":
        return tr("Keep both: not the same customer")
    if choice == "mine":
        return tr("Use mine") if mine else tr("Use their edit")
    return {"theirs": tr("Keep the server's"), "edit": tr("Use this value")}[choice]


@dataclass
class _Row:
    """The widgets of one conflict's row."""

    conflict: OpenConflict
    group: QButtonGroup
    radios: dict[Choice, QRadioButton] = field(default_factory=dict)
    spec: EditSpec = field(default_factory=lambda: EditSpec("none"))
    line: QLineEdit | None = None
    combo: QComboBox | None = None

    def chosen(self) -> Choice | None:
        return next((c for c, r in self.radios.items() if r.isChecked()), None)

    def edited(self) -> Any:
        if self.combo is not None:
            return parse_edit(self.spec, str(self.combo.currentData()))
        text = self.line.text() if self.line is not None else ""
        return parse_edit(self.spec, text)


class ResolveView(QWidget):
    """The conflicts of one record and the choice for each; emits the resolutions to send."""

    resolveRequested = Signal(object)  # list[conflict_work.Resolution]  # noqa: N815
    openCustomer = Signal(str)  # a customer id  # noqa: N815

    def __init__(self, parent: QWidget | None = None, *, user_id: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resolveView")
        #: the signed-in user: "mine" is only mine when they made the edit that lost
        self._user_id = user_id
        self._rows: list[_Row] = []
        self._shown: list[OpenConflict] | None = None
        self._customer_id: str | None = None
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.hint = QLabel(tr("Pick, for every field, the value the record should keep."), self)
        self.hint.setWordWrap(True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.open_button = QPushButton(tr("Open customer"), self)
        self.open_button.setAccessibleName(tr("Open the customer of this record"))
        self.open_button.clicked.connect(self._open_record_customer)
        self.resolve_button = QPushButton(tr("Resolve"), self)
        self.resolve_button.setAccessibleName(tr("Resolve the conflicts of this record"))
        self.resolve_button.setDefault(True)
        self.resolve_button.clicked.connect(self._resolve)
        self.error = error_label(self)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        # values wrap; a sideways scroll bar would only ever hide the last column
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._grid_host = QWidget(self._scroll)
        self._grid = QGridLayout(self._grid_host)
        self._scroll.setWidget(self._grid_host)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.show_conflicts([])

    # ---- what is shown ---------------------------------------------------------------------------

    def conflict_ids(self) -> list[str]:
        return [r.conflict.conflict_id for r in self._rows]

    def show_conflicts(self, conflicts: list[OpenConflict]) -> None:
        """Show one record's conflicts (all of the same record), or an empty view for none.

        The same conflicts again (a refresh that changed nothing here) keep the agent's picks."""
        if conflicts == self._shown:
            return
        self._shown = list(conflicts)
        self._new_grid()
        self.error.hide()
        if not conflicts:
            self._customer_id = None
            self.title.setText(tr("No conflict selected"))
            self.hint.setText(tr("Choose a conflict in the list to compare the values."))
            self.open_button.hide()
            self.resolve_button.hide()
            self._place_grid()
            return
        record = conflicts[0].record
        self._customer_id = record.customer_id
        name = record.title or tr("{id}… (not in the cache)").format(id=record.entity_id[:8])
        self.title.setText(f"{entity_label(record.entity)} · {name}")
        self.hint.setText(tr("Pick, for every field, the value the record should keep."))
        self.open_button.setVisible(record.customer_id is not None)
        self.resolve_button.show()
        others = sorted({c.editor_name or tr("a colleague") for c in conflicts if not self._is_mine(c)})
        mine_heading = (
            tr("Mine") if not others else tr("Not applied: {names}").format(names=", ".join(others))
        )
        headings = [tr("Field"), tr("Base"), tr("Theirs (server)"), mine_heading, tr("Your own value")]
        for column, text in enumerate(headings):
            heading = QLabel(text, self._grid_host)
            heading.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self._grid.addWidget(heading, 0, column)
        for number, conflict in enumerate(conflicts, start=1):
            self._rows.append(self._add_row(number, conflict))
        self._grid.setRowStretch(len(conflicts) + 1, 1)
        for column in (BASE_COL, THEIRS_COL, MINE_COL, OWN_COL):
            self._grid.setColumnStretch(column, 1)
        self._place_grid()
        self._update_resolve_button()

    def _is_mine(self, conflict: OpenConflict) -> bool:
        return self._user_id is None or conflict.editor_id in (None, self._user_id)

    def choose(self, conflict_id: str, choice: Choice, text: str | None = None) -> None:
        """Pick `choice` for a conflict (and type `text` as the own value): what a click does."""
        row = next(r for r in self._rows if r.conflict.conflict_id == conflict_id)
        if text is not None and row.line is not None:
            row.line.setText(text)
        if text is not None and row.combo is not None:
            row.combo.setCurrentIndex(row.combo.findData(text))
        row.radios[choice].setChecked(True)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # ---- building ----------------------------------------------------------------------------------

    def _new_grid(self) -> None:
        """Start a fresh grid on a new host widget (the old one goes when the new one is placed)."""
        self._rows = []
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setHorizontalSpacing(16)
        self._grid.setVerticalSpacing(10)

    def _place_grid(self) -> None:
        """Swap the built grid into the scroll area: every new cell shows at once, none half-built."""
        old = self._scroll.takeWidget()
        self._scroll.setWidget(self._grid_host)
        if old is not None and old is not self._grid_host:
            old.deleteLater()

    def _add_row(self, number: int, conflict: OpenConflict) -> _Row:
        host = self._grid_host
        group = QButtonGroup(host)
        group.buttonToggled.connect(self._on_toggled)
        row = _Row(conflict, group)
        name = field_label(conflict.field)
        field_name = QLabel(name, host)
        field_name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._grid.addWidget(field_name, number, FIELD_COL)
        base = format_value(conflict.base) if conflict.kind == "field" else "—"
        self._grid.addWidget(_value_label(base, host, muted=True), number, BASE_COL)
        offered = choices(conflict)
        self._grid.addWidget(self._cell(row, "theirs", theirs_text(conflict), offered), number, THEIRS_COL)
        if conflict.kind == "possible_duplicate":
            self._grid.addWidget(self._twin_cell(conflict), number, MINE_COL)
        else:
            self._grid.addWidget(self._cell(row, "mine", mine_text(conflict), offered), number, MINE_COL)
        if "edit" in offered:
            self._grid.addWidget(self._own_cell(row), number, OWN_COL)
        if conflict.resolving:
            waiting = QLabel(tr("Resolving… (waiting for the server)"), host)
            waiting.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self._grid.addWidget(waiting, number, OWN_COL)
            for radio in row.radios.values():
                radio.setEnabled(False)
            if row.line is not None:
                row.line.setEnabled(False)
        return row

    def _cell(self, row: _Row, choice: Choice, text: str, offered: tuple[Choice, ...]) -> QWidget:
        cell = QWidget(self._grid_host)
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        if choice in offered:
            label = _choice_label(choice, row.conflict, self._is_mine(row.conflict))
            radio = QRadioButton(label, cell)
            radio.setAccessibleName(
                tr("{choice} for {field}").format(choice=label, field=field_label(row.conflict.field))
            )
            row.group.addButton(radio)
            row.radios[choice] = radio
            box.addWidget(radio)
        box.addWidget(_value_label(text, cell))
        return cell

    def _twin_cell(self, conflict: OpenConflict) -> QWidget:
        cell = QWidget(self._grid_host)
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        twin = QPushButton(tr("Open the other customer"), cell)
        twin.setAccessibleName(tr("Open the customer who has the same contact point"))
        other = str(conflict.theirs or "")
        twin.setEnabled(bool(other))
        twin.clicked.connect(lambda: self.openCustomer.emit(other))
        box.addWidget(twin)
        box.addWidget(_value_label(format_value(conflict.mine), cell))
        return cell

    def _own_cell(self, row: _Row) -> QWidget:
        cell = QWidget(self._grid_host)
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        radio = QRadioButton(_choice_label("edit", row.conflict, True), cell)
        radio.setAccessibleName(
            tr("Use my own value for {field}").format(field=field_label(row.conflict.field))
        )
        row.group.addButton(radio)
        row.radios["edit"] = radio
        box.addWidget(radio)
        row.spec = edit_spec(row.conflict.record.entity, row.conflict.field)
        if row.spec.kind == "choice":
            combo = QComboBox(cell)
            combo.setAccessibleName(tr("Own value for {field}").format(field=field_label(row.conflict.field)))
            for value in row.spec.choices:
                combo.addItem(value.replace("_", " ").capitalize(), value)
            start = combo.findData(row.conflict.mine)
            combo.setCurrentIndex(max(start, 0))
            combo.activated.connect(lambda _n: radio.setChecked(True))
            combo.setMinimumWidth(100)
            row.combo = combo
            box.addWidget(combo)
        else:
            line = QLineEdit(cell)
            line.setAccessibleName(tr("Own value for {field}").format(field=field_label(row.conflict.field)))
            mine = row.conflict.mine
            line.setText("" if mine is None else str(mine))
            line.setCursorPosition(0)
            line.setMinimumWidth(100)
            line.textEdited.connect(lambda _t: radio.setChecked(True))
            row.line = line
            box.addWidget(line)
        return cell

    # ---- acting ------------------------------------------------------------------------------------

    def _on_toggled(self, _button: QAbstractButton, _checked: bool) -> None:
        self.error.hide()
        self._update_resolve_button()

    def _update_resolve_button(self) -> None:
        waiting = [r for r in self._rows if not r.conflict.resolving]
        self.resolve_button.setEnabled(bool(waiting) and all(r.chosen() is not None for r in waiting))

    def _open_record_customer(self) -> None:
        if self._customer_id is not None:
            self.openCustomer.emit(self._customer_id)

    def _resolve(self) -> None:
        resolutions: list[Resolution] = []
        for row in self._rows:
            choice = row.chosen()
            if row.conflict.resolving or choice is None:
                continue
            try:
                edited = row.edited() if choice == "edit" else None
                resolutions.append(resolution(row.conflict, choice, edited))
            except ConflictWorkError as exc:
                self.show_error(f"{field_label(row.conflict.field)}: {exc}")
                return
        if resolutions:
            self.resolveRequested.emit(resolutions)
