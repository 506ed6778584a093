"""The agent's state control in the main tool bar: Available, Not ready (with a reason), Offline,
and the time in the current state.

A tool button shows the state and opens a menu of the states an agent may choose; the states the
contact centre sets (reserved while a contact rings, on contact, after-contact work) are shown
but not chosen. One `QTimer` ticks once a second and sets the text of one label (the elapsed time),
so the tool bar is not repainted as a whole every second. The control does not talk to the server:
it emits `stateRequested(state, reason)` and shows whatever state it is given (`show_state`).
"""

from typing import Final, get_args

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from desktop.views.agent.clock import Clock, elapsed_text, parse_time, system_clock
from desktop.views.agent_state_text import reason_label, state_label
from desktop.views.i18n import tr
from wire.telephony import AgentStateView, NotReadyReason

TICK_MS: Final = 1000
REASONS: Final[tuple[NotReadyReason, ...]] = get_args(NotReadyReason)


class AgentStateControl(QWidget):
    """State button with its menu, and the time in state (ticking once a second)."""

    #: the agent chose a state: (state, reason or None)
    stateRequested = Signal(str, object)  # noqa: N815 - Qt's naming

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = system_clock) -> None:
        super().__init__(parent)
        self.setObjectName("agentState")
        self.setAccessibleName(tr("Agent state"))
        self._clock = clock
        self.state: AgentStateView | None = None

        self.button = QToolButton(self)
        self.button.setObjectName("agentStateButton")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setAccessibleName(tr("Agent state: choose Available, Not ready or Offline"))
        self.menu = QMenu(self.button)
        self.menu.setObjectName("agentStateMenu")
        group = QActionGroup(self)
        self.available_action = self._choice(tr("Available"), "available", None, group)
        self.reasons_menu = self.menu.addMenu(tr("Not ready"))
        self.reasons_menu.setObjectName("notReadyMenu")
        self.reason_actions: dict[NotReadyReason, QAction] = {}
        for reason in REASONS:
            action = QAction(reason_label(reason), self.reasons_menu)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _c=False, r=reason: self.stateRequested.emit("not_ready", r))
            self.reasons_menu.addAction(action)
            self.reason_actions[reason] = action
        self.offline_action = self._choice(tr("Offline"), "offline", None, group)
        self.button.setMenu(self.menu)

        self.elapsed = QLabel("0:00", self)
        self.elapsed.setObjectName("agentStateElapsed")
        self.elapsed.setAccessibleName(tr("Time in state"))
        self.elapsed.setMinimumWidth(self.elapsed.fontMetrics().horizontalAdvance("0:00:00"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.button)
        layout.addWidget(self.elapsed)

        self.timer = QTimer(self)
        self.timer.setObjectName("agentStateTick")
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.show_state(None)

    def _choice(self, text: str, state: str, reason: str | None, group: QActionGroup) -> QAction:
        action = QAction(text, self.menu)
        action.setCheckable(True)
        group.addAction(action)
        action.triggered.connect(lambda _c=False: self.stateRequested.emit(state, reason))
        self.menu.addAction(action)
        return action

    def show_state(self, state: AgentStateView | None) -> None:
        """Show the agent's state (None: not known yet, e.g. the server is not reachable)."""
        self.state = state
        if state is None:
            self.button.setText(tr("State unknown"))
            self.elapsed.setText("")
            self.timer.stop()
            return
        text = state_label(state.state)
        if state.state == "not_ready" and state.reason is not None:
            text = f"{text}: {reason_label(state.reason)}"
            self.reason_actions[state.reason].setChecked(True)
        elif state.state == "available":
            self.available_action.setChecked(True)
        elif state.state == "offline":
            self.offline_action.setChecked(True)
        self.button.setText(text)
        self.button.setProperty("agentState", state.state)
        self.tick()
        if not self.timer.isActive():
            self.timer.start()

    def tick(self) -> None:
        """Set the elapsed time label (the one widget that changes every second)."""
        if self.state is None:
            return
        self.elapsed.setText(elapsed_text(parse_time(self.state.state_since), self._clock()))

    def stop(self) -> None:
        self.timer.stop()
