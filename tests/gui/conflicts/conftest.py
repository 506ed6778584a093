"""Fixtures for the conflicts panel: a real cache file with a customer, a case, open conflicts of
every kind and rejected changes, and a view context whose task runner runs inline."""

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from desktop.services.store import Cache, apply_page, open_cache
from desktop.services.store.schema import rejected_log
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.tasks import TaskRunner
from wire.fast import ValidatedChange
from wire.records import validate_record

CUSTOMER = "00000000-0000-4000-8000-000000000001"
TWIN = "00000000-0000-4000-8000-000000000002"
CASE = "00000000-0000-4000-8000-0000000000c1"
C_DESC = "00000000-0000-4000-8000-00000000f001"
C_PRIO = "00000000-0000-4000-8000-00000000f002"
C_DUP = "00000000-0000-4000-8000-00000000f003"
_seq = itertools.count(1)


def change(kind: str, row_id: str, version: int = 1, /, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=kind,
        id=row_id,
        op="upsert",
        version=version,
        record=validate_record(kind, fields),
        extra={},
    )


def conflict(
    row_id: str, field: str, base: Any, theirs: Any, mine: Any, version: int = 1, **more: Any
) -> ValidatedChange:
    values: dict[str, Any] = {
        "entity": "case",
        "entity_id": CASE,
        "field": field,
        "base_value": base,
        "server_value": theirs,
        "client_value": mine,
        "created_at": "2026-11-01T10:00:00+00:00",
        **more,
    }
    return change("conflict", row_id, version, **values)


def reject(cache: Cache, mutation_id: str, body: str, reason: str, at: str) -> None:
    """Put a rejected case note into the rejected log, as the sync engine records one."""
    payload = {
        "mutation_id": mutation_id,
        "client_seq": 4,
        "entity": "case_note",
        "entity_id": "00000000-0000-4000-8000-0000000000n1",
        "op": "append",
        "base_version": None,
        "base_values": None,
        "new_values": {"case_id": CASE, "body": body},
        "depends_on": None,
    }
    with cache.writer.transaction() as conn:
        conn.execute(
            insert(rejected_log).values(
                mutation_id=mutation_id, payload=json.dumps(payload), reason=reason, at=at
            )
        )


class SyncRequests:
    """Counts `request_sync()` calls (what the sync engine would be asked)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    apply_page(
        opened.writer,
        "directory",
        [
            change("customer", CUSTOMER, display_name="Margaret Okonkwo-Hale", territory_id="t1"),
            change("customer", TWIN, display_name="Maggie Hale", territory_id="t1"),
            change(
                "case",
                CASE,
                number="CS-1042",
                customer_id=CUSTOMER,
                subject="Router keeps dropping the line",
                description="from agent",
                priority="high",
            ),
        ],
        None,
        primed=True,
    )
    apply_page(
        opened.writer,
        "user:u-agent",
        [
            conflict(
                C_DESC,
                "description",
                "Line drops every evening.",
                "from agent: replaced the filter, waiting a week",
                "from supervisor: engineer visit booked for Thursday",
            ),
            conflict(C_PRIO, "priority", "normal", "high", "urgent"),
            conflict(
                C_DUP,
                "possible_duplicate",
                None,
                TWIN,
                "+447400123456",
                entity="customer",
                entity_id=CUSTOMER,
                kind="possible_duplicate",
            ),
        ],
        None,
        primed=True,
    )
    reject(
        opened,
        "m-1",
        "Customer asked for a call back\nafter 5 pm.",
        "forbidden: outside your territories",
        "2026-11-02T09:30:00+00:00",
    )
    yield opened
    opened.close()


@pytest.fixture
def sync_requests() -> SyncRequests:
    return SyncRequests()


@pytest.fixture
def ctx(cache: Cache, sync_requests: SyncRequests) -> Iterator[ViewContext]:
    tasks = TaskRunner(cache.writer, inline=True)
    hub = ChangeHub()
    yield ViewContext(cache=cache, tasks=tasks, hub=hub, request_sync=sync_requests)
    tasks.shutdown()
