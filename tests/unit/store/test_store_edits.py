"""Local edits: the visible row and the outbox commit together; squash rules; creates and appends."""

import json
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from desktop.services.store import Cache, LocalEditError, apply_local_edit, apply_page, edits, new_record_id
from desktop.services.store.schema import outbox, server_shadow
from tests.unit.store.conftest import ChangeFactory


def _outbox(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(outbox).order_by(outbox.c.client_seq)).mappings()
    return [dict(r) for r in rows]


def _seed(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "territory:t1", [change("customer", "c1", 3)], "cur-1")


def test_update_writes_row_outbox_and_shadow(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    changed = apply_local_edit(
        cache.writer, "customer", "c1", "update", {"display_name": "Ada King", "tier": "standard"}
    )
    assert changed.ids("customer") == {"c1"} and changed.outbox
    with cache.read() as conn:
        entries = _outbox(conn)
        shadow = conn.execute(select(server_shadow)).mappings().one()
        name = conn.execute(text("SELECT display_name, version FROM customer WHERE id='c1'")).one()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["op"] == "update" and entry["state"] == "pending" and entry["base_version"] == 3
    assert json.loads(entry["new_values"]) == {"display_name": "Ada King"}  # unchanged tier not sent
    assert json.loads(entry["base_values"]) == {"display_name": "Ada Lovelace"}
    assert shadow["version"] == 3 and json.loads(shadow["values_json"])["display_name"] == "Ada Lovelace"
    assert tuple(name) == ("Ada King", 3)


def test_failure_between_row_and_outbox_leaves_neither(
    cache: Cache, change: ChangeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(cache, change)

    def boom(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("injected")

    monkeypatch.setattr(edits, "insert_outbox", boom)
    with pytest.raises(RuntimeError, match="injected"):
        apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Lost"})
    with cache.read() as conn:
        assert conn.execute(text("SELECT display_name FROM customer")).scalar() == "Ada Lovelace"
        assert _outbox(conn) == []
        assert conn.execute(text("SELECT count(*) FROM server_shadow")).scalar() == 0
    # the writer is still usable afterwards
    monkeypatch.undo()
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Kept"})
    with cache.read() as conn:
        assert len(_outbox(conn)) == 1


def test_pending_edits_squash_keeping_first_base_and_mutation_id(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "One"})
    with cache.read() as conn:
        first = _outbox(conn)[0]
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Two", "region": "North"})
    with cache.read() as conn:
        entries = _outbox(conn)
    assert len(entries) == 1
    assert entries[0]["mutation_id"] == first["mutation_id"]
    assert json.loads(entries[0]["base_values"]) == {"display_name": "Ada Lovelace", "region": ""}
    assert json.loads(entries[0]["new_values"]) == {"display_name": "Two", "region": "North"}


def test_inflight_entries_are_never_touched(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "One"})
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().values(state="inflight"))
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Two"})
    with cache.read() as conn:
        entries = _outbox(conn)
    assert [e["state"] for e in entries] == ["inflight", "pending"]
    assert json.loads(entries[0]["new_values"]) == {"display_name": "One"}
    assert json.loads(entries[1]["base_values"]) == {"display_name": "One"}
    assert entries[1]["mutation_id"] != entries[0]["mutation_id"]


def test_an_entry_a_push_may_have_carried_is_never_squashed_or_dropped(
    cache: Cache, change: ChangeFactory
) -> None:
    """Pending again after a push (response lost, or a crash): the server may hold its mutation id,
    so a later edit gets an entry of its own, and deleting a create it carried is sent as a delete."""
    _seed(cache, change)
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "One"})
    apply_local_edit(cache.writer, "customer", "c9", "create", {"display_name": "New", "territory_id": "t1"})
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().values(attempts=1))  # claimed once, pending again
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Two"})
    apply_local_edit(cache.writer, "customer", "c9", "delete", {})
    with cache.read() as conn:
        entries = _outbox(conn)
    assert [(e["entity_id"], e["op"]) for e in entries] == [
        ("c1", "update"),
        ("c9", "create"),
        ("c1", "update"),
        ("c9", "delete"),
    ]
    assert json.loads(entries[0]["new_values"]) == {"display_name": "One"}
    assert json.loads(entries[2]["new_values"]) == {"display_name": "Two"}


