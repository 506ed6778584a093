"""Every identity of the customer across product lines and systems, each with its key.

The rows' labels are kept and reused when another customer is shown (a label is created only when
a customer has more identities than any shown before in this view): refilling a screen sets text,
it does not create, polish and lay out new widgets.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.services.customer_screen import Identity
from desktop.views.customer.banners import section_title
from desktop.views.i18n import tr


def system_label(system: str) -> str:
    """`partner:northwind` → `Partner portal: Northwind`; known systems by name."""
    known = {
        "web_shop": tr("Web shop"),
        "field_service": tr("Field service"),
        "billing": tr("Billing"),
    }
    if system in known:
        return known[system]
    kind, _, name = system.partition(":")
    if kind == "partner" and name:
        return tr("Partner portal: {name}").format(name=name.replace("_", " ").title())
    if kind == "product" and name:
        return tr("Product line: {name}").format(name=name.replace("_", " ").title())
    return system.replace("_", " ").capitalize()


class IdentitiesView(QWidget):
    """A two-column list: system, key (selectable for copying)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identitiesView")
        self._grid = QGridLayout()
        self._grid.setColumnStretch(1, 1)
        #: every row's (system, key) labels; the first `_shown` are in use, the others hidden
        self._rows: list[tuple[QLabel, QLabel]] = []
        self._shown = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title(tr("Identities"), self))
        layout.addLayout(self._grid)

    def show_identities(self, account_number: str, identities: list[Identity]) -> None:
        entries = [(tr("Account number"), account_number)] if account_number else []
        entries += [(system_label(i.system), i.key) for i in identities]
        if not entries:
            entries = [(tr("No other systems know this customer."), "")]
        while len(self._rows) < len(entries):
            row = len(self._rows)
            system, key = QLabel(self), QLabel(self)
            key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._grid.addWidget(system, row, 0)
            self._grid.addWidget(key, row, 1)
            self._rows.append((system, key))
        for (system, key), (system_text, key_text) in zip(self._rows, entries, strict=False):
            system.setText(system_text)
            key.setText(key_text)
            key.setAccessibleName(f"{system_text}: {key_text}")
        for n, (system, key) in enumerate(self._rows):
            shown = n < len(entries)
            if system.isVisibleTo(self) != shown:
                system.setVisible(shown)
                key.setVisible(shown)
        self._shown = len(entries)

    def entries(self) -> list[tuple[str, str]]:
        return [(s.text(), k.text()) for s, k in self._rows[: self._shown]]
