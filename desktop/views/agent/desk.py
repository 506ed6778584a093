"""The agent's desk: the state control, the contact bar, screen pops and wrap-up, wired together.

It listens to the server's live events (`ChangeHub.server_event`):

- `incoming_contact` → the contact bar rings (Answer) and the caller's customer pops at once;
- `contact_update` → the contact's phase: talking, after-contact work (the wrap-up dialog),
  handled; a contact that went back to the queue (ring timeout) or was abandoned leaves the bar;
- `agent_state` → the state control.

Call controls and state changes go to the server on the network lane (`AgentCalls`); their answers
move the bar and the state on. When the server cannot be reached the agent is told, the bar keeps
the contact, and a wrap-up stays in its dialog until it is saved. Contacts are kept by id, so a
second contact routed while the first one's wrap-up dialog is open rings on the bar beside it.
`pop_number` is the outside screen pop (`liaison pop`, `liaison://pop`): the same pop without
call controls.
"""

import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QBoxLayout

from desktop.services.api import ServerEvent
from desktop.services.api_errors import ApiError, Conflict
from desktop.services.contact_centre import AgentCalls, BadEvent, disposition_codes, parse_event
from desktop.views.agent.clock import Clock, system_clock
from desktop.views.agent.contact_bar import ContactBar
from desktop.views.agent.pop import ScreenPopper
from desktop.views.agent.state_control import AgentStateControl
from desktop.views.agent.wrap_up import WrapUpDialog
from desktop.views.i18n import tr
from wire.telephony import (
    AgentStateView,
    Broadcast,
    ChosenState,
    ContactView,
    IncomingContact,
    NotReadyReason,
    WrapUpRequest,
)

if TYPE_CHECKING:
    from desktop.views.context import ViewContext
    from desktop.views.main_window import MainWindow

log = logging.getLogger(__name__)

MESSAGE_MS: Final = 10_000
#: statuses after which the contact is no longer the agent's
GONE: Final = frozenset({"queued", "offered", "abandoned", "ended", "handled"})


@dataclass
class AgentContact:
    """A contact routed to this agent, until its wrap-up is saved (or it leaves the agent)."""

    contact_id: str
    caller: str
    queue_id: str
    queue_name: str
    customer_id: str | None = None
    phase: str = "ringing"


def failure_text(error: BaseException) -> str:
    return error.message if isinstance(error, ApiError) else type(error).__name__


