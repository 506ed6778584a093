"""The contact centre on the wire (PROTOCOL.md, Contact centre; METRICS.md).

Three parties meet here: the phone system (ACD) posts its events to the server with an integration
key; the server keeps queue and agent state and computes the metrics; desktops read queues, change
their agent state, drive call controls of the reference phone system and receive live events (SSE
`incoming_contact`, `queue_snapshot`, `broadcast`, `contact_update`).

Times are ISO 8601 strings with an offset (`2026-11-22T17:42:11.123+00:00`), as everywhere on the
wire. Durations are seconds (floats). Every metric is computed from timestamps by the server; the
phone system never sends a duration.

A contact's life as the phone system reports it::

    contact_offered   the contact reached the contact centre (caller's number known here)
    contact_queued    it entered a queue: the enqueue time of the metrics. Sent again with the same
                      contact after a ring timeout (re-queue); the wait keeps counting from the
                      FIRST enqueue, and it stays one queued contact in the counts
    contact_routed    offered to an agent (the agent is "reserved" while it rings)
    contact_answered  the agent answered (talk starts)
    contact_abandoned the caller hung up before an answer
    contact_ended     talk ended; the agent enters after-contact work (ACW)
    acw_ended         the agent finished wrap-up; the contact is handled

Events may arrive twice (same `event_id`: ignored the second time) and out of order (state is
derived from the events ordered by `at`, then by the order above for equal times).
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: at most this many events in one POST /api/v1/telephony/events
MAX_EVENTS_PER_BATCH = 1000
MAX_ID = 128
MAX_TEXT = 2000
#: seconds an agent has to answer an offered contact when the phone system does not say
DEFAULT_RING_TIMEOUT_S = 20.0

#: states an agent can choose; the others (reserved, on_contact, acw) follow from contacts
ChosenState = Literal["available", "not_ready", "offline"]
AgentStateName = Literal["offline", "available", "reserved", "on_contact", "acw", "not_ready"]
#: reason codes of "not ready" (METRICS.md)
NotReadyReason = Literal["break", "lunch", "training", "meeting", "coaching", "other"]
ContactStatus = Literal["offered", "queued", "routed", "talking", "acw", "handled", "abandoned", "ended"]

Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
Timestamp = Annotated[str, Field(min_length=10, max_length=40)]


class _Event(BaseModel):
    event_id: Id
    at: Timestamp


class ContactOffered(_Event):
    type: Literal["contact_offered"] = "contact_offered"
    contact_id: Id
    queue_id: Id
    #: the caller's number as the phone system has it (E.164 or national); None when withheld
    phone: str | None = Field(default=None, max_length=64)
    channel: Literal["phone", "chat", "email"] = "phone"


class ContactQueued(_Event):
    type: Literal["contact_queued"] = "contact_queued"
    contact_id: Id
    queue_id: Id


class ContactRouted(_Event):
    type: Literal["contact_routed"] = "contact_routed"
    contact_id: Id
    agent_id: Id
    #: seconds the agent has to answer (the phone system's setting); None: DEFAULT_RING_TIMEOUT_S
    ring_timeout_s: float | None = Field(default=None, gt=0, le=600)


class ContactAnswered(_Event):
    type: Literal["contact_answered"] = "contact_answered"
    contact_id: Id
    agent_id: Id


class ContactAbandoned(_Event):
    type: Literal["contact_abandoned"] = "contact_abandoned"
    contact_id: Id


class ContactEnded(_Event):
    type: Literal["contact_ended"] = "contact_ended"
    contact_id: Id


class AcwEnded(_Event):
    type: Literal["acw_ended"] = "acw_ended"
    contact_id: Id
    agent_id: Id


class AgentState(_Event):
    type: Literal["agent_state"] = "agent_state"
    agent_id: Id
    state: ChosenState
    reason: NotReadyReason | None = None
    #: the queues the agent serves (skills), when the phone system knows them; None: unchanged
    queues: list[Id] | None = Field(default=None, max_length=200)
    #: a display name for agents the directory does not know (simulated agents)
    name: str | None = Field(default=None, max_length=200)


TelephonyEvent = Annotated[
    ContactOffered
    | ContactQueued
    | ContactRouted
    | ContactAnswered
    | ContactAbandoned
    | ContactEnded
    | AcwEnded
    | AgentState,
    Field(discriminator="type"),
]


class EventBatch(BaseModel):
    events: list[TelephonyEvent] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class EventRejection(BaseModel):
    event_id: str
    reason: str


class EventBatchResult(BaseModel):
    accepted: int
    #: events already received earlier (same event_id): ignored
    duplicates: int
    #: events that make no sense (e.g. an unknown queue): kept out of the state, with why
    rejected: list[EventRejection] = Field(default_factory=list)


# ---- metrics ---------------------------------------------------------------------------------


class WindowMetrics(BaseModel):
    """One queue's figures over one window (METRICS.md gives each definition)."""

    window: Literal["rolling", "today"]
    #: window start (rolling: now - window_s; today: local midnight of the server's time zone)
    since: Timestamp
    offered: int
    queued: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    #: abandoned within the service-level threshold (excluded from service level)
    short_abandoned: int
    handled: int
    #: None when nothing counts toward the denominator yet
    service_level: float | None
    asa_s: float | None
    aht_s: float | None
    talk_s: float | None
    acw_s: float | None
    abandon_rate: float | None
    occupancy: float | None
    #: arrivals per hour in the window (for staffing)
    arrival_rate_per_h: float


class StaffingAdvice(BaseModel):
    """Erlang C for the queue from the rolling window's arrival rate and AHT (METRICS.md)."""

    traffic_erlangs: float | None
    agents_staffed: int
    #: traffic ≥ agents: no steady state; the panel says so instead of printing numbers
    unstable: bool
    probability_wait: float | None
    predicted_service_level: float | None
    #: fewest agents that reach the queue's service-level target; None without traffic data
    agents_needed: int | None


