"""The agent's contact-centre services without Qt: live-event parsing (bad payloads are refused
with a reason that never quotes the payload) and the queue's disposition codes from a real cache."""

import pytest

from desktop.services.api import ServerEvent
from desktop.services.contact_centre import BadEvent, disposition_codes, parse_event
from desktop.services.store import Cache, apply_page
from tests.unit.store.conftest import ChangeFactory
from wire.telephony import AgentStateView, Broadcast, ContactView, IncomingContact

INCOMING = {
    "contact_id": "k-1",
    "queue_id": "q1",
    "queue_name": "Billing",
    "phone": "07400 123456",
    "phone_e164": "+447400123456",
    "routed_at": "2026-11-22T17:00:00+00:00",
    "ring_timeout_s": 20,
}


def test_each_agent_event_parses_into_its_model() -> None:
    incoming = parse_event(ServerEvent("incoming_contact", INCOMING, "1"))
    assert isinstance(incoming, IncomingContact) and incoming.phone_e164 == "+447400123456"
    update = parse_event(
        ServerEvent(
            "contact_update",
            {
                "contact_id": "k-1",
                "queue_id": "q1",
                "status": "queued",
                "offered_at": "2026-11-22T17:00:00+00:00",
            },
        )
    )
    assert isinstance(update, ContactView) and update.status == "queued"
    state = parse_event(
        ServerEvent(
            "agent_state",
            {
                "agent_id": "u1",
                "state": "not_ready",
                "reason": "lunch",
                "state_since": "2026-11-22T17:00:00+00:00",
            },
        )
    )
    assert isinstance(state, AgentStateView) and state.reason == "lunch"
    broadcast = parse_event(
        ServerEvent(
            "broadcast",
            {
                "id": "b1",
                "queue_id": None,
                "text": "Storm",
                "sender": "sup",
                "at": "2026-11-22T17:00:00+00:00",
            },
        )
    )
    assert isinstance(broadcast, Broadcast) and broadcast.text == "Storm"


def test_events_an_agent_does_not_act_on_are_none() -> None:
    assert parse_event(ServerEvent("queue_snapshot", {"anything": 1})) is None
    assert parse_event(ServerEvent("poke", {"head": 3})) is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {**INCOMING, "ring_timeout_s": "soon"},
        {k: v for k, v in INCOMING.items() if k != "contact_id"},
    ],
)
def test_a_bad_payload_is_refused_with_a_reason_that_does_not_quote_it(data: dict[str, object]) -> None:
    with pytest.raises(BadEvent) as caught:
        parse_event(ServerEvent("incoming_contact", data))
    message = str(caught.value)
    assert "incoming_contact" in message and "IncomingContact" in message
    assert "7400" not in message and "soon" not in message


def test_disposition_codes_are_the_queues_own_then_the_global_ones(
    cache: Cache, change: ChangeFactory
) -> None:
    apply_page(
        cache.writer,
        "ref",
        [
            change("disposition_code", "d1", queue_id=None, code="resolved", label="Resolved"),
            change("disposition_code", "d2", queue_id="q1", code="refund", label="Refund issued"),
            change("disposition_code", "d3", queue_id="q2", code="upgrade", label="Upgrade"),
            change("disposition_code", "d4", queue_id=None, code="callback", label="Call back"),
            change("disposition_code", "d5", queue_id="q1", code="billing_fix", label="Billing fixed"),
        ],
        "a",
    )
    assert [c.code for c in disposition_codes(cache, "q1")] == [
        "billing_fix",
        "refund",
        "callback",
        "resolved",
    ]
    assert [c.code for c in disposition_codes(cache, None)] == ["callback", "resolved"]
    assert [c.queue_id for c in disposition_codes(cache, "q2")] == ["q2", None, None]
