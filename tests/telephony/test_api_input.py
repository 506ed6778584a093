"""Bad input to the telephony intake: a clear 4xx and nothing stored."""

from typing import Any

import pytest
from sqlalchemy import func, select

from server.db import telephony_tables as tt
from tests.telephony.conftest import Centre
from tests.telephony.events import call, event


def stored(centre: Centre) -> int:
    with centre.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tt.telephony_event)).scalar_one())


def good() -> dict[str, Any]:
    return event("contact_abandoned", contact_id="x-1")


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("at is a number", {"events": [{**good(), "at": 12345}]}, 422, "validation_failed"),
        (
            "at without offset",
            {"events": [{**good(), "at": "2026-03-02T10:00:00"}]},
            422,
            "validation_failed",
        ),
        (
            "at is not a time",
            {"events": [good(), {**good(), "event_id": "z", "at": "next tuesday!"}]},
            422,
            "validation_failed",
        ),
        ("unknown type", {"events": [{**good(), "type": "contact_teleported"}]}, 422, "validation_failed"),
        (
            "missing contact",
            {"events": [{"type": "contact_ended", "event_id": "a", "at": good()["at"]}]},
            422,
            "validation_failed",
        ),
        ("huge id", {"events": [{**good(), "contact_id": "x" * 5000}]}, 422, "validation_failed"),
        (
            "bad state",
            {"events": [event("agent_state", agent_id="a", state="asleep")]},
            422,
            "validation_failed",
        ),
        ("no events", {"events": []}, 422, "validation_failed"),
        ("not a list", {"events": "all of them"}, 422, "validation_failed"),
        (
            "1001 events",
            {"events": [event("contact_abandoned", contact_id=f"x-{i}") for i in range(1001)]},
            422,
            "validation_failed",
        ),
    ],
)
def test_invalid_batches_store_nothing(centre: Centre, name: str, body: Any, status: int, code: str) -> None:
    with centre.phone() as phone:
        resp = phone.post("/api/v1/telephony/events", json=body)
    assert resp.status_code == status, name
    assert resp.json()["error"]["code"] == code
    assert stored(centre) == 0


def test_malformed_json_and_a_10_mib_body(centre: Centre) -> None:
    with centre.phone() as phone:
        resp = phone.post(
            "/api/v1/telephony/events", content=b'{"events": [', headers={"Content-Type": "application/json"}
        )
        assert (resp.status_code, resp.json()["error"]["code"]) == (400, "bad_request")
        huge = b'{"events": [' + b" " * (10 * 1024 * 1024) + b"]}"
        resp = phone.post(
            "/api/v1/telephony/events", content=huge, headers={"Content-Type": "application/json"}
        )
        assert (resp.status_code, resp.json()["error"]["code"]) == (413, "too_large")
    assert stored(centre) == 0


def test_hostile_strings_are_data(centre: Centre) -> None:
    q1 = centre.demo.queue_ids[0]
    hostile = "'); DROP TABLE telephony_event; -- <script>\u202e"
    events = call(hostile, q1, "<b>+44 20 7946 0018</b>")
    with centre.phone() as phone:
        assert phone.post("/api/v1/telephony/events", json={"events": events}).json()["accepted"] == 2
        state = phone.get("/api/v1/telephony/state").json()
    (contact,) = state["contacts"]
    assert contact["contact_id"] == hostile
    assert contact["phone"] == "<b>+44 20 7946 0018</b>"
    assert stored(centre) == 2


def test_unknown_queues_are_rejected_one_by_one(centre: Centre) -> None:
    q1 = centre.demo.queue_ids[0]
    events = call("ok-1", q1, None) + call("bad-1", "no-such-queue", None)
    events.append(event("agent_state", agent_id="sim-1", state="available", queues=["nope"]))
    with centre.phone() as phone:
        result = phone.post("/api/v1/telephony/events", json={"events": events}).json()
    assert result["accepted"] == 2 and result["duplicates"] == 0
    assert sorted(r["event_id"] for r in result["rejected"]) == sorted(e["event_id"] for e in events[2:])
    assert all("unknown queue" in r["reason"] for r in result["rejected"])
    assert stored(centre) == 2


def test_duplicates_are_counted_and_ignored(centre: Centre) -> None:
    events = call("d-1", centre.demo.queue_ids[0], None)
    with centre.phone() as phone:
        first = phone.post("/api/v1/telephony/events", json={"events": events + events[:1]}).json()
        again = phone.post("/api/v1/telephony/events", json={"events": events}).json()
    assert (first["accepted"], first["duplicates"]) == (2, 1)
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert stored(centre) == 2
