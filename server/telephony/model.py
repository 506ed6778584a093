"""The records the contact centre works with: a parsed event, a contact, an offer to an agent.

Plain dataclasses with aware UTC datetimes, so the state machine and the metrics are pure
functions that tests feed by hand.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

#: the order of a contact's events with equal timestamps (wire/telephony.py's lifecycle)
LIFECYCLE: Final[dict[str, int]] = {
    "contact_offered": 0,
    "contact_queued": 1,
    "contact_routed": 2,
    "contact_answered": 3,
    "contact_abandoned": 4,
    "contact_ended": 5,
    "acw_ended": 6,
    "agent_state": 7,
}

#: contact statuses after which nothing more happens to it
FINAL_STATUSES: Final = frozenset({"handled", "abandoned", "ended"})


@dataclass(frozen=True, slots=True)
class Event:
    """One telephony event as stored: the common fields plus its type's own (`payload`)."""

    event_id: str
    type: str
    at: datetime
    contact_id: str | None = None
    agent_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def order(self) -> tuple[datetime, int, str]:
        """The replay order: time, then lifecycle position, then id (so ties are deterministic)."""
        return (self.at, LIFECYCLE.get(self.type, 99), self.event_id)


@dataclass(slots=True)
class Attempt:
    """One offer of a contact to an agent (a contact re-queued after a ring timeout has several)."""

    contact_id: str
    attempt: int
    agent_id: str
    queue_id: str | None
    routed_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    #: when the agent was free again: acw_ended, or the release of an unanswered offer
    finished_at: datetime | None = None


@dataclass(slots=True)
class Contact:
    """A contact's state derived from its events (tel_contact)."""

    contact_id: str
    queue_id: str | None
    offered_at: datetime
    last_event_at: datetime
    status: str = "offered"
    channel: str = "phone"
    phone: str | None = None
    queued_at: datetime | None = None
    routed_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    acw_ended_at: datetime | None = None
    abandoned_at: datetime | None = None
    abandoned: bool = False
    agent_id: str | None = None
    ring_attempts: int = 0

    @property
    def enqueued_at(self) -> datetime:
        """The enqueue time of the metrics: the first `contact_queued`, else the offer."""
        return self.queued_at if self.queued_at is not None else self.offered_at


@dataclass(frozen=True, slots=True)
class ChosenState:
    """An `agent_state` event: what the agent chose, and when."""

    at: datetime
    event_id: str
    state: str
    reason: str | None = None

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.at, self.event_id)


@dataclass(frozen=True, slots=True)
class AgentNow:
    """An agent's state at one instant (the agent board's row without names)."""

    state: str
    reason: str | None
    since: datetime
    contact_id: str | None
