"""Open conflicts, their resolution as `resolve_conflict` commands, and the rejected log, on a real cache."""

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from desktop.services.conflict_work import (
    ConflictWorkError,
    EditSpec,
    Resolution,
    choices,
    dismiss_rejected,
    edit_spec,
    open_conflicts,
    parse_edit,
    record_conflicts,
    rejected_changes,
    resolution,
    resolve,
)
from desktop.services.store import Cache, apply_page, open_cache, outbox_counts
from desktop.services.store.outbox import entries_for
from desktop.services.store.schema import rejected_log
from wire.fast import ValidatedChange
from wire.records import validate_record

CUSTOMER = "00000000-0000-4000-8000-000000000001"
CASE = "00000000-0000-4000-8000-0000000000c1"
C_DESC = "00000000-0000-4000-8000-00000000f001"
C_PRIO = "00000000-0000-4000-8000-00000000f002"
C_DUP = "00000000-0000-4000-8000-00000000f003"
C_GONE = "00000000-0000-4000-8000-00000000f004"
C_DONE = "00000000-0000-4000-8000-00000000f005"
_seq = itertools.count(1)


def _change(kind: str, row_id: str, version: int = 1, /, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=kind,
        id=row_id,
        op="upsert",
        version=version,
        record=validate_record(kind, fields),
        extra={},
    )


def _conflict(row_id: str, field: str, base: Any, theirs: Any, mine: Any, **more: Any) -> ValidatedChange:
    values: dict[str, Any] = {
        "entity": "case",
        "entity_id": CASE,
        "field": field,
        "base_value": base,
        "server_value": theirs,
        "client_value": mine,
        "created_at": f"2026-11-01T10:00:0{next(_seq) % 10}+00:00",
        **more,
    }
    return _change("conflict", row_id, 1, **values)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    apply_page(
        opened.writer,
        "directory",
        [
            _change("customer", CUSTOMER, display_name="Ada Lovelace", territory_id="t1"),
            _change("case", CASE, number="CS-1", customer_id=CUSTOMER, subject="Broken router"),
        ],
        None,
        primed=True,
    )
    apply_page(
        opened.writer,
        "user:u1",
        [
            _conflict(C_DESC, "description", "", "from agent", "from supervisor"),
            _conflict(C_PRIO, "priority", "normal", "high", "urgent"),
            _conflict(
                C_DUP,
                "possible_duplicate",
                None,
                "other-customer",
                "+447400123456",
                entity="customer",
                entity_id=CUSTOMER,
                kind="possible_duplicate",
            ),
            _conflict(
                C_GONE,
                "*",
                {"subject": "Broken router"},
                None,
                {"subject": "Fixed"},
                entity="case",
                entity_id="00000000-0000-4000-8000-0000000000c9",
                kind="deleted_remotely",
            ),
            _conflict(C_DONE, "subject", "a", "b", "c", status="resolved"),
        ],
        None,
        primed=True,
    )
    yield opened
    opened.close()


def test_open_conflicts_show_base_theirs_and_mine_with_their_record(cache: Cache) -> None:
    with cache.read() as conn:
        found = {c.conflict_id: c for c in open_conflicts(conn)}
    assert set(found) == {C_DESC, C_PRIO, C_DUP, C_GONE}  # the resolved one is not listed
    desc = found[C_DESC]
    assert (desc.field, desc.kind, desc.base, desc.theirs, desc.mine) == (
        "description",
        "field",
        "",
        "from agent",
        "from supervisor",
    )
    assert desc.record.title == "Ada Lovelace · CS-1 · Broken router"
    assert desc.record.customer_id == CUSTOMER
    assert not desc.resolving
    assert found[C_DUP].record.title == "Ada Lovelace"
    assert found[C_GONE].record.title == ""  # the record is gone from the cache
    assert found[C_GONE].mine == {"subject": "Fixed"}


def test_record_conflicts_are_every_open_field_of_one_record(cache: Cache) -> None:
    with cache.read() as conn:
        fields = [c.field for c in record_conflicts(conn, "case", CASE)]
        assert record_conflicts(conn, "case", "nothing") == []
    assert fields == ["description", "priority"]


def test_choices_and_commands_follow_the_kind_of_conflict(cache: Cache) -> None:
    with cache.read() as conn:
        found = {c.conflict_id: c for c in open_conflicts(conn)}
    desc, prio, dup, gone = found[C_DESC], found[C_PRIO], found[C_DUP], found[C_GONE]
    assert choices(desc) == ("theirs", "mine", "edit")
    assert choices(dup) == ("theirs",)
    assert choices(gone) == ("theirs", "mine")
    assert resolution(desc, "theirs") == Resolution(C_DESC, "keep_server")
    assert resolution(desc, "mine") == Resolution(C_DESC, "use_value", "from supervisor")
    assert resolution(desc, "edit", "both").command() == {
        "name": "resolve_conflict",
        "action": "use_value",
        "value": "both",
    }
    assert resolution(gone, "mine") == Resolution(C_GONE, "restore")
    assert resolution(gone, "theirs") == Resolution(C_GONE, "keep_server")
    assert resolution(dup, "theirs").command() == {"name": "resolve_conflict", "action": "dismiss"}
    with pytest.raises(ConflictWorkError):
        resolution(prio, "edit", "sometime")  # not a priority
    with pytest.raises(ConflictWorkError):
        resolution(dup, "mine")


