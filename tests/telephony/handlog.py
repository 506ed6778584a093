"""A hand-written event log of one morning in queue Q (threshold T = 20 s), with what it means.

now = 10:30:00 UTC; the rolling window is 10:00:00-10:30:00, "today" 00:00:00-10:30:00.
Agent A1 serves Q and is available from 09:00; A2 serves Q and is not ready (break) from 09:30.

    C1 queued 10:01:00, routed A1 10:01:05, answered 10:01:10 (wait 10), ended 10:05:10, ACW to 10:06:10
    C2 queued 10:02:00, abandoned 10:02:15 (after 15 s: a short abandon)
    C3 queued 10:03:00, abandoned 10:04:00 (after 60 s)
    C4 queued 10:06:00, routed A1 10:06:20, answered 10:06:40 (wait 40), ended 10:10:40, ACW to 10:11:40
    C5 queued 10:20:00, routed A1 10:20:05, ring timeout: queued again 10:20:25, routed A1 10:20:30,
       answered 10:20:35 (wait 35 from the FIRST enqueue), ended 10:25:35, ACW to 10:26:35
    C6 queued 10:28:00, still waiting at 10:30 (120 s)
    C7 queued 09:50:00, routed A1 09:50:05, answered 09:50:15 (wait 15), ended 09:55:15, ACW to 09:56:15
    C8 offered 10:29:00, queued 10:29:30 (30 s in the IVR), still waiting (30 s)
"""

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from wire.telephony import TelephonyEvent

Q = "queue-q"
NOW = datetime(2026, 3, 2, 10, 30, 0, tzinfo=UTC)
_adapter: TypeAdapter[TelephonyEvent] = TypeAdapter(TelephonyEvent)


def at(clock: str) -> str:
    return f"2026-03-02T{clock}+00:00"


def raw_log(queue_id: str = Q) -> list[dict[str, Any]]:
    """The log as the phone system posts it (dicts)."""
    events: list[dict[str, Any]] = []

    def add(kind: str, clock: str, **fields: Any) -> None:
        events.append({"type": kind, "event_id": f"e{len(events):03d}", "at": at(clock), **fields})

    add("agent_state", "09:00:00", agent_id="A1", state="available", queues=[queue_id], name="Agent One")
    add(
        "agent_state",
        "09:30:00",
        agent_id="A2",
        state="not_ready",
        reason="break",
        queues=[queue_id],
        name="Agent Two",
    )

    def contact(cid: str, offered: str, queued: str, phone: str | None = None) -> None:
        add("contact_offered", offered, contact_id=cid, queue_id=queue_id, phone=phone)
        add("contact_queued", queued, contact_id=cid, queue_id=queue_id)

    def handled(cid: str, routed: str, answered: str, ended: str, acw: str) -> None:
        add("contact_routed", routed, contact_id=cid, agent_id="A1")
        add("contact_answered", answered, contact_id=cid, agent_id="A1")
        add("contact_ended", ended, contact_id=cid)
        add("acw_ended", acw, contact_id=cid, agent_id="A1")

    contact("C7", "09:50:00", "09:50:00")
    handled("C7", "09:50:05", "09:50:15", "09:55:15", "09:56:15")
    contact("C1", "10:01:00", "10:01:00", phone="+442079460018")
    handled("C1", "10:01:05", "10:01:10", "10:05:10", "10:06:10")
    contact("C2", "10:02:00", "10:02:00")
    add("contact_abandoned", "10:02:15", contact_id="C2")
    contact("C3", "10:03:00", "10:03:00")
    add("contact_abandoned", "10:04:00", contact_id="C3")
    contact("C4", "10:06:00", "10:06:00")
    handled("C4", "10:06:20", "10:06:40", "10:10:40", "10:11:40")
    contact("C5", "10:20:00", "10:20:00")
    add("contact_routed", "10:20:05", contact_id="C5", agent_id="A1")
    add("contact_queued", "10:20:25", contact_id="C5", queue_id=queue_id)
    handled("C5", "10:20:30", "10:20:35", "10:25:35", "10:26:35")
    contact("C6", "10:28:00", "10:28:00")
    contact("C8", "10:29:00", "10:29:30")
    return events


def wire_log(queue_id: str = Q) -> list[TelephonyEvent]:
    return [_adapter.validate_python(e) for e in raw_log(queue_id)]
