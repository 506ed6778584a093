"""The msgspec fast path decodes pull pages exactly like the pydantic models, and refuses bad input."""

import gc
import json
import uuid

import msgspec
import pytest

from wire.fast import decode_and_validate
from wire.records import Customer, Interaction
from wire.sync import PullResponse


def _page(changes: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {
            "epoch": "e1",
            "schema_version": 1,
            "head": 42,
            "client_acked_through": 3,
            "page_checksum": "sha256:x",
            "scopes": {"directory": {"mode": "log", "changes": changes, "next": "c", "has_more": False}},
        }
    ).encode()


def _customer(**extra: object) -> dict[str, object]:
    return {
        "seq": 7,
        "entity": "customer",
        "id": str(uuid.uuid4()),
        "op": "upsert",
        "version": 2,
        "fields": {
            "display_name": "Åsa Öberg",
            "territory_id": "t",
            "consent_marketing": True,
            "created_at": None,
            **extra,
        },
    }


def test_fast_and_pydantic_agree() -> None:
    changes = [
        _customer(),
        {
            "seq": 8,
            "entity": "interaction",
            "id": str(uuid.uuid4()),
            "op": "upsert",
            "version": 1,
            "fields": {
                "customer_id": "c",
                "channel": "field_visit",
                "occurred_at": "2026-01-01T10:00:00+00:00",
            },
        },
        {"seq": 9, "entity": "case", "id": str(uuid.uuid4()), "op": "delete", "version": 3, "fields": None},
    ]
    data = _page(changes)
    fast, validated = decode_and_validate(data)
    slow = PullResponse.model_validate_json(data)
    assert (fast.epoch, fast.head, fast.client_acked_through) == (
        slow.epoch,
        slow.head,
        slow.client_acked_through,
    )
    got = validated["directory"]
    assert [(c.seq, c.entity, c.id, c.op, c.version) for c in got] == [
        (c.seq, c.entity, c.id, c.op, c.version) for c in slow.scopes["directory"].changes
    ]
    assert isinstance(got[0].record, Customer) and got[0].record.display_name == "Åsa Öberg"
    assert isinstance(got[1].record, Interaction) and got[1].record.channel == "field_visit"
    assert got[2].record is None


def test_validated_changes_are_left_out_of_the_cycle_collector() -> None:
    _, validated = decode_and_validate(_page([_customer(loyalty_level={"tier": ["gold"]})]))
    change = validated["directory"][0]
    assert not gc.is_tracked(change)
    assert change.extra == {"loyalty_level": {"tier": ["gold"]}}


def test_unknown_fields_of_a_newer_server_are_kept() -> None:
    _, validated = decode_and_validate(_page([_customer(loyalty_level="gold")]))
    change = validated["directory"][0]
    assert change.extra == {"loyalty_level": "gold"}
    assert isinstance(change.record, Customer)


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        b"[]",
        _page([{**_customer(), "entity": "spaceship"}]),
        _page([{**_customer(), "fields": {"display_name": 5, "territory_id": "t"}}]),
        _page([{**_customer(), "op": "explode"}]),
        _page([{**_customer(), "fields": None}]),
        _page([{"seq": "x", "entity": "customer", "id": "i", "op": "upsert", "version": 1, "fields": {}}]),
    ],
)
def test_bad_pages_raise_typed_errors(bad: bytes) -> None:
    with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
        decode_and_validate(bad)