class QueueThresholds(BaseModel):
    """Alert thresholds of a queue (METRICS.md, Alerts); a breach colours the cell and alerts once."""

    service_level_below: float
    oldest_wait_above_s: float
    waiting_above: int
    abandon_rate_above: float


class QueueStatus(BaseModel):
    queue_id: str
    name: str
    sl_threshold_s: int
    sl_target: float
    contacts_waiting: int
    #: now - first enqueue time of the longest-waiting contact; None when nobody waits
    oldest_wait_s: float | None
    agents_staffed: int
    agents_available: int
    agents_reserved: int
    agents_on_contact: int
    agents_acw: int
    agents_not_ready: int
    rolling: WindowMetrics
    today: WindowMetrics
    staffing: StaffingAdvice
    thresholds: QueueThresholds


class QueueWaiting(BaseModel):
    """What an agent sees of one of their own queues."""

    queue_id: str
    name: str
    contacts_waiting: int
    oldest_wait_s: float | None


class AgentBoardRow(BaseModel):
    agent_id: str
    display_name: str
    state: AgentStateName
    reason: NotReadyReason | None = None
    state_since: Timestamp
    time_in_state_s: float
    contact_id: str | None = None
    #: the queue of the current contact
    queue_id: str | None = None
    queues: list[str] = Field(default_factory=list)
    occupancy: float | None = None


class QueuesResponse(BaseModel):
    """GET /api/v1/queues: supervisors get `queues` and `agents`; agents only `waiting`."""

    at: Timestamp
    rolling_window_s: int
    queues: list[QueueStatus] | None = None
    agents: list[AgentBoardRow] | None = None
    waiting: list[QueueWaiting] | None = None


class AgentBoard(BaseModel):
    """GET /api/v1/agents/board (supervisor): the agent board alone."""

    at: Timestamp
    agents: list[AgentBoardRow]


# ---- the desktop's requests -------------------------------------------------------------------


class AgentStateRequest(BaseModel):
    """PUT /api/v1/agents/me/state."""

    state: ChosenState
    reason: NotReadyReason | None = None


class AgentStateView(BaseModel):
    """The signed-in agent's state (answer of GET/PUT /api/v1/agents/me/state)."""

    agent_id: str
    state: AgentStateName
    reason: NotReadyReason | None = None
    state_since: Timestamp
    contact_id: str | None = None
    queues: list[str] = Field(default_factory=list)


class CallControlRequest(BaseModel):
    """Optional body of POST /api/v1/contacts/{contact_id}/answer and /end.

    `action_id` (the desktop's own id for the click) makes a retry after a lost answer safe: the
    same action answers with the contact as it is instead of 409. Unknown fields are refused: every
    field is optional, so a misspelt one would otherwise pass silently.
    """

    model_config = ConfigDict(extra="forbid")

    action_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID)


class WrapUpRequest(BaseModel):
    """POST /api/v1/contacts/{contact_id}/wrapup: ends ACW and logs the interaction."""

    disposition_code: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=MAX_TEXT)
    #: the customer the agent handled (the pop's choice); None for an unknown caller
    customer_id: str | None = Field(default=None, max_length=MAX_ID)


class ContactView(BaseModel):
    """A contact as the server knows it (answers of the call controls; SSE `contact_update`)."""

    contact_id: str
    queue_id: str
    status: ContactStatus
    phone: str | None = None
    agent_id: str | None = None
    offered_at: Timestamp
    queued_at: Timestamp | None = None
    answered_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    #: the interaction logged by wrap-up
    interaction_id: str | None = None


class BroadcastRequest(BaseModel):
    """POST /api/v1/broadcasts (supervisor): to one queue's agents, or everyone when queue_id is None."""

    queue_id: str | None = Field(default=None, max_length=MAX_ID)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Broadcast(BaseModel):
    """A broadcast as sent (answer of POST /api/v1/broadcasts; SSE `broadcast`)."""

    id: str
    queue_id: str | None
    text: str
    sender: str
    at: Timestamp


# ---- live events (SSE; `event:` is the name, `data:` the JSON of the model) ---------------------


class IncomingContact(BaseModel):
    """SSE `incoming_contact`, to the agent a contact is routed to (with `contact_routed`)."""

    contact_id: str
    queue_id: str
    queue_name: str
    phone: str | None
    #: the caller's number normalised to E.164 by the server (None when withheld or not a number)
    phone_e164: str | None
    routed_at: Timestamp
    #: seconds the agent has to answer before the contact goes back to the queue
    ring_timeout_s: float


class QueueSnapshot(BaseModel):
    """SSE `queue_snapshot`, at most once a second, to supervisors of those queues."""

    at: Timestamp
    rolling_window_s: int
    queues: list[QueueStatus]
    agents: list[AgentBoardRow]


SSE_INCOMING_CONTACT = "incoming_contact"
SSE_CONTACT_UPDATE = "contact_update"
SSE_QUEUE_SNAPSHOT = "queue_snapshot"
SSE_BROADCAST = "broadcast"
SSE_AGENT_STATE = "agent_state"


# ---- the phone system's view (GET /api/v1/telephony/state, integration key) --------------------


class TelephonyState(BaseModel):
    """GET /api/v1/telephony/state: every agent the server knows and the contacts in flight.

    The phone system (the simulator) reads it to route contacts to real signed-in agents: an agent
    whose `state` is "available" and whose `queues` hold the contact's queue can take it.
    Contacts in flight are those not yet handled, abandoned or ended for good.
    """

    at: Timestamp
    agents: list[AgentBoardRow]
    contacts: list[ContactView]
