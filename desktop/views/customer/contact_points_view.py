"""Contact points: phones formatted for reading, emails and handles, partly masked until revealed.

Revealing one shows it in full for as long as the screen is open and is audited
(`customer_screen.record_reveal`: the `liaison.audit` log, with user, customer, contact point and
time; the protocol has no audit endpoint a client could send it to).

A row's widgets (kind, value, Reveal) are kept and reused for the next customer shown; only a
customer with more contact points than any before in this view adds widgets.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import ContactPoint
from desktop.services.customer_screen import masked, masked_email, readable_phone, record_reveal
from desktop.views.customer.banners import mute, section_title
from desktop.views.i18n import tr


def shown_value(point: ContactPoint, country: str, revealed: bool) -> str:
    """How a contact point is shown: phones readable (national in the customer's country), masked
    but for the last digits (and the country code) until revealed; emails with the first letter."""
    if point.kind == "phone":
        readable = readable_phone(point.value, country)
        if revealed:
            return readable
        if readable.startswith("+") and " " in readable:
            code, _, rest = readable.partition(" ")
            return f"{code} {masked(rest)}"
        return masked(readable)
    if revealed:
        return point.value
    return masked_email(point.value) if point.kind == "email" else masked(point.value, visible=2)


def kind_label(point: ContactPoint) -> str:
    kinds = {"phone": tr("Phone"), "email": tr("Email"), "handle": tr("Handle")}
    text = kinds.get(point.kind, point.kind)
    if point.label:
        text = f"{text} ({point.label})"
    marks = []
    if point.is_primary:
        marks.append(tr("primary"))
    if point.verified:
        marks.append(tr("verified"))
    return f"{text} · {', '.join(marks)}" if marks else text


class ContactPointsView(QWidget):
    """Per contact point: its kind on one line, the (masked) value and a Reveal button below."""

    #: a contact point id, after its reveal was audited
    revealed = Signal(str)

    def __init__(self, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactPointsView")
        self._user = user
        self._customer_id = ""
        self._country = ""
        self._points: list[ContactPoint] = []
        self._revealed: set[str] = set()
        #: every row's (kind, value, Reveal) widgets; the first `len(_points)` are in use
        self._rows: list[tuple[QLabel, QLabel, QPushButton]] = []
        self.values: dict[str, QLabel] = {}
        self.reveal_buttons: dict[str, QPushButton] = {}
        self._grid = QGridLayout()
        self._grid.setColumnStretch(0, 1)
        self._grid.setVerticalSpacing(2)
        self._empty = QLabel(tr("No phone, email or handle on file."), self)
        self._grid.addWidget(self._empty, 0, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title(tr("Contact points"), self))
        layout.addLayout(self._grid)

    def point_ids(self) -> set[str]:
        return {p.id for p in self._points}

    def _add_row(self) -> None:
        n = len(self._rows)
        kind = mute(QLabel(self))
        value = QLabel(self)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton(tr("Reveal"), self)
        button.clicked.connect(lambda _=False, row=n: self._reveal_row(row))
        self._grid.addWidget(kind, 2 * n + 1, 0, 1, 2)
        self._grid.addWidget(value, 2 * n + 2, 0)
        self._grid.addWidget(button, 2 * n + 2, 1)
        self._rows.append((kind, value, button))

    def show_points(self, customer_id: str, country: str, points: list[ContactPoint]) -> None:
        if customer_id != self._customer_id:
            self._revealed.clear()
        self._customer_id, self._country, self._points = customer_id, country, points
        while len(self._rows) < len(points):
            self._add_row()
        self.values, self.reveal_buttons = {}, {}
        for (kind, value, button), point in zip(self._rows, points, strict=False):
            kind.setText(kind_label(point))
            button.setAccessibleName(tr("Reveal {kind}").format(kind=kind_label(point)))
            self.values[point.id] = value
            self.reveal_buttons[point.id] = button
            self._render(point)
        for n, row in enumerate(self._rows):
            shown = n < len(points)
            if row[0].isVisibleTo(self) != shown:
                for widget in row:
                    widget.setVisible(shown)
        if self._empty.isVisibleTo(self) != (not points):
            self._empty.setVisible(not points)

    def _reveal_row(self, row: int) -> None:
        if row < len(self._points):
            self.reveal(self._points[row].id)

    def _render(self, point: ContactPoint) -> None:
        shown = point.id in self._revealed
        text = shown_value(point, self._country, shown)
        label = self.values[point.id]
        label.setText(text)
        label.setAccessibleName(f"{kind_label(point)}: {text}")
        self.reveal_buttons[point.id].setEnabled(not shown)

    def reveal(self, point_id: str) -> None:
        """Show a contact point in full; audited once per screen."""
        point = next((p for p in self._points if p.id == point_id), None)
        if point is None or point_id in self._revealed:
            return
        record_reveal(self._user, self._customer_id, point_id, point.kind)
        self._revealed.add(point_id)
        self._render(point)
        self.revealed.emit(point_id)
