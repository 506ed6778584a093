"""Scenario 13 of SYNC.md §5: a Hypothesis state machine with three desktops and the real server.

Each example gets three fresh profiles (two devices of `agent` and one `supervisor`, each a
`SyncEngine` over its own cache), primed against one server (SQLite) started once per test. The
rules edit fields of the seeded case and customer, append case notes, run one client's cycle,
partition a client (its API points at a dead address for its next cycle) and restart a client
(cache and engine closed and reopened). At the end of every example, after quiescence (every client
cycles until its outbox is empty, in two rounds):

- every client's per-scope checksum equals the server's `/api/v1/sync/scope_checksum`, and every
  client shows the server's values of the edited fields;
- no loss: every `mutation_id` a client recorded has its `client_mutation` row with an outcome;
- no duplicate: the server holds exactly the case notes the clients created, once each.

Small in CI; `LIAISON_MODEL_EXAMPLES` and `LIAISON_MODEL_STEPS` raise the counts.
"""

import itertools
import os
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from desktop.services.api import ApiClient
from desktop.services.api_errors import TransportError
from desktop.services.api_http import ApiConfig
from desktop.services.store import (
    Cache,
    apply_local_edit,
    new_record_id,
    open_cache,
    outbox_counts,
    scope_checksum,
    state,
)
from desktop.services.store.rows import read_row
from desktop.services.store.schema import outbox
from desktop.services.sync import SyncEngine
from tests.e2e.conftest import E2EServer
from tests.support.full_run import FULL_ENV
from tests.support.net import bound_socket

FULL = os.environ.get(FULL_ENV) == "1"  # `pytest --full`: SYNC.md's CI counts (500 x 50)
EXAMPLES = int(os.environ.get("LIAISON_MODEL_EXAMPLES", "500" if FULL else "5"))
STEPS = int(os.environ.get("LIAISON_MODEL_STEPS", "50" if FULL else "15"))
USERS = ("agent", "supervisor", "agent")
OUTCOMES = {"applied", "merged", "conflict", "rejected"}
#: cycles one client may need to drain its outbox at quiescence
DRAIN_CYCLES = 4

FIELDS = [
    ("case", "subject"),
    ("case", "description"),
    ("case", "priority"),
    ("customer", "display_name"),
]
PRIORITIES = ["low", "normal", "high", "urgent"]


def _no_wait(_seconds: float) -> None:
    return None


@dataclass
class Device:
    """One desktop profile: its cache file, API client and engine."""

    path: Path
    username: str
    url: str
    cache: Cache | None = None
    api: ApiClient | None = None
    engine: SyncEngine | None = None
    partitioned: bool = False

    def open(self) -> None:
        self.cache, _report = open_cache(self.path, None)
        self.api = ApiClient(ApiConfig(base_url=self.url), None, sleep=_no_wait)
        self.api.login(self.username, "demo")
        self.engine = SyncEngine(
            self.cache, self.api, clock=lambda: 0.0, sleep=_no_wait, rng=random.Random(3)
        )

    def close(self) -> None:
        if self.api is not None:
            self.api.close()
        if self.cache is not None:
            self.cache.close()
        self.cache = self.api = self.engine = None

    def mutation_ids(self) -> set[str]:
        assert self.cache is not None
        with self.cache.read() as conn:
            query = outbox.select().with_only_columns(outbox.c.mutation_id)
            return {str(m) for m in conn.execute(query).scalars()}

    def drained(self) -> bool:
        assert self.cache is not None
        with self.cache.read() as conn:
            counts = outbox_counts(conn)
        return counts.pending == 0 and counts.acked == 0

    def row(self, entity: str, row_id: str) -> dict[str, object] | None:
        assert self.cache is not None
        with self.cache.read() as conn:
            found = read_row(conn, entity, row_id)
        return None if found is None else found[1]

    def checksums(self) -> tuple[dict[str, str], dict[str, str]]:
        """(mine, the server's) per subscribed scope."""
        assert self.cache is not None and self.engine is not None and self.api is not None
        scopes = self.engine.scopes()
        with self.cache.read() as conn:
            mine = {s: scope_checksum(conn, s)[1] for s in scopes}
            client_id = state.read_state(conn).client_id
        theirs = {s: self.api.scope_checksum(s, client_id).checksum for s in scopes}
        return mine, theirs


