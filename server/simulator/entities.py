"""The engine's contacts and agents (mutable; the wire only ever sees events about them)."""

from dataclasses import dataclass, field
from typing import Literal

from wire.telephony import ChosenState, NotReadyReason

ContactPhase = Literal["waiting", "ringing", "talking", "acw", "done"]
AgentPhase = Literal["offline", "available", "not_ready", "reserved", "on_contact", "acw"]


@dataclass(slots=True)
class SimContact:
    contact_id: str
    #: arrival number within the run (the FIFO tie-break)
    number: int
    queue_id: str
    phone: str | None
    #: the first enqueue: the wait counts from here, re-queues keep it (wire/telephony.py)
    first_queued_ms: int
    #: the instant the caller hangs up unless answered
    gives_up_ms: int
    phase: ContactPhase = "waiting"
    agent_id: str | None = None
    #: how many times it was offered to an agent; stale ring timers compare it
    attempt: int = 0
    #: handed to a real agent who answered: the desktop drives the rest, the engine lets go
    released: bool = False

    @property
    def order(self) -> tuple[int, int]:
        return (self.first_queued_ms, self.number)


@dataclass(slots=True)
class SimAgent:
    agent_id: str
    name: str
    queues: tuple[str, ...]
    #: a real signed-in desktop agent (seen through GET /api/v1/telephony/state)
    real: bool = False
    phase: AgentPhase = "offline"
    #: since when the agent is available (longest idle gets the next contact)
    idle_since_ms: int = 0
    contact_id: str | None = None
    #: the state the roster wants now (applied after the current contact's ACW)
    roster_state: tuple[ChosenState, NotReadyReason | None] = ("offline", None)
    #: the chosen state last told to the server (agent_state events)
    announced: tuple[ChosenState, NotReadyReason | None] | None = None
    #: not-ready after letting a contact ring out, until this instant
    missed_until_ms: int | None = None
    #: real agents only: not offered anything before this instant (after a ring timeout)
    cooldown_until_ms: int = 0
    served: int = field(default=0)

    def serves(self, queue_id: str) -> bool:
        return queue_id in self.queues
