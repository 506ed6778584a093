"""The acceptance report over loopback HTTP equals a hand count of the responses agents pushed."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from server.db import tables as t
from tests.api.sync_helpers import Mirror
from tests.offers.catalog_builder import new_id
from tests.offers.conftest import OffersServer


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def test_acceptance_per_offer_and_queue_equals_a_hand_count(offers_server: OffersServer) -> None:
    cat = offers_server.catalog
    sales, retention = offers_server.queue["sales"], offers_server.queue["retention"]
    agent = Mirror(offers_server.client("agent"))
    agent.subscribe("ref")
    agent.pull_all()
    # (offer, queue, response, days ago)
    answers: list[tuple[str, str | None, str, float]] = [
        ("mesh", sales, "accepted", 1),
        ("mesh", sales, "declined", 2),
        ("mesh", retention, "accepted", 3),
        ("mesh", None, "not_now", 4),
        ("tv", sales, "declined", 5),
        ("tv", sales, "declined", 6),
        ("tv", retention, "not_now", 29),
        ("fan", None, "accepted", 10),
        ("fan", sales, "accepted", 45),  # outside the 30-day window
        ("tv", retention, "accepted", 31),  # outside too
    ]
    mutations: list[dict[str, Any]] = []
    for offer, queue, response, days in answers:
        values: dict[str, Any] = {
            "customer_id": cat.customer["c5"],
            "offer_id": cat.offer[offer],
            "response": response,
            "channel": "phone",
            "at": _at(days),
            "reason": "too expensive" if response == "declined" else None,
        }
        if queue is not None:
            values["queue_id"] = queue
        mutations.append(agent.mutation("offer_response", new_id(), "append", values))
    results = agent.push(*mutations)
    assert [r["outcome"] for r in results] == ["applied"] * len(answers)

    supervisor = offers_server.client("supervisor")
    resp = supervisor.get("/api/v1/offers/acceptance")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["days"] == 30
    assert report["total"] == {"offered": 8, "accepted": 3, "declined": 3, "not_now": 2, "rate": 3 / 8}
    by_offer = {row["title"]: row for row in report["by_offer"]}
    assert set(by_offer) == {"Offer mesh", "Offer tv", "Offer fan"}
    assert by_offer["Offer mesh"] | {"offer_id": None} == {
        "offer_id": None,
        "title": "Offer mesh",
        "offered": 4,
        "accepted": 2,
        "declined": 1,
        "not_now": 1,
        "rate": 0.5,
    }
    assert (by_offer["Offer tv"]["offered"], by_offer["Offer tv"]["rate"]) == (3, 0.0)
    assert (by_offer["Offer fan"]["offered"], by_offer["Offer fan"]["accepted"]) == (1, 1)
    by_queue = {row["queue_name"]: row for row in report["by_queue"]}
    assert {
        name: (q["offered"], q["accepted"], q["declined"], q["not_now"]) for name, q in by_queue.items()
    } == {
        "Sales": (4, 1, 3, 0),
        "Retention": (2, 1, 0, 1),
        "no queue": (2, 1, 0, 1),
    }
    assert by_queue["Sales"]["queue_id"] == sales and by_queue["no queue"]["queue_id"] is None
    assert [q["queue_name"] for q in report["by_queue"]][-1] == "no queue"

    wide = supervisor.get("/api/v1/offers/acceptance", params={"days": 60}).json()
    assert wide["total"]["offered"] == 10 and wide["total"]["accepted"] == 5

    # a tombstoned response no longer counts
    with offers_server.db.write() as conn:
        conn.execute(
            update(t.offer_response)
            .where(t.offer_response.c.offer_id == cat.offer["fan"])
            .values(deleted_at=datetime.now(UTC).isoformat())
        )
    assert supervisor.get("/api/v1/offers/acceptance").json()["total"]["offered"] == 7


def test_acceptance_is_for_supervisors_and_admins_only(offers_server: OffersServer) -> None:
    agent = offers_server.client("agent")
    resp = agent.get("/api/v1/offers/acceptance")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    admin = offers_server.client("admin")
    empty = admin.get("/api/v1/offers/acceptance")
    assert empty.status_code == 200
    assert empty.json()["total"] == {"offered": 0, "accepted": 0, "declined": 0, "not_now": 0, "rate": 0.0}
    for days in ("0", "-1", "99999", "ten", "1.5"):
        assert admin.get("/api/v1/offers/acceptance", params={"days": days}).status_code == 422, days
