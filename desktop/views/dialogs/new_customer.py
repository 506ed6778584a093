"""The "New customer" dialog, with duplicate detection before anything is saved.

Name, organisation, phone, email, territory (from the cache's reference data) and language. As the
agent types, a debounced check (`duplicates.find_duplicates`: exact phone and email, similar names
over a bounded set of search candidates; a short bounded read on the GUI thread, as ARCHITECTURE.md
allows) lists the customers this one may be. Save runs the check again: with matches it does not
save but asks, once for what is typed, to "open the existing one instead" (`openExisting`) or to
"create anyway". Saving writes the customer and its contact points as `create` local edits on the
task runner's write lane, announces the change, asks for a sync and emits `created`.
"""

from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.duplicates import (
    LANGUAGES,
    DuplicateMatch,
    NewCustomer,
    create_customer,
    find_duplicates,
    normalize_email,
    territories,
)
from desktop.services.store import Changed, new_record_id
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.message_label import error_label
from wire.phones import normalize_phone

#: typing pauses this long before the duplicate check runs
DEBOUNCE_MS: Final = 250
#: the customer id of a match
CUSTOMER_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def reasons_text(match: DuplicateMatch) -> str:
    labels = {"phone": tr("same phone"), "email": tr("same email"), "name": tr("similar name")}
    return ", ".join(labels[r] for r in match.reasons)


def language_label(code: str) -> str:
    """`German (de)`: the language's name and its code."""
    name = QLocale.languageToString(QLocale(code).language())
    return f"{name} ({code})" if name else code