def test_create_then_update_squashes_into_the_create_and_delete_drops_it(cache: Cache) -> None:
    cid = new_record_id()
    apply_local_edit(
        cache.writer, "customer", cid, "create", {"display_name": "New Co", "territory_id": "t1"}
    )
    apply_local_edit(cache.writer, "customer", cid, "update", {"organisation": "New Co Ltd"})
    with cache.read() as conn:
        entries = _outbox(conn)
        row = conn.execute(
            text("SELECT version, organisation, tier FROM customer WHERE id = :i"), {"i": cid}
        ).one()
    assert [e["op"] for e in entries] == ["create"]
    assert json.loads(entries[0]["new_values"])["organisation"] == "New Co Ltd"
    assert tuple(row) == (0, "New Co Ltd", "standard")
    apply_local_edit(cache.writer, "customer", cid, "delete", {})
    with cache.read() as conn:
        assert _outbox(conn) == []
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0


def test_update_then_delete_becomes_one_delete(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "One"})
    apply_local_edit(cache.writer, "customer", "c1", "delete", {})
    with cache.read() as conn:
        entries = _outbox(conn)
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0
    assert [(e["op"], e["base_version"]) for e in entries] == [("delete", 3)]


def test_append_depends_on_and_refusals(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    cp = new_record_id()
    apply_local_edit(
        cache.writer,
        "contact_point",
        cp,
        "create",
        {"customer_id": "c1", "kind": "email", "value": "a@b.example"},
    )
    apply_local_edit(cache.writer, "contact_point", cp, "update", {"label": "work"})
    note = new_record_id()
    apply_local_edit(
        cache.writer,
        "interaction",
        note,
        "append",
        {"customer_id": "c1", "channel": "field_visit", "occurred_at": "2024-05-01T10:00:00+00:00"},
    )
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().where(outbox.c.entity == "contact_point").values(state="inflight"))
    apply_local_edit(cache.writer, "contact_point", cp, "update", {"label": "home"})
    with cache.read() as conn:
        entries = _outbox(conn)
    create = next(e for e in entries if e["entity"] == "contact_point" and e["op"] == "create")
    later = entries[-1]
    assert later["op"] == "update" and later["depends_on"] == create["mutation_id"]
    assert any(e["op"] == "append" and e["entity_id"] == note for e in entries)

    count = len(entries)
    for entity, row_id, op, values in [
        ("customer", "c1", "update", {"display_name": 5}),
        ("customer", "c1", "update", {"no_such_field": 1}),
        ("customer", "missing", "update", {"display_name": "X"}),
        ("interaction", note, "update", {"summary": "x"}),
        ("queue", "q1", "update", {"name": "x"}),
        ("nonsense", "x", "update", {}),
        ("customer", "c1", "create", {"display_name": "dup", "territory_id": "t1"}),
        ("customer", new_record_id(), "create", {"display_name": "no territory"}),
    ]:
        with pytest.raises(LocalEditError):
            apply_local_edit(cache.writer, entity, row_id, op, values)  # type: ignore[arg-type]
    with cache.read() as conn:
        assert len(_outbox(conn)) == count


def test_noop_update_writes_nothing(cache: Cache, change: ChangeFactory) -> None:
    _seed(cache, change)
    changed = apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Ada Lovelace"})
    assert not changed
    with cache.read() as conn:
        assert _outbox(conn) == []


def test_command_only_queues(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "user:u1", [change("conflict", "x1", 2)], "c")
    changed = apply_local_edit(
        cache.writer, "conflict", "x1", "command", {"name": "resolve_conflict", "action": "dismiss"}
    )
    assert changed.outbox and not changed.entities
    with cache.read() as conn:
        entries = _outbox(conn)
    assert entries[0]["op"] == "command" and entries[0]["base_version"] == 2
