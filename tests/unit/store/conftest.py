"""Fixtures for the offline cache tests: real cache files in tmp_path, and pull changes made to order."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.services.store import Cache, open_cache
from wire.fast import ValidatedChange
from wire.records import validate_record

KEY = "3f" * 32

ChangeFactory = Callable[..., ValidatedChange]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    yield opened
    opened.close()


_DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {"display_name": "Ada Lovelace", "territory_id": "t1"},
    "contact_point": {"customer_id": "c1", "kind": "phone", "value": "+447400123456"},
    "external_ref": {"customer_id": "c1", "system": "billing", "key": "B-100"},
    "case": {"number": "CS-0001", "customer_id": "c1", "subject": "Broken"},
    "case_note": {"case_id": "k1", "body": "note"},
    "interaction": {"customer_id": "c1", "channel": "phone", "occurred_at": "2024-01-01T00:00:00+00:00"},
    "conflict": {"entity": "case", "entity_id": "k1", "field": "subject"},
}


@pytest.fixture
def change() -> ChangeFactory:
    """`change(entity, id, version, op="upsert", seq=1, extra={}, **fields)`."""
    counter = iter(range(1, 1_000_000))

    def make(
        entity: str,
        row_id: str,
        version: int = 1,
        op: str = "upsert",
        extra: dict[str, Any] | None = None,
        **fields: Any,
    ) -> ValidatedChange:
        record = None
        if op == "upsert":
            record = validate_record(entity, {**_DEFAULTS.get(entity, {}), **fields})
        return ValidatedChange(
            seq=next(counter),
            entity=entity,
            id=row_id,
            op=op,  # type: ignore[arg-type]
            version=version,
            record=record,
            extra=extra or {},
        )

    return make
