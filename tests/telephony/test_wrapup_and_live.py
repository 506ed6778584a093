"""A contact's whole life over loopback: the routed agent's live events, call controls, wrap-up
logging the interaction that a desktop's pull then receives; broadcasts and snapshots go only to
their audience."""

from collections.abc import Callable

import httpx

from tests.api.sync_helpers import Mirror
from tests.telephony.conftest import CALLER, Centre, SseStream
from tests.telephony.events import call, event


def interactions(mirror: Mirror, scope: str) -> dict[str, dict[str, object]]:
    mirror.pull_all()
    return {key[1]: fields for key, (_, fields) in mirror.rows[scope].items() if key[0] == "interaction"}


def test_incoming_contact_reaches_only_the_routed_agent_and_wrapup_logs_the_interaction(
    centre: Centre, sse: Callable[[httpx.Client], SseStream]
) -> None:
    q1, q2 = centre.demo.queue_ids
    agent, _agent2, sup = centre.user("agent"), centre.user("agent2"), centre.user("supervisor")
    # the desktop holds the customer's timeline (an on-demand customer scope) before the call
    mirror = Mirror(centre.user("agent"))
    agent.get(
        f"/api/v1/customers/{centre.customer_id}", headers={"X-Client-Id": mirror.client_id}
    ).raise_for_status()
    scope = f"customer:{centre.customer_id}"
    mirror.subscribe(scope)
    assert interactions(mirror, scope) == {}

    streams = {name: sse(centre.user(name)) for name in ("agent", "agent2", "supervisor")}
    assert agent.put("/api/v1/agents/me/state", json={"state": "available"}).status_code == 200
    with centre.phone() as phone:
        events = call("live-1", q1, "020 7946 0018")
        events.append(
            event("contact_routed", -1, contact_id="live-1", agent_id=centre.demo.agent_id, ring_timeout_s=15)
        )
        phone.post("/api/v1/telephony/events", json={"events": events}).raise_for_status()
    incoming, _ = streams["agent"].until("incoming_contact")
    assert incoming["contact_id"] == "live-1" and incoming["queue_id"] == q1
    assert (incoming["phone_e164"], incoming["ring_timeout_s"]) == (CALLER, 15)

    # a broadcast to everyone is the marker: nobody else got the incoming contact before it
    assert sup.post("/api/v1/broadcasts", json={"queue_id": None, "text": "marker"}).status_code == 200
    for name in ("agent2", "supervisor"):
        marker, before = streams[name].until("broadcast")
        assert marker["text"] == "marker" and "incoming_contact" not in before, name
    # agents never get the supervisors' snapshot; supervisors do
    _, before = streams["agent"].until("broadcast")
    assert "queue_snapshot" not in before
    snapshot, _ = streams["supervisor"].until("queue_snapshot")
    assert {q["queue_id"] for q in snapshot["queues"]} == {q1, q2}

    assert agent.post("/api/v1/contacts/live-1/answer").json()["status"] == "talking"
    update, _ = streams["agent"].until("contact_update")
    assert update["contact_id"] == "live-1"
    assert agent.post("/api/v1/contacts/live-1/end").json()["status"] == "acw"
    assert agent.get("/api/v1/agents/me/state").json()["state"] == "acw"
    # a code of the other queue is refused; nothing changes
    wrong = agent.post("/api/v1/contacts/live-1/wrapup", json={"disposition_code": "sales_done"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "validation_failed")
    done = agent.post(
        "/api/v1/contacts/live-1/wrapup", json={"disposition_code": "billing_done", "note": "paid by card"}
    ).json()
    assert done["status"] == "handled" and done["interaction_id"]
    assert agent.get("/api/v1/agents/me/state").json()["state"] == "available"
    assert (
        agent.post("/api/v1/contacts/live-1/wrapup", json={"disposition_code": "billing_done"}).status_code
        == 409
    )

    logged = interactions(mirror, scope)[done["interaction_id"]]
    assert logged["channel"] == "phone" and logged["direction"] == "inbound"
    assert (logged["outcome"], logged["summary"], logged["agent_id"]) == (
        "billing_done",
        "paid by card",
        centre.demo.agent_id,
    )
    assert logged["occurred_at"] == done["answered_at"] and logged["queue_id"] == q1
    assert isinstance(logged["duration_s"], int) and logged["duration_s"] >= 0


def test_a_queue_broadcast_reaches_only_that_queues_agents(
    centre: Centre, sse: Callable[[httpx.Client], SseStream]
) -> None:
    q1, q2 = centre.demo.queue_ids
    sup = centre.user("supervisor")
    agent, agent2 = sse(centre.user("agent")), sse(centre.user("agent2"))
    assert sup.post("/api/v1/broadcasts", json={"queue_id": q2, "text": "queue two only"}).status_code == 200
    assert sup.post("/api/v1/broadcasts", json={"queue_id": None, "text": "everyone"}).status_code == 200
    assert agent.until("broadcast")[0]["text"] == "queue two only"  # agent serves both queues
    assert agent2.until("broadcast")[0]["text"] == "everyone"  # agent2 serves q1 only
    bad = sup.post("/api/v1/broadcasts", json={"queue_id": "nope", "text": "x"})
    assert bad.status_code == 422
    assert q1 != q2