class AgentDesk(QObject):
    """Everything the agent role adds to a main window."""

    #: a contact was popped (its id) — after the customer, chooser or dialog is shown
    contactPopped = Signal(str)  # noqa: N815 - Qt's naming
    #: a wrap-up was saved (the server's ContactView: `interaction_id` is the logged interaction)
    wrappedUp = Signal(object)  # noqa: N815
    #: the agent's state as the server last said it
    stateChanged = Signal(object)  # noqa: N815

    def __init__(self, window: "MainWindow", ctx: "ViewContext", *, clock: Clock = system_clock) -> None:
        super().__init__(window)
        if ctx.api is None:
            raise ValueError("the agent desk needs the session's API client")
        self.window = window
        self.ctx = ctx
        self.calls = AgentCalls(ctx.api)
        self.contacts: dict[str, AgentContact] = {}
        self.wrap_ups: dict[str, WrapUpDialog] = {}
        self._outside = itertools.count(1)
        #: the window is closing: late answers no longer restart the tickers
        self.stopped = False

        self.state_control = AgentStateControl(window.tool_bar, clock=clock)
        self.state_action = window.tool_bar.addWidget(self.state_control)
        self.state_control.stateRequested.connect(self.request_state)

        self.contact_bar = ContactBar(window, clock=clock)
        central_widget = window.centralWidget()
        central = central_widget.layout() if central_widget is not None else None
        if isinstance(central, QBoxLayout):
            central.insertWidget(1, self.contact_bar)
        self.contact_bar.answerRequested.connect(self.answer)
        self.contact_bar.endRequested.connect(self.end)

        self.popper = ScreenPopper(window, ctx)
        self.popper.customerChosen.connect(self._customer_chosen)

        ctx.hub.server_event.connect(self.on_server_event)
        window.installEventFilter(self)
        self.refresh_state()

    # -- lifetime ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.stop()
        return False

    def stop(self) -> None:
        """Stop the tickers (the window is closing)."""
        self.stopped = True
        self.state_control.stop()
        self.contact_bar.clear()

    # -- agent state -------------------------------------------------------------------------------

    def refresh_state(self) -> None:
        if self.ctx.tasks.closed:
            return
        self.ctx.tasks.network(self.calls.my_state, done=self.show_state, failed=self._state_unknown)

    def request_state(self, state: ChosenState, reason: NotReadyReason | None) -> None:
        if self.ctx.tasks.closed:
            return
        self.ctx.tasks.network(
            lambda: self.calls.set_state(state, reason), done=self.show_state, failed=self._state_refused
        )

    def show_state(self, state: AgentStateView) -> None:
        if self.stopped:
            return
        self.state_control.show_state(state)
        self.stateChanged.emit(state)

    def _state_unknown(self, error: BaseException) -> None:
        log.info("agent state not read: %s", type(error).__name__)
        self.state_control.show_state(None)

    def _state_refused(self, error: BaseException) -> None:
        self._tell(tr("Your state was not changed: {reason}").format(reason=failure_text(error)))
        if not self.stopped:
            self.state_control.show_state(self.state_control.state)  # back to what the server has

    # -- live events -------------------------------------------------------------------------------

    def on_server_event(self, event: ServerEvent) -> None:
        """A live event from the server; a malformed one is logged and ignored."""
        try:
            parsed = parse_event(event)
        except BadEvent as exc:
            log.warning("ignored a live event: %s", exc)
            return
        if isinstance(parsed, IncomingContact):
            self.incoming(parsed)
        elif isinstance(parsed, ContactView):
            self.contact_changed(parsed)
        elif isinstance(parsed, AgentStateView):
            user = self.ctx.user
            if user is None or parsed.agent_id in (user.id, user.username):
                self.show_state(parsed)
        elif isinstance(parsed, Broadcast):
            self.window.add_activity(
                tr("Broadcast from {sender}: {text}").format(sender=parsed.sender, text=parsed.text)
            )

    def incoming(self, contact: IncomingContact) -> None:
        """A contact is routed to this agent: ring on the bar and pop the caller's customer."""
        if self.stopped:
            return
        caller = contact.phone or tr("Withheld number")
        self.contacts[contact.contact_id] = AgentContact(
            contact.contact_id, caller, contact.queue_id, contact.queue_name
        )
        self.contact_bar.ringing(contact.contact_id, caller, contact.queue_name, contact.ring_timeout_s)
        if contact.phone or contact.phone_e164:
            self.popper.pop(contact.phone or "", e164=contact.phone_e164, token=contact.contact_id)
        self.contactPopped.emit(contact.contact_id)

    def contact_changed(self, view: ContactView) -> None:
        """A contact's new status (SSE `contact_update` or a call control's answer)."""
        contact = self.contacts.get(view.contact_id)
        if contact is None or self.stopped:
            return
        user = self.ctx.user
        mine = view.agent_id is None or user is None or view.agent_id in (user.id, user.username)
        if view.status == "routed" and mine:
            return
        if view.status == "talking" and mine:
            contact.phase = "talking"
            self.contact_bar.set_phase(view.contact_id, "talking")
        elif view.status == "acw" and mine:
            contact.phase = "acw"
            self.contact_bar.set_phase(view.contact_id, "acw")
            self.open_wrap_up(contact)
        elif view.status in GONE or not mine:
            self._gone(contact, view.status)
        # the agent's state follows by itself: the server pushes `agent_state` with each change

    def _gone(self, contact: AgentContact, status: str) -> None:
        if contact.phase == "acw" and contact.contact_id in self.wrap_ups and status == "handled":
            self.wrap_ups.pop(contact.contact_id).saved()
        if contact.phase == "acw" and contact.contact_id in self.wrap_ups:
            return  # the agent still owes the wrap-up: the dialog stays
        self.contacts.pop(contact.contact_id, None)
        if self.contact_bar.contact is not None and self.contact_bar.contact.contact_id == contact.contact_id:
            self.contact_bar.clear()
        if contact.phase == "ringing":
            text = (
                tr("The caller {caller} hung up.")
                if status == "abandoned"
                else tr("The contact from {caller} was not answered and went back to the queue.")
            )
            self._tell(text.format(caller=contact.caller))

    # -- call controls -----------------------------------------------------------------------------

    def answer(self, contact_id: str) -> None:
        self._control(contact_id, "answer")

    def end(self, contact_id: str) -> None:
        self._control(contact_id, "end")

    def _control(self, contact_id: str, action: str) -> None:
        if self.ctx.tasks.closed:
            return
        call = self.calls.answer if action == "answer" else self.calls.end
        self.contact_bar.set_busy(True)
        self.ctx.tasks.network(
            lambda: call(contact_id),
            done=self._control_done,
            failed=lambda error: self._control_failed(action, error),
        )

    def _control_done(self, view: ContactView) -> None:
        self.contact_bar.set_busy(False)
        self.contact_changed(view)

    def _control_failed(self, action: str, error: BaseException) -> None:
        self.contact_bar.set_busy(False)
        what = tr("answered") if action == "answer" else tr("ended")
        self._tell(
            tr("The contact could not be {what}: {reason}").format(what=what, reason=failure_text(error))
        )

    # -- wrap-up -----------------------------------------------------------------------------------

    def open_wrap_up(self, contact: AgentContact) -> WrapUpDialog:
        dialog = self.wrap_ups.get(contact.contact_id)
        if dialog is not None:
            return dialog
        codes = disposition_codes(self.ctx.cache, contact.queue_id)
        dialog = WrapUpDialog(contact.contact_id, contact.caller, codes, contact.customer_id, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda request: self._send_wrap_up(contact.contact_id, request))
        self.wrap_ups[contact.contact_id] = dialog
        dialog.open()
        return dialog

    def _send_wrap_up(self, contact_id: str, request: WrapUpRequest) -> None:
        if self.ctx.tasks.closed:
            return
        contact = self.contacts.get(contact_id)
        if contact is not None and request.customer_id is None and contact.customer_id is not None:
            request = request.model_copy(update={"customer_id": contact.customer_id})
        self.ctx.tasks.network(
            lambda: self.calls.wrap_up(contact_id, request),
            done=self._wrapped_up,
            failed=lambda error: self._wrap_up_failed(contact_id, error),
        )

    def _wrapped_up(self, view: ContactView) -> None:
        self._close_contact(view.contact_id)
        self.wrappedUp.emit(view)

    def _close_contact(self, contact_id: str) -> None:
        dialog = self.wrap_ups.pop(contact_id, None)
        if dialog is not None:
            dialog.saved()
        self.contacts.pop(contact_id, None)
        if self.contact_bar.contact is not None and self.contact_bar.contact.contact_id == contact_id:
            self.contact_bar.clear()
        self.ctx.request_sync()  # the interaction the server logged comes back with the next pull
        self.refresh_state()

    def _wrap_up_failed(self, contact_id: str, error: BaseException) -> None:
        if isinstance(error, Conflict) and error.details.get("status") == "handled":
            # an earlier Save reached the server but its answer was lost: it is wrapped up already
            self._close_contact(contact_id)
            self._tell(tr("The wrap-up was already saved."))
            return
        dialog = self.wrap_ups.get(contact_id)
        if dialog is not None:
            dialog.failed(failure_text(error))

    def _customer_chosen(self, token: str, customer_id: str) -> None:
        contact = self.contacts.get(token)
        if contact is None:
            return
        contact.customer_id = customer_id
        dialog = self.wrap_ups.get(token)
        if dialog is not None:
            dialog.customer_id = customer_id

    # -- outside pops ------------------------------------------------------------------------------

    def pop_number(self, phone: str) -> None:
        """A screen pop asked for from outside the app: bring the window up and pop the number."""
        window = self.window
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()
        self.popper.pop(phone, token=f"outside-{next(self._outside)}")

    def _tell(self, text: str) -> None:
        self.window.status.showMessage(text, MESSAGE_MS)
        self.window.add_activity(text)
