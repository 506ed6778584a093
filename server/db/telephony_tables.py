"""The contact centre's server-only tables (not synced): the phone system's event log and the
state derived from it.

`telephony_event` is the truth: every accepted event, once (unique `event_id`), in received order
(`seq`). `tel_contact`, `tel_attempt` and `tel_agent` are derived from it and rebuilt for the ids a
batch touches, so duplicates and reordering cannot make them drift. `broadcast` keeps what
supervisors sent; `queue_threshold` overrides a queue's alert thresholds (defaults in
server/telephony/thresholds.py). Which queues a real user serves is `app_user.queue_ids`.
"""

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from server.db.tables import metadata
from server.db.types import JsonType, Timestamp

#: the longest id the phone system may send (wire.telephony.MAX_ID)
EXT_ID = 128

telephony_event = Table(
    "telephony_event",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(EXT_ID), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("at", Timestamp, nullable=False),
    Column("contact_id", String(EXT_ID), nullable=True),
    Column("agent_id", String(EXT_ID), nullable=True),
    Column("payload", JsonType, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Index("ix_telephony_event_contact", "contact_id"),
    Index("ix_telephony_event_agent", "agent_id", "type", "at"),
)

tel_contact = Table(
    "tel_contact",
    metadata,
    Column("contact_id", String(EXT_ID), primary_key=True),
    Column("queue_id", String(EXT_ID), nullable=True),
    Column("channel", String(10), nullable=False, default="phone"),
    Column("phone", String(64), nullable=True),
    Column("phone_e164", String(32), nullable=True),
    #: the one customer whose phone contact point equals the caller's number (None: none or several)
    Column("customer_id", String(36), nullable=True),
    Column("status", String(12), nullable=False),
    Column("offered_at", Timestamp, nullable=False),
    #: the FIRST enqueue (a re-queue after a ring timeout keeps it)
    Column("queued_at", Timestamp, nullable=True),
    Column("routed_at", Timestamp, nullable=True),
    Column("answered_at", Timestamp, nullable=True),
    Column("ended_at", Timestamp, nullable=True),
    Column("acw_ended_at", Timestamp, nullable=True),
    Column("abandoned_at", Timestamp, nullable=True),
    Column("abandoned", Boolean, nullable=False, default=False),
    Column("agent_id", String(EXT_ID), nullable=True),
    Column("ring_attempts", Integer, nullable=False, default=0),
    Column("interaction_id", String(36), nullable=True),
    #: the last event applied (its `at`): the state as of then
    Column("last_event_at", Timestamp, nullable=False),
    Index("ix_tel_contact_status", "status"),
    Index("ix_tel_contact_offered", "offered_at"),
    Index("ix_tel_contact_queue", "queue_id", "offered_at"),
)

#: one offer of a contact to an agent: routed, then answered/ended/acw_ended, or released (re-queued,
#: abandoned, ended unanswered)
tel_attempt = Table(
    "tel_attempt",
    metadata,
    Column("contact_id", String(EXT_ID), primary_key=True),
    Column("attempt", Integer, primary_key=True, autoincrement=False),
    Column("agent_id", String(EXT_ID), nullable=False),
    Column("queue_id", String(EXT_ID), nullable=True),
    Column("routed_at", Timestamp, nullable=False),
    Column("answered_at", Timestamp, nullable=True),
    Column("ended_at", Timestamp, nullable=True),
    #: when the agent was free again (acw_ended, or the release of an unanswered offer); None: busy
    Column("finished_at", Timestamp, nullable=True),
    Index("ix_tel_attempt_agent", "agent_id", "finished_at"),
)

tel_agent = Table(
    "tel_agent",
    metadata,
    Column("agent_id", String(EXT_ID), primary_key=True),
    #: a real user's agent_id is their user id; None for agents only the phone system knows
    Column("user_id", String(36), nullable=True),
    Column("display_name", String(200), nullable=False),
    #: the state the agent chose last (by event time, then event id) and when
    Column("chosen_state", String(12), nullable=False, default="offline"),
    Column("chosen_reason", String(12), nullable=True),
    Column("chosen_at", Timestamp, nullable=True),
    Column("chosen_event_id", String(EXT_ID), nullable=True),
    Column("queues", JsonType, nullable=False),
    Column("queues_at", Timestamp, nullable=True),
    Column("queues_event_id", String(EXT_ID), nullable=True),
    Column("name_at", Timestamp, nullable=True),
    Column("name_event_id", String(EXT_ID), nullable=True),
    #: the time of the first event that named the agent (the start of "offline" before any choice)
    Column("known_since", Timestamp, nullable=False),
    #: derived: the state now, its start, the contact it concerns
    Column("state", String(12), nullable=False, default="offline"),
    Column("reason", String(12), nullable=True),
    Column("state_since", Timestamp, nullable=False),
    Column("contact_id", String(EXT_ID), nullable=True),
)

broadcast = Table(
    "broadcast",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("queue_id", String(36), nullable=True),
    Column("text", Text, nullable=False),
    Column("sender_id", String(36), nullable=False),
    Column("sender", String(200), nullable=False),
    Column("at", Timestamp, nullable=False),
)

queue_threshold = Table(
    "queue_threshold",
    metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("service_level_below", Float, nullable=True),
    Column("oldest_wait_above_s", Float, nullable=True),
    Column("waiting_above", BigInteger, nullable=True),
    Column("abandon_rate_above", Float, nullable=True),
)
