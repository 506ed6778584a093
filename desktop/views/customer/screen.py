"""The unified customer screen: everything about one customer in one tab.

Left: the profile card, identities, contact points and the recommended-offers slot. Middle: the
timeline. Right: "log interaction" and "new case", the open cases with SLA countdowns and the case
editor. The screen reads the cache on the GUI thread with short bounded reads, writes through the
task runner, and refreshes a part only when `ChangeHub.changed` names a row that part shows (or a
new row that belongs to this customer). One `QTimer` per screen moves the SLA countdowns while the screen is visible.

A screen is built once and refilled: `show_customer(id)` loads another customer into the same
widgets (labels set, models reset, the rows of identities and contact points reused), which costs
the cache reads and a few `setText` calls instead of creating and style-polishing some hundred
widgets. `CustomerTabs` keeps a spare screen, built while idle, for the next pop. A screen built
without a customer (`customer_id` None) shows nothing and ignores `ChangeHub.changed` until
`show_customer`. Every part is created with its final parent (the splitter, the scroll area's
viewport…), so no widget is re-parented, which would make Qt re-resolve the style of its subtree.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.services import case_work
from desktop.services.customer_screen import (
    contact_points,
    identities,
    open_cases,
    owned_by,
    profile,
)
from desktop.services.store import Changed, Writer
from desktop.services.store.errors import LocalEditError
from desktop.views.context import ViewContext
from desktop.views.customer.case_editor import CaseEditor
from desktop.views.customer.cases_model import CasesModel, utc_now
from desktop.views.customer.cases_view import CasesView
from desktop.views.customer.contact_points_view import ContactPointsView
from desktop.views.customer.identities_view import IdentitiesView
from desktop.views.customer.offers_slot import OffersSlot
from desktop.views.customer.profile_card import ProfileCard
from desktop.views.customer.timeline_view import TimelineView
from desktop.views.dialogs.log_interaction import LogInteractionDialog
from desktop.views.dialogs.new_case import NewCaseDialog
from desktop.views.i18n import tr

#: how often the SLA countdowns move (they show minutes)
SLA_TICK_MS: Final = 30_000
SPLITTER_KEY: Final = "customerScreen/splitter"


class CustomerScreen(QWidget):
    """One customer: profile, identities, contact points, timeline, open cases, case editor, offers."""

    titleChanged = Signal(str)  # noqa: N815 - the shell's contract (desktop/views/tabs.py)
    #: a message for the status bar (an edit that was refused or failed)
    problem = Signal(str)

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: str | None = None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customerScreen")
        self._ctx = ctx
        self._customer_id: str | None = None
        self._clock = clock
        self._title = ""
        self._country = ""
        self._account = ""
        self._dialog: LogInteractionDialog | NewCaseDialog | None = None

        # the containers first, so that every part is created inside its final parent
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("customerSplitter")
        self.splitter.setChildrenCollapsible(False)
        self._scroll = QScrollArea(self.splitter)
        left = QWidget(self._scroll.viewport())
        middle = QWidget(self.splitter)
        right = QWidget(self.splitter)
        cases_split = QSplitter(Qt.Orientation.Vertical, right)
        cases_split.setObjectName("casesSplitter")
        cases_split.setChildrenCollapsible(False)

        user = ctx.user.username if ctx.user is not None else tr("unknown user")
        self.profile_card = ProfileCard(left)
        self.identities_view = IdentitiesView(left)
        self.contact_points_view = ContactPointsView(user, left)
        self.offers_slot = OffersSlot(left, ctx=ctx, clock=clock)
        self.timeline = TimelineView(ctx.cache, None, today=self._today, parent=middle)
        self.cases_model = CasesModel(ctx.cache, None, clock=clock, parent=self)
        self.cases_view = CasesView(self.cases_model, cases_split)
        self.case_editor = CaseEditor(ctx, cases_split)
        self.cases_view.caseChosen.connect(self.case_editor.show_case)
        self.case_editor.problem.connect(self.problem)

        self.log_button = QPushButton(tr("Log interaction…"), right)
        self.log_button.setAccessibleName(tr("Log interaction"))
        self.log_button.clicked.connect(lambda _checked: self.open_log_interaction())
        self.new_case_button = QPushButton(tr("New case…"), right)
        self.new_case_button.setAccessibleName(tr("New case"))
        self.new_case_button.clicked.connect(self.open_new_case)

        self._build_layout(left, middle, right, cases_split)
        self.sla_timer = QTimer(self)
        self.sla_timer.setInterval(SLA_TICK_MS)
        self.sla_timer.timeout.connect(self.cases_model.tick)
        ctx.hub.changed.connect(self._on_changed)
        if customer_id is not None:
            self.show_customer(customer_id)

    def _build_layout(self, left: QWidget, middle: QWidget, right: QWidget, cases_split: QSplitter) -> None:
        left_layout = QVBoxLayout(left)
        left_layout.setSpacing(16)
        for part in (self.profile_card, self.identities_view, self.contact_points_view, self.offers_slot):
            left_layout.addWidget(part)
        left_layout.addStretch(1)
        scroll = self._scroll
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        middle_layout = QVBoxLayout(middle)
        middle_layout.addWidget(self.timeline)

        right_layout = QVBoxLayout(right)
        actions = QHBoxLayout()
        actions.addWidget(self.log_button)
        actions.addWidget(self.new_case_button)
        actions.addStretch(1)
        right_layout.addLayout(actions)
        cases_split.addWidget(self.cases_view)
        cases_split.addWidget(self.case_editor)
        cases_split.setStretchFactor(0, 1)
        cases_split.setStretchFactor(1, 2)
        right_layout.addWidget(cases_split, 1)

        for pane in (scroll, middle, right):
            self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 4)
        self.splitter.setSizes([340, 520, 420])
        settings = self._ctx.settings
        if settings is not None:
            state = settings.value(SPLITTER_KEY)
            if state is not None:
                self.splitter.restoreState(state)
            self.splitter.splitterMoved.connect(
                lambda *_: settings.setValue(SPLITTER_KEY, self.splitter.saveState())
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Countdowns move only while the screen is visible (a hidden tab costs nothing)."""
        self.cases_model.tick()
        self.sla_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self.sla_timer.stop()
        super().hideEvent(event)

    # -- the shell's contract --------------------------------------------------------------------

    @property
    def customer_id(self) -> str | None:
        """The customer shown; None for a screen not yet filled (a spare)."""
        return self._customer_id

    def title(self) -> str:
        return self._title or tr("Customer")

    def show_customer(self, customer_id: str | None) -> None:
        """Show `customer_id` in this screen, in place: every part re-read from the cache, the
        timeline unfiltered and scrolled to the newest, the first open case in the editor, reveals
        and draft notes of the previous customer dropped. None empties the screen (a spare)."""
        if customer_id != self._customer_id:
            self._close_dialog()
            self.case_editor.clear_drafts()
            self._scroll.verticalScrollBar().setValue(0)
        self._customer_id = customer_id
        self.offers_slot.show_customer(customer_id)
        if customer_id is None:
            self._title = ""
            self._country = self._account = ""
            self.profile_card.show_profile(None)
            self.timeline.show_customer(None)
            self.cases_model.show_customer(None)
            self.case_editor.show_case(None)
            return
        self._load_profile()
        self._load_contacts()
        self.timeline.show_customer(customer_id)
        self.cases_model.show_customer(customer_id)
        first = self.cases_model.case_at(0)
        if first is not None:
            self.cases_view.select_case(first.id)
        else:
            self.case_editor.show_case(None)

    def _close_dialog(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None:
            dialog.reject()

    def _track_dialog(self, dialog: LogInteractionDialog | NewCaseDialog) -> None:
        self._dialog = dialog
        dialog.finished.connect(lambda _result, d=dialog: self._forget_dialog(d))

    def _forget_dialog(self, dialog: QDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None

    # -- loading ---------------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().astimezone().date()

    def _load_profile(self) -> None:
        cid = self._customer_id
        if cid is None:
            return
        with self._ctx.cache.read() as conn:
            found = profile(conn, cid)
            refs = identities(conn, cid)
        self.profile_card.show_profile(found)
        self._country = found.country if found is not None else ""
        self._account = found.account_number if found is not None else ""
        self.identities_view.show_identities(self._account, refs)
        title = found.display_name if found is not None else tr("Unknown customer")
        self.setAccessibleName(tr("Customer {name}").format(name=title))
        if title != self._title:
            self._title = title
            self.titleChanged.emit(title)

    def _load_contacts(self) -> None:
        cid = self._customer_id
        if cid is None:
            return
        with self._ctx.cache.read() as conn:
            points = contact_points(conn, cid)
        self.contact_points_view.show_points(cid, self._country, points)

    def _on_changed(self, changed: Changed) -> None:
        cid = self._customer_id
        if cid is None:
            return  # a spare screen: nothing shown, nothing to refresh
        points = changed.ids("contact_point")
        refs = changed.ids("external_ref")
        interactions = changed.ids("interaction")
        cases = changed.ids("case")
        with self._ctx.cache.read() as conn:
            points_hit = bool(points) and (
                not self.contact_points_view.point_ids().isdisjoint(points)
                or bool(owned_by(conn, "contact_point", points, cid))
            )
            refs_hit = bool(refs) and bool(owned_by(conn, "external_ref", refs, cid))
            timeline_hit = bool(interactions) and (
                self.timeline.model.shows(interactions)
                or bool(owned_by(conn, "interaction", interactions, cid))
            )
            cases_hit = bool(cases) and (
                not self.cases_model.case_ids().isdisjoint(cases) or bool(owned_by(conn, "case", cases, cid))
            )
        if cid in changed.ids("customer") or refs_hit:
            self._load_profile()
        if points_hit or cid in changed.ids("customer"):
            self._load_contacts()
        if timeline_hit:
            self.timeline.reload()
        if cases_hit:
            chosen = self.case_editor.case_id
            self.cases_model.reload()
            if chosen is not None:
                self.cases_view.select_case(chosen)

    # -- actions ---------------------------------------------------------------------------------

    def _write(self, work: Callable[[Writer], Changed], after: Callable[[], None] | None = None) -> None:
        def done(changed: Changed) -> None:
            self._ctx.hub.publish(changed)
            self._ctx.request_sync()
            if after is not None:
                after()

        def failed(error: BaseException) -> None:
            message = (
                str(error) if isinstance(error, LocalEditError) else tr("The change could not be saved.")
            )
            self.problem.emit(message)

        self._ctx.tasks.write(work, done=done, failed=failed)

    def open_log_interaction(self, kind: case_work.InteractionKind = "call_note") -> LogInteractionDialog:
        """Open the log-interaction dialog (window-modal); saving writes the interaction."""
        cases = []
        if self._customer_id is not None:
            with self._ctx.cache.read() as conn:
                cases = open_cases(conn, self._customer_id)
        dialog = LogInteractionDialog(self.title(), cases, kind=kind, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._log(dialog))
        self._track_dialog(dialog)
        dialog.open()
        return dialog

    def _log(self, dialog: LogInteractionDialog) -> None:
        given = dialog.values()
        cid, user = self._customer_id, self._ctx.user
        if cid is None:
            return
        self._write(
            lambda w: case_work.log_interaction(
                w,
                cid,
                given.kind,
                given.summary,
                user,
                direction=given.direction,
                partner=given.partner,
                outcome=given.outcome,
                case_id=given.case_id,
            )[1]
        )

    def open_new_case(self) -> NewCaseDialog:
        """Open the new-case dialog (window-modal); saving writes the case and selects it."""
        dialog = NewCaseDialog(self.title(), parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._new_case(dialog))
        self._track_dialog(dialog)
        dialog.open()
        return dialog

    def _new_case(self, dialog: NewCaseDialog) -> None:
        given = dialog.values()
        cid, user = self._customer_id, self._ctx.user
        if cid is None:
            return
        made: list[str] = []

        def work(w: Writer) -> Changed:
            case_id, changed = case_work.new_case(
                w,
                cid,
                given.subject,
                user,
                description=given.description,
                priority=given.priority,
                origin_channel=given.origin_channel,
            )
            made.append(case_id)
            return changed

        self._write(work, lambda: self.cases_view.select_case(made[0]))

    def focus_note(self) -> None:
        """Put the cursor in the case editor's note box (the shell's "new note" shortcut)."""
        self.case_editor.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