def test_edit_specs_and_parsing_follow_the_field_types() -> None:
    assert edit_spec("case", "subject") == EditSpec("text")
    assert edit_spec("case", "priority") == EditSpec("choice", ("low", "normal", "high", "urgent"))
    assert edit_spec("customer", "lifetime_value") == EditSpec("number")
    assert edit_spec("interaction", "duration_s") == EditSpec("integer")
    assert edit_spec("customer", "do_not_contact").kind == "none"
    assert edit_spec("nothing", "x").kind == "none"
    assert parse_edit(EditSpec("text"), "  tidy  ") == "tidy"
    assert parse_edit(EditSpec("number"), "12.5") == 12.5
    assert parse_edit(EditSpec("integer"), "7") == 7
    assert parse_edit(EditSpec("choice", ("low", "high")), "high") == "high"
    for spec, text in [
        (EditSpec("integer"), "x"),
        (EditSpec("choice", ("a",)), "b"),
        (EditSpec("none"), "1"),
    ]:
        with pytest.raises(ConflictWorkError):
            parse_edit(spec, text)


def test_resolving_queues_one_command_per_conflict_and_marks_them_resolving(cache: Cache) -> None:
    changed = resolve(
        cache.writer,
        [Resolution(C_DESC, "use_value", "both texts"), Resolution(C_PRIO, "keep_server")],
    )
    assert changed.outbox
    assert changed.ids("conflict") == {C_DESC, C_PRIO}
    with cache.read() as conn:
        [entry] = entries_for(conn, "conflict", C_DESC)
        assert (entry.op, entry.base_version, entry.state) == ("command", 1, "pending")
        assert entry.new_values == {"name": "resolve_conflict", "action": "use_value", "value": "both texts"}
        assert entries_for(conn, "conflict", C_PRIO)[0].new_values["action"] == "keep_server"
        resolving = {c.conflict_id: c.resolving for c in open_conflicts(conn)}
        assert outbox_counts(conn).pending == 2
    assert resolving == {C_DESC: True, C_PRIO: True, C_DUP: False, C_GONE: False}


def test_a_conflict_is_resolved_once_and_a_refusal_writes_nothing(cache: Cache) -> None:
    resolve(cache.writer, [Resolution(C_DESC, "keep_server")])
    with pytest.raises(ConflictWorkError, match="already being resolved"):
        resolve(cache.writer, [Resolution(C_PRIO, "keep_server"), Resolution(C_DESC, "keep_server")])
    with pytest.raises(ConflictWorkError, match="already closed"):
        resolve(cache.writer, [Resolution(C_DONE, "keep_server")])
    with cache.read() as conn:
        assert entries_for(conn, "conflict", C_PRIO) == []  # all or nothing
        assert outbox_counts(conn).pending == 1


def _reject(cache: Cache, mutation_id: str, at: str, new_values: dict[str, Any], reason: str) -> None:
    payload = {
        "mutation_id": mutation_id,
        "client_seq": 3,
        "entity": "case_note",
        "entity_id": "n-" + mutation_id,
        "op": "append",
        "base_version": None,
        "base_values": None,
        "new_values": new_values,
        "depends_on": None,
    }
    with cache.writer.transaction() as conn:
        conn.execute(
            insert(rejected_log).values(
                mutation_id=mutation_id, payload=json.dumps(payload), reason=reason, at=at
            )
        )


def test_rejected_changes_carry_the_reason_and_the_text_sent(cache: Cache) -> None:
    _reject(
        cache, "m1", "2026-11-01T09:00:00+00:00", {"case_id": CASE, "body": "Line one\nLine two"}, "forbidden"
    )
    _reject(cache, "m2", "2026-11-02T09:00:00+00:00", {"body": "later", "n": 3}, "unknown case")
    with cache.read() as conn:
        found = rejected_changes(conn)
    assert [r.mutation_id for r in found] == ["m2", "m1"]  # newest first
    first = found[1]
    assert (first.entity, first.op, first.reason) == ("case_note", "append", "forbidden")
    assert first.sent_text() == f"case_id: {CASE}\nbody: Line one\nLine two"
    assert found[0].sent_text() == "body: later\nn: 3"
    changed = dismiss_rejected(cache.writer, ["m1"])
    assert changed.outbox
    with cache.read() as conn:
        assert [r.mutation_id for r in rejected_changes(conn)] == ["m2"]
        assert conn.execute(select(rejected_log.c.mutation_id)).scalars().all() == ["m2"]
