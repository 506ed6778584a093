"""Every identity of the customer across product lines and systems, each with its key."""

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
        self._rows: list[tuple[QLabel, QLabel]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title(tr("Identities"), self))
        layout.addLayout(self._grid)

    def show_identities(self, account_number: str, identities: list[Identity]) -> None:
        for system, key in self._rows:
            system.deleteLater()
            key.deleteLater()
        self._rows = []
        entries = [(tr("Account number"), account_number)] if account_number else []
        entries += [(system_label(i.system), i.key) for i in identities]
        if not entries:
            entries = [(tr("No other systems know this customer."), "")]
        for row, (system_text, key_text) in enumerate(entries):
            system = QLabel(system_text, self)
            key = QLabel(key_text, self)
            key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            key.setAccessibleName(f"{system_text}: {key_text}")
            self._grid.addWidget(system, row, 0)
            self._grid.addWidget(key, row, 1)
            self._rows.append((system, key))

    def entries(self) -> list[tuple[str, str]]:
        return [(s.text(), k.text()) for s, k in self._rows]