class DuplicatesModel(QAbstractListModel):
    """Possible duplicates: the name and organisation, and why each one matched."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._matches: list[DuplicateMatch] = []

    def set_matches(self, matches: list[DuplicateMatch]) -> None:
        self.beginResetModel()
        self._matches = list(matches)
        self.endResetModel()

    def matches(self) -> list[DuplicateMatch]:
        return list(self._matches)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._matches)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._matches):
            return None
        match = self._matches[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            name = match.display_name or tr("(no name)")
            if match.organisation:
                name = f"{name} · {match.organisation}"
            return f"{name}\n{reasons_text(match)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return reasons_text(match)
        if role == CUSTOMER_ID_ROLE:
            return match.customer_id
        return None


class NewCustomerDialog(QDialog):
    """Gathers a new customer, warns about possible duplicates, and creates it on Save."""

    created = Signal(str)  # the new customer's id
    openExisting = Signal(str)  # the id of the existing customer chosen instead  # noqa: N815

    def __init__(
        self, ctx: ViewContext, parent: QWidget | None = None, *, phone: str = "", default_region: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("newCustomerDialog")
        self.setWindowTitle(tr("New customer"))
        self._ctx = ctx
        self._default_region = default_region
        #: the inputs the agent has seen the duplicate warning for (then Save creates anyway)
        self._acknowledged: tuple[str, ...] | None = None
        self._saving = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.check_duplicates)
        self._build_fields(phone)
        self._build_warning()
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName(tr("Save the new customer"))
        # wide enough for "Create anyway" from the start: the button never jumps or clips its text
        self.save_button.setText(tr("Create anyway"))
        self.save_button.setMinimumWidth(self.save_button.sizeHint().width())
        self.save_button.setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(tr("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, 460)
        if phone:
            self.check_duplicates()

    # ---- building ----------------------------------------------------------------------------------

    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        line = QLineEdit(self)
        line.setAccessibleName(name)
        line.setPlaceholderText(placeholder)
        line.textEdited.connect(self._on_edited)
        return line

    def _build_fields(self, phone: str) -> None:
        self.name_edit = self._line(tr("Name"), tr("Given and family name"))
        self.organisation_edit = self._line(tr("Organisation"), tr("Optional"))
        self.phone_edit = self._line(tr("Phone"), tr("In any format, e.g. 07400 123456"))
        self.phone_edit.setText(phone)
        self.email_edit = self._line(tr("Email"), tr("Optional"))
        self.territory_box = QComboBox(self)
        self.territory_box.setAccessibleName(tr("Territory"))
        with self._ctx.cache.read() as conn:
            found = territories(conn)
        for territory in found:
            self.territory_box.addItem(territory.name or territory.id, (territory.id, territory.country))
        own = self._ctx.user.territory_ids if self._ctx.user is not None else []
        for index in range(self.territory_box.count()):
            if self.territory_box.itemData(index)[0] in own:
                self.territory_box.setCurrentIndex(index)
                break
        self.territory_box.currentIndexChanged.connect(self._on_edited)
        self.language_box = QComboBox(self)
        self.language_box.setAccessibleName(tr("Language"))
        for code in LANGUAGES:
            self.language_box.addItem(language_label(code), code)
        self._form = QFormLayout()
        self._form.addRow(tr("Name"), self.name_edit)
        self._form.addRow(tr("Organisation"), self.organisation_edit)
        self._form.addRow(tr("Phone"), self.phone_edit)
        self._form.addRow(tr("Email"), self.email_edit)
        self._form.addRow(tr("Territory"), self.territory_box)
        self._form.addRow(tr("Language"), self.language_box)

    def _build_warning(self) -> None:
        self.warning = QFrame(self)
        self.warning.setObjectName("duplicateWarning")
        self.warning_title = QLabel(self.warning)
        self.warning_title.setObjectName("notice")
        self.warning_title.setWordWrap(True)
        self.matches_model = DuplicatesModel(self)
        self.matches_view = QListView(self.warning)
        self.matches_view.setAccessibleName(tr("Customers who may be the same"))
        self.matches_view.setModel(self.matches_model)
        self.matches_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matches_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matches_view.setMaximumHeight(150)
        self.matches_view.doubleClicked.connect(lambda _index: self.open_existing())
        self.open_button = QPushButton(tr("Open the existing one instead"), self.warning)
        self.open_button.setAccessibleName(tr("Open the selected existing customer instead"))
        self.open_button.clicked.connect(self.open_existing)
        layout = QVBoxLayout(self.warning)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warning_title)
        layout.addWidget(self.matches_view)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        self.warning.hide()

    # ---- inputs ------------------------------------------------------------------------------------

    def _region(self) -> str:
        data = self.territory_box.currentData()
        country = str(data[1]) if data else ""
        return country or self._default_region

    def _inputs(self) -> tuple[str, ...]:
        return (
            self.name_edit.text().strip(),
            self.organisation_edit.text().strip(),
            self.phone_edit.text().strip(),
            self.email_edit.text().strip(),
            str(self.territory_box.currentData()),
        )

    def _on_edited(self, *_args: object) -> None:
        self.error.hide()
        if self._acknowledged is not None and self._acknowledged != self._inputs():
            self._acknowledged = None
            self.save_button.setText(tr("Save"))
        self._debounce.start()

    # ---- duplicates --------------------------------------------------------------------------------

    def check_duplicates(self) -> list[DuplicateMatch]:
        """Look for possible duplicates of what is typed now and show them (the debounce's work)."""
        self._debounce.stop()
        phone = normalize_phone(self.phone_edit.text(), self._region())
        email = normalize_email(self.email_edit.text())
        with self._ctx.cache.read() as conn:
            matches = find_duplicates(conn, self.name_edit.text(), phone=phone, email=email)
        self._show_matches(matches)
        return matches

    def _show_matches(self, matches: list[DuplicateMatch]) -> None:
        chosen = self.selected_match()
        self.matches_model.set_matches(matches)
        self.warning.setVisible(bool(matches))
        if not matches:
            return
        count = (
            tr("One customer in the cache may be the same person.")
            if len(matches) == 1
            else tr("{n} customers in the cache may be the same person.").format(n=len(matches))
        )
        self.warning_title.setText(
            count + " " + tr("Open the existing one instead, or check the details and create anyway.")
        )
        ids = [m.customer_id for m in matches]
        row = ids.index(chosen) if chosen in ids else 0
        self.matches_view.setCurrentIndex(self.matches_model.index(row, 0))

    def selected_match(self) -> str | None:
        index = self.matches_view.currentIndex()
        return str(index.data(CUSTOMER_ID_ROLE)) if index.isValid() else None

    def open_existing(self) -> None:
        """Open the selected existing customer instead of creating a new one."""
        customer_id = self.selected_match()
        if customer_id is None:
            return
        self.openExisting.emit(customer_id)
        self.reject()

    # ---- saving ------------------------------------------------------------------------------------

    def _fail(self, message: str, focus: QWidget | None = None) -> None:
        self.error.setText(message)
        self.error.show()
        if focus is not None:
            focus.setFocus()

    def _gathered(self) -> NewCustomer | None:
        name = self.name_edit.text().strip()
        if not name:
            self._fail(tr("Give the customer a name."), self.name_edit)
            return None
        phone = None
        if self.phone_edit.text().strip():
            phone = normalize_phone(self.phone_edit.text(), self._region())
            if phone is None:
                self._fail(tr("That is not a valid phone number."), self.phone_edit)
                return None
        email = None
        if self.email_edit.text().strip():
            email = normalize_email(self.email_edit.text())
            if email is None:
                self._fail(tr("That is not a valid email address."), self.email_edit)
                return None
        territory = self.territory_box.currentData()
        if not territory:
            self._fail(tr("There is no territory to put the customer in: sync the reference data first."))
            return None
        return NewCustomer(
            display_name=name,
            territory_id=str(territory[0]),
            organisation=self.organisation_edit.text().strip() or None,
            phone=phone,
            email=email,
            language=str(self.language_box.currentData()),
            country=str(territory[1]),
        )

    def save(self) -> None:
        """Check for duplicates once more; with none (or once the agent has seen them) create."""
        if self._saving:
            return
        new = self._gathered()
        if new is None:
            return
        matches = self.check_duplicates()
        if matches and self._acknowledged != self._inputs():
            self._acknowledged = self._inputs()
            self.save_button.setText(tr("Create anyway"))
            self._fail(tr("Check the possible duplicates first: open the existing one, or create anyway."))
            return
        customer_id = new_record_id()
        self._saving = True
        self.save_button.setEnabled(False)
        self._ctx.tasks.write(
            lambda writer: create_customer(writer, customer_id, new),
            done=lambda changed: self._created(customer_id, changed),
            failed=self._save_failed,
        )

    def done(self, result: int) -> None:
        """Closing stops a pending duplicate check (no timer outlives the dialog's use)."""
        self._debounce.stop()
        super().done(result)

    def _created(self, customer_id: str, changed: Changed) -> None:
        self._ctx.hub.publish(changed)
        self._ctx.request_sync()
        self.created.emit(customer_id)
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self._fail(tr("The customer was not saved: {reason}").format(reason=str(error)))
