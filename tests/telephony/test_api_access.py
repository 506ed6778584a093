"""Who may call what: the integration key, the supervisor-only endpoints, the agent's own queues."""

from sqlalchemy import func, select, update

from server.db import tables as t
from server.db import telephony_tables as tt
from tests.telephony.conftest import Centre
from tests.telephony.events import call, event


def test_events_and_state_need_an_integration_key(centre: Centre) -> None:
    batch = {"events": call("c-1", centre.demo.queue_ids[0], None)}
    with centre.phone() as phone:
        assert phone.post("/api/v1/telephony/events", json=batch).status_code == 200
    for headers in ({}, {"Authorization": "Bearer lik_not-a-key"}):
        resp = centre.user("agent").post("/api/v1/telephony/events", json=batch, headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "not_authenticated"
    with centre.db.write() as conn:
        conn.execute(update(t.integration_key).values(revoked_at="2026-01-01T00:00:00+00:00"))
    with centre.phone() as phone:
        assert phone.post("/api/v1/telephony/events", json=batch).status_code == 401
        assert phone.get("/api/v1/telephony/state").status_code == 401


def test_agent_gets_403_on_board_and_broadcasts(centre: Centre) -> None:
    agent = centre.user("agent")
    assert agent.get("/api/v1/agents/board").status_code == 403
    resp = agent.post("/api/v1/broadcasts", json={"queue_id": None, "text": "hello"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
    with centre.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tt.broadcast)).scalar_one() == 0
    sup = centre.user("supervisor")
    assert sup.get("/api/v1/agents/board").status_code == 200
    assert sup.post("/api/v1/broadcasts", json={"queue_id": None, "text": "hello"}).status_code == 200
    assert centre.user("fieldrep").get("/api/v1/queues").status_code == 403


def test_agent_sees_only_its_own_queues_waiting(centre: Centre) -> None:
    q1, q2 = centre.demo.queue_ids
    with centre.phone() as phone:
        events = call("w-1", q1, None, offset_s=-30) + call("w-2", q2, None) + call("w-3", q2, None)
        assert phone.post("/api/v1/telephony/events", json={"events": events}).json()["accepted"] == 6
    mine = centre.user("agent2").get("/api/v1/queues").json()  # agent2 serves q1 only
    assert mine["queues"] is None and mine["agents"] is None
    assert [(w["queue_id"], w["contacts_waiting"]) for w in mine["waiting"]] == [(q1, 1)]
    assert mine["waiting"][0]["oldest_wait_s"] >= 30
    full = centre.user("supervisor").get("/api/v1/queues").json()
    assert {q["queue_id"]: q["contacts_waiting"] for q in full["queues"]} == {q1: 1, q2: 2}
    assert full["waiting"] is None


def test_agent_state_is_an_event_in_the_log(centre: Centre) -> None:
    agent = centre.user("agent2")
    assert agent.get("/api/v1/agents/me/state").json()["state"] == "offline"
    assert agent.put("/api/v1/agents/me/state", json={"state": "not_ready"}).status_code == 422
    view = agent.put("/api/v1/agents/me/state", json={"state": "not_ready", "reason": "lunch"}).json()
    assert (view["state"], view["reason"], view["queues"]) == (
        "not_ready",
        "lunch",
        [centre.demo.queue_ids[0]],
    )
    assert agent.get("/api/v1/agents/me/state").json()["state"] == "not_ready"
    with centre.phone() as phone:
        state = phone.get("/api/v1/telephony/state").json()
    row = next(a for a in state["agents"] if a["agent_id"] == centre.agent2_id)
    assert (row["state"], row["display_name"], row["queues"]) == (
        "not_ready",
        "Agent Two",
        [centre.demo.queue_ids[0]],
    )
    with centre.db.read() as conn:
        kinds = conn.execute(
            select(tt.telephony_event.c.type).where(tt.telephony_event.c.agent_id == centre.agent2_id)
        )
        assert list(kinds.scalars()) == ["agent_state"]


def test_call_controls_only_for_the_routed_agent(centre: Centre) -> None:
    q1 = centre.demo.queue_ids[0]
    agent, agent2 = centre.user("agent"), centre.user("agent2")
    with centre.phone() as phone:
        events = [
            *call("cc-1", q1, None),
            event("contact_routed", -1, contact_id="cc-1", agent_id=centre.demo.agent_id),
        ]
        phone.post("/api/v1/telephony/events", json={"events": events}).raise_for_status()
    assert agent2.post("/api/v1/contacts/cc-1/answer").status_code == 403
    assert agent.post("/api/v1/contacts/nope/answer").status_code == 404
    assert agent.post("/api/v1/contacts/cc-1/end").status_code == 409  # not answered yet
    assert agent.post("/api/v1/contacts/cc-1/answer").json()["status"] == "talking"
    assert agent.get("/api/v1/agents/me/state").json()["state"] == "on_contact"


def test_a_retried_call_control_with_its_action_id_is_safe(centre: Centre) -> None:
    q1 = centre.demo.queue_ids[0]
    agent = centre.user("agent")
    with centre.phone() as phone:
        events = [
            *call("rt-1", q1, None),
            event("contact_routed", -1, contact_id="rt-1", agent_id=centre.demo.agent_id),
        ]
        phone.post("/api/v1/telephony/events", json={"events": events}).raise_for_status()
    first = agent.post("/api/v1/contacts/rt-1/answer", json={"action_id": "click-1"})
    again = agent.post("/api/v1/contacts/rt-1/answer", json={"action_id": "click-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    # a new click (another action) on an answered contact is a conflict
    assert agent.post("/api/v1/contacts/rt-1/answer", json={"action_id": "click-2"}).status_code == 409
    assert agent.post("/api/v1/contacts/rt-1/answer", json=[1, 2]).status_code == 422
    with centre.db.read() as conn:
        answers = conn.execute(
            select(func.count())
            .select_from(tt.telephony_event)
            .where(tt.telephony_event.c.type == "contact_answered")
        )
        assert answers.scalar_one() == 1