@pytest.fixture
def dead_url() -> Iterator[str]:
    """An address that refuses connections: bound, never listening (so no one else takes it)."""
    sock: socket.socket = bound_socket()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_replicas_converge_without_loss_or_duplicates(
    e2e_server: E2EServer, tmp_path: Path, dead_url: str
) -> None:
    seed = e2e_server.seed
    rows = {"case": seed.case_id, "customer": seed.customer_id}
    base_notes = len(e2e_server.query("SELECT 1 FROM case_note"))
    notes: set[str] = set()  # every note id created, over all examples (the server is shared)
    examples = itertools.count()

    class SyncModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            root = tmp_path / f"example-{next(examples)}"
            self.devices = [
                Device(root / f"{i}-{u}" / "cache.db", u, e2e_server.url) for i, u in enumerate(USERS)
            ]
            self.recorded: set[str] = set()
            for device in self.devices:
                device.open()
                assert device.engine is not None
                device.engine.run_once()

        def _record(self, device: Device) -> None:
            self.recorded |= device.mutation_ids()

        @rule(
            who=st.integers(0, len(USERS) - 1),
            field=st.sampled_from(FIELDS),
            value=st.integers(0, 3),
        )
        def edit(self, who: int, field: tuple[str, str], value: int) -> None:
            device = self.devices[who]
            entity, name = field
            new = PRIORITIES[value] if name == "priority" else f"{name} {value} by {who}"
            assert device.cache is not None
            apply_local_edit(device.cache.writer, entity, rows[entity], "update", {name: new})
            self._record(device)

        @rule(who=st.integers(0, len(USERS) - 1))
        def append(self, who: int) -> None:
            device = self.devices[who]
            note_id = new_record_id()
            assert device.cache is not None
            apply_local_edit(
                device.cache.writer,
                "case_note",
                note_id,
                "append",
                {"case_id": seed.case_id, "body": f"by {who}"},
            )
            notes.add(note_id)
            self._record(device)

        @rule(who=st.integers(0, len(USERS) - 1))
        def sync(self, who: int) -> None:
            device = self.devices[who]
            assert device.engine is not None and device.api is not None
            if not device.partitioned:
                device.engine.run_once()
                return
            http: httpx.Client = device.api._http
            http.base_url = httpx.URL(dead_url)
            try:
                with pytest.raises(TransportError):
                    device.engine.run_once()
            finally:
                http.base_url = httpx.URL(device.url)
                device.partitioned = False
            assert device.engine.status.state == "offline"

        @precondition(lambda self: not all(d.partitioned for d in self.devices))
        @rule(who=st.integers(0, len(USERS) - 1))
        def partition(self, who: int) -> None:
            self.devices[who].partitioned = True

        @rule(who=st.integers(0, len(USERS) - 1))
        def restart(self, who: int) -> None:
            device = self.devices[who]
            device.close()
            device.partitioned = False
            device.open()

        def teardown(self) -> None:
            try:
                self._quiesce()
                self._check()
            finally:
                for device in self.devices:
                    device.close()

        def _quiesce(self) -> None:
            for _round in range(2):
                for device in self.devices:
                    assert device.engine is not None
                    device.partitioned = False
                    for _ in range(DRAIN_CYCLES):
                        device.engine.run_once()
                        if device.drained():
                            break
                    assert device.drained(), f"{device.username}'s outbox did not drain"

        def _check(self) -> None:
            for i, device in enumerate(self.devices):
                mine, theirs = device.checksums()
                assert mine == theirs, f"client {i} ({device.username}) differs from the server"
            case = e2e_server.query(
                "SELECT subject, description, priority FROM support_case WHERE id = :i", i=seed.case_id
            )[0]
            [name] = e2e_server.query("SELECT display_name FROM customer WHERE id = :i", i=seed.customer_id)[
                0
            ]
            for device in self.devices:
                row = device.row("case", seed.case_id)
                assert row is not None
                assert (row["subject"], row["description"], row["priority"]) == tuple(case)
                customer = device.row("customer", seed.customer_id)
                assert customer is not None and customer["display_name"] == name
            # 0 lost: every recorded mutation has exactly one outcome on the server
            found = {
                str(r.mutation_id): str(r.outcome)
                for r in e2e_server.query("SELECT mutation_id, outcome FROM client_mutation")
            }
            lost = sorted(m for m in self.recorded if m not in found)
            assert not lost, f"mutations lost: {lost}"
            outcomes = {found[m] for m in self.recorded}
            assert outcomes <= OUTCOMES
            for outcome in sorted(outcomes):
                event(f"outcome: {outcome}")  # shown by --hypothesis-show-statistics
            # 0 duplicated: the server holds each created note once, and no other
            server_notes = {str(r.id) for r in e2e_server.query("SELECT id FROM case_note")}
            assert len(server_notes) - base_notes == len(notes)
            assert notes <= server_notes

    run_state_machine_as_test(
        SyncModel,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
