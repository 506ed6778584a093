"""The Qt-free services behind the customer screen: its queries (timeline ids and days in SQL,
open cases, contact points) and case work as local edits that reach the outbox."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from desktop.services import case_work
from desktop.services.customer_screen import (
    TimelineFilter,
    case_notes,
    channel_counts,
    contact_points,
    identities,
    masked,
    masked_email,
    open_cases,
    owned_by,
    profile,
    readable_phone,
    record_reveal,
    timeline_index,
    timeline_rows,
)
from desktop.services.store import Cache, apply_local_edit, open_cache, search
from desktop.services.store.driver import raw
from desktop.services.store.search_query import directory_primed
from server.sync.policy import CASE_TRANSITIONS as SERVER_TRANSITIONS
from tests.gui.customer.sample import (
    CASE_NEAR,
    CASE_OPEN,
    CASE_RESOLVED,
    CHANNEL_ROWS,
    CUSTOMER,
    DNC_CUSTOMER,
    bulk_interactions,
    seed,
)
from wire.auth import UserInfo

AGENT = UserInfo(
    id="u1", username="agent", display_name="Alex Agent", roles=["agent"], queue_ids=[], territory_ids=[]
)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    seed(opened)
    yield opened
    opened.close()


def outbox(cache: Cache) -> list[dict[str, Any]]:
    with cache.read() as conn:
        rows = conn.execute(
            text("SELECT entity, entity_id, op, new_values, depends_on FROM outbox ORDER BY client_seq")
        ).all()
    return [
        {"entity": r[0], "entity_id": r[1], "op": r[2], "new_values": json.loads(r[3]), "depends_on": r[4]}
        for r in rows
    ]


def test_the_state_machine_is_the_servers() -> None:
    assert {k: set(v) for k, v in case_work.CASE_TRANSITIONS.items()} == {
        k: set(v) for k, v in SERVER_TRANSITIONS.items()
    }


def test_allowed_statuses_in_lifecycle_order() -> None:
    assert case_work.allowed_statuses("pending") == ("open", "escalated", "resolved")
    assert case_work.allowed_statuses("resolved") == ("open", "closed")
    assert case_work.allowed_statuses("closed") == ()
    assert case_work.allowed_statuses("nonsense") == ()


def test_profile_identities_and_contact_points(cache: Cache) -> None:
    with cache.read() as conn:
        card = profile(conn, CUSTOMER)
        refs = identities(conn, CUSTOMER)
        points = contact_points(conn, CUSTOMER)
        dnc = profile(conn, DNC_CUSTOMER)
        missing = profile(conn, "nobody")
    assert card is not None and card.organisation == "Hale Gardens Ltd" and card.tier == "gold"
    assert card.lifetime_value == 18250.5 and not card.do_not_contact
    assert dnc is not None and dnc.do_not_contact and not dnc.consent_contact
    assert missing is None
    assert [(r.system, r.key) for r in refs] == [
        ("field_service", "FS-00917"),
        ("partner:northwind", "NW-44-2210"),
        ("web_shop", "WS-558812"),
    ]
    assert [(p.kind, p.is_primary) for p in points] == [("phone", True), ("phone", False), ("email", False)]


def test_timeline_ids_newest_first_with_days(cache: Cache) -> None:
    with cache.read() as conn:
        index = timeline_index(conn, CUSTOMER, TimelineFilter())
        rows = timeline_rows(conn, index.ids)
    assert len(index.ids) == len(CHANNEL_ROWS)
    stamps = [rows[i].occurred_at for i in index.ids]
    assert stamps == sorted(stamps, reverse=True)
    assert sum(n for _day, n in index.days) == len(index.ids)
    assert [d for d, _n in index.days] == sorted((d for d, _n in index.days), reverse=True)
    assert {rows[i].channel for i in index.ids} == {c[0] for c in CHANNEL_ROWS}


def test_timeline_filters_run_in_sql(cache: Cache) -> None:
    with cache.read() as conn:
        phone_and_chat = timeline_index(conn, CUSTOMER, TimelineFilter(frozenset({"phone", "chat"})))
        none = timeline_index(conn, CUSTOMER, TimelineFilter(frozenset()))
        parcel = timeline_index(conn, CUSTOMER, TimelineFilter(text="PARCEL"))
        by_partner = timeline_index(conn, CUSTOMER, TimelineFilter(text="northwind"))
        by_rep = timeline_index(conn, CUSTOMER, TimelineFilter(frozenset({"chat"}), "okafor"))
        wildcard = timeline_index(conn, CUSTOMER, TimelineFilter(text="%"))
        rows = timeline_rows(conn, phone_and_chat.ids)
    assert {r.channel for r in rows.values()} == {"phone", "chat"} and len(rows) == 2
    assert none.ids == [] and none.days == []
    assert parcel.ids == ["i1"]
    assert by_partner.ids == ["i5"]
    assert by_rep.ids == ["i2"]
    assert wildcard.ids == []  # a LIKE wildcard typed by the user is only text


def test_big_timeline_index_partitions_days(cache: Cache) -> None:
    bulk_interactions(cache, DNC_CUSTOMER, 5000)
    with cache.read() as conn:
        index = timeline_index(conn, DNC_CUSTOMER, TimelineFilter())
        counts = channel_counts(conn, DNC_CUSTOMER)
    assert len(index.ids) == 5000 and index.ids[0].endswith("0000000") and index.ids[-1].endswith("0004999")
    assert sum(n for _d, n in index.days) == 5000
    assert sum(counts.values()) == 5000 and set(counts) == {c[0] for c in CHANNEL_ROWS}


def test_open_cases_soonest_sla_first(cache: Cache) -> None:
    with cache.read() as conn:
        cases = open_cases(conn, CUSTOMER)
    assert [c.id for c in cases] == [CASE_NEAR, CASE_OPEN]  # the resolved one is not open


def test_status_change_follows_the_state_machine(cache: Cache) -> None:
    with pytest.raises(case_work.CaseWorkError):
        case_work.change_case(cache.writer, CASE_RESOLVED, status="pending")
    assert outbox(cache) == []
    changed = case_work.change_case(cache.writer, CASE_NEAR, status="resolved", priority="urgent")
    assert CASE_NEAR in changed.ids("case") and changed.outbox
    [entry] = outbox(cache)
    assert entry["op"] == "update" and entry["new_values"] == {"status": "resolved", "priority": "urgent"}
    with cache.read() as conn:
        assert [c.id for c in open_cases(conn, CUSTOMER)] == [CASE_OPEN]


def test_note_append_reaches_the_outbox(cache: Cache) -> None:
    with pytest.raises(case_work.CaseWorkError):
        case_work.add_note(cache.writer, CASE_OPEN, "   ", AGENT)
    changed = case_work.add_note(cache.writer, CASE_OPEN, "Called back, no answer.", AGENT)
    [entry] = outbox(cache)
    assert entry["entity"] == "case_note" and entry["op"] == "append"
    assert entry["new_values"]["body"] == "Called back, no answer."
    assert entry["new_values"]["author_name"] == "Alex Agent"
    assert entry["entity_id"] in changed.ids("case_note")
    with cache.read() as conn:
        assert [n.body for n in case_notes(conn, CASE_OPEN)][-1] == "Called back, no answer."


def test_escalate_is_a_command(cache: Cache) -> None:
    case_work.escalate(cache.writer, CASE_OPEN, "Third outage this week")
    [entry] = outbox(cache)
    assert entry["op"] == "command" and entry["new_values"] == {
        "name": "escalate",
        "reason": "Third outage this week",
    }
    with cache.read() as conn:
        assert case_work.pending_escalation(conn, CASE_OPEN)
        assert not case_work.pending_escalation(conn, CASE_NEAR)
    with pytest.raises(case_work.CaseWorkError):
        case_work.escalate(cache.writer, CASE_RESOLVED, "too late")


def test_log_interaction_and_its_rules(cache: Cache) -> None:
    with pytest.raises(case_work.CaseWorkError):
        case_work.log_interaction(cache.writer, CUSTOMER, "partner_contact", "Met them", AGENT)
    row_id, changed = case_work.log_interaction(
        cache.writer, CUSTOMER, "field_visit", "Checked the meter", AGENT, case_id=CASE_OPEN, outcome="ok"
    )
    assert row_id in changed.ids("interaction")
    with cache.read() as conn:
        assert owned_by(conn, "interaction", [row_id, "i0", "nope"], CUSTOMER) == {row_id, "i0"}
        item = timeline_rows(conn, [row_id])[row_id]
    assert item.channel == "field_visit" and item.agent_name == "Alex Agent" and item.case_id == CASE_OPEN
    [entry] = outbox(cache)
    assert entry["entity"] == "interaction" and entry["op"] == "append"


def test_new_case_is_searchable_and_depends_on_a_new_customer(cache: Cache) -> None:
    customer_id = "10000000-0000-4000-8000-000000000001"
    apply_local_edit(
        cache.writer, "customer", customer_id, "create", {"display_name": "New Person", "territory_id": "t1"}
    )
    case_id, _changed = case_work.new_case(cache.writer, customer_id, "Broken kettle", AGENT, priority="high")
    create, case_entry = outbox(cache)
    assert case_entry["entity"] == "case" and case_entry["op"] == "create"
    assert case_entry["depends_on"] is not None
    number = case_work.case_number(case_id)
    assert case_entry["new_values"]["number"] == number and case_entry["new_values"]["owner_id"] == "u1"
    with cache.read() as conn:
        assert [h.customer_id for h in search(raw(conn), number)] == [customer_id]
    with pytest.raises(case_work.CaseWorkError):
        case_work.new_case(cache.writer, customer_id, "x", AGENT, priority="whenever")
    assert create["entity"] == "customer"


def test_phones_for_reading_and_masking() -> None:
    assert readable_phone("+442079460958", "GB") == "020 7946 0958"
    assert readable_phone("+442079460958", "NL") == "+44 20 7946 0958"
    assert readable_phone("not a phone", "GB") == "not a phone"
    assert masked("020 7946 0958") == "••• •••• •958"
    assert masked_email("margaret@example.com") == "m•••••••@example.com"
    assert masked_email("x@y.z") == "x•••@y.z"


def test_reveal_is_audited_without_the_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="liaison.audit"):
        at = record_reveal("agent", CUSTOMER, "p1", "phone")
    [record] = caplog.records
    assert record.name == "liaison.audit"
    message = record.getMessage()
    assert "user=agent" in message and "contact_point=p1" in message and at in message
    assert "7946" not in message


def test_directory_primed(tmp_path: Path) -> None:
    opened, _ = open_cache(tmp_path / "c.db", None)
    try:
        with opened.read_raw() as conn:
            assert not directory_primed(conn)
        seed(opened, primed=True)
        with opened.read_raw() as conn:
            assert directory_primed(conn)
    finally:
        opened.close()
