"""The contact bar: the contact the agent is handling — caller, queue, phase and its timer — with
Answer and End. It is always there ("No contact" between contacts) and keeps its height, so a
ringing contact changes a few labels, never the layout of the customer screen below it.

Phases follow the contact: ringing (Answer enabled, with the seconds left before it goes back to the
queue), talking (End enabled), after-contact work (the wrap-up dialog is open). Like the state
control, one `QTimer` ticks once a second and sets the text of one label. The bar only shows and
emits: `answerRequested` / `endRequested` with the contact id; the desk does the calls.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.views.agent.clock import Clock, elapsed_text, system_clock
from desktop.views.i18n import tr

TICK_MS: Final = 1000
Phase = Literal["ringing", "talking", "acw"]


@dataclass
class ShownContact:
    """What the bar shows of one contact."""

    contact_id: str
    caller: str
    queue_name: str
    phase: Phase
    #: when the current phase started (local clock)
    since: datetime
    #: ringing only: when the contact goes back to the queue
    ring_deadline: datetime | None = None


class ContactBar(QFrame):
    """Caller, queue, phase with its timer; Answer and End."""

    answerRequested = Signal(str)  # noqa: N815 - Qt's naming
    endRequested = Signal(str)  # noqa: N815

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = system_clock) -> None:
        super().__init__(parent)
        self.setObjectName("contactBar")
        self.setAccessibleName(tr("Current contact"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._clock = clock
        self.contact: ShownContact | None = None
        #: a call control is on its way: the buttons wait for its answer
        self._busy = False

        self.caller = QLabel(self)
        self.caller.setObjectName("contactCaller")
        self.caller.setAccessibleName(tr("Caller"))
        self.queue = QLabel(self)
        self.queue.setObjectName("contactQueue")
        self.queue.setAccessibleName(tr("Queue"))
        self.phase = QLabel(self)
        self.phase.setObjectName("contactPhase")
        self.phase.setAccessibleName(tr("Contact phase and time"))
        self.answer_button = QPushButton(tr("Answer"), self)
        self.answer_button.setObjectName("answerButton")
        self.answer_button.setAccessibleName(tr("Answer the contact"))
        self.end_button = QPushButton(tr("End"), self)
        self.end_button.setObjectName("endButton")
        self.end_button.setAccessibleName(tr("End the contact"))
        self.answer_button.clicked.connect(self._answer)
        self.end_button.clicked.connect(self._end)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.caller)
        layout.addWidget(self.queue)
        layout.addWidget(self.phase, 1)
        layout.addWidget(self.answer_button)
        layout.addWidget(self.end_button)

        self.timer = QTimer(self)
        self.timer.setObjectName("contactBarTick")
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        # as high with its buttons as without: showing a contact never re-lays out the window
        margins = layout.contentsMargins()
        self.setMinimumHeight(self.answer_button.sizeHint().height() + margins.top() + margins.bottom())
        self.clear()

    # -- showing -----------------------------------------------------------------------------------

    def ringing(self, contact_id: str, caller: str, queue_name: str, ring_timeout_s: float) -> None:
        now = self._clock()
        self.contact = ShownContact(
            contact_id, caller, queue_name, "ringing", now, now + timedelta(seconds=max(0.0, ring_timeout_s))
        )
        self._refresh()

    def set_phase(self, contact_id: str, phase: Phase) -> None:
        """Move the shown contact to `phase` (ignored for a contact the bar does not show)."""
        contact = self.contact
        if contact is None or contact.contact_id != contact_id or contact.phase == phase:
            return
        contact.phase = phase
        contact.since = self._clock()
        contact.ring_deadline = None
        self._refresh()

    def clear(self) -> None:
        """No contact: the bar stays (its height too), so a ringing contact moves nothing below it."""
        self.contact = None
        self.timer.stop()
        self.caller.setText(tr("No contact"))
        self.queue.setText("")
        self.phase.setText("")
        self._buttons()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a call control is on its way to the server."""
        self._busy = busy
        self._buttons()

    def _refresh(self) -> None:
        contact = self.contact
        if contact is None:
            self.clear()
            return
        self._busy = False
        self.caller.setText(contact.caller)
        self.queue.setText(contact.queue_name)
        self._buttons()
        self.tick()
        if not self.timer.isActive():
            self.timer.start()

    def _buttons(self) -> None:
        phase = self.contact.phase if self.contact is not None else None
        busy = self._busy
        self.answer_button.setVisible(phase == "ringing")
        self.answer_button.setEnabled(phase == "ringing" and not busy)
        self.end_button.setVisible(phase == "talking")
        self.end_button.setEnabled(phase == "talking" and not busy)

    def tick(self) -> None:
        contact = self.contact
        if contact is None:
            return
        now = self._clock()
        if contact.phase == "ringing":
            left = elapsed_text(now, contact.ring_deadline or now)
            self.phase.setText(
                tr("Ringing {elapsed} (back to the queue in {left})").format(
                    elapsed=elapsed_text(contact.since, now), left=left
                )
            )
        elif contact.phase == "talking":
            self.phase.setText(tr("Talking {elapsed}").format(elapsed=elapsed_text(contact.since, now)))
        else:
            self.phase.setText(
                tr("After contact work {elapsed}").format(elapsed=elapsed_text(contact.since, now))
            )

    # -- buttons -----------------------------------------------------------------------------------

    def _answer(self) -> None:
        if self.contact is not None and self.contact.phase == "ringing":
            self.answerRequested.emit(self.contact.contact_id)

    def _end(self) -> None:
        if self.contact is not None and self.contact.phase == "talking":
            self.endRequested.emit(self.contact.contact_id)
