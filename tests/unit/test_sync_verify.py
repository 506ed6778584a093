"""The daily integrity check (SYNC.md §1): scopes are compared with the server's scope checksum after
every snapshot and then every 24 h of the (injected) wall clock; only a scope that differs is
primed again. The engine runs against the real server (tests/e2e/conftest.py fixtures)."""

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, text

from desktop.services.store import apply_local_edit, open_cache, state
from desktop.services.store.migrations import MIGRATIONS
from desktop.services.store.schema import MIRRORS, row_scope
from desktop.services.store.state import ScopeState
from desktop.services.sync import VERIFY_INTERVAL, SyncEngine, verification_due
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from wire.sync import ScopeChecksum

# the end-to-end fixtures: the real server over loopback and signed-in desktop engines
keyring_env, _template, e2e_server, client = e2e.keyring_env, e2e._template, e2e.e2e_server, e2e.client

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class Wall:
    """An injected wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _with_wall(c: Client, wall: Callable[[], datetime]) -> Client:
    c.engine = SyncEngine(
        c.cache,
        c.api,
        clock=lambda: 0.0,
        sleep=lambda _s: None,
        rng=random.Random(3),
        on_status=c.statuses.append,
        on_changed=c.changes.append,
        on_rejected=c.rejections.append,
        wall_clock=wall,
    )
    return c


def _verified(c: Client) -> dict[str, str | None]:
    with c.cache.read() as conn:
        return {name: s.verified_at for name, s in state.read_state(conn).scopes.items()}


def _holding(c: Client, entity: str, row_id: str) -> set[str]:
    with c.cache.read() as conn:
        rows = conn.execute(
            row_scope.select().where(row_scope.c.entity == entity, row_scope.c.id == row_id)
        ).all()
    return {str(r.scope) for r in rows}


PHANTOM = "00000000-0000-7000-8000-00000000dead"


def _add_phantom(c: Client) -> None:
    """Corrupt the cache behind the engine's back: a customer the server never had, in `directory`."""
    with c.cache.writer.transaction() as conn:
        conn.execute(
            insert(MIRRORS["customer"]).values(id=PHANTOM, version=1, display_name="Phantom", extra={})
        )
        conn.execute(insert(row_scope).values(entity="customer", id=PHANTOM, scope="directory", stale=False))


def _cycle(c: Client) -> list[str]:
    """One cycle; returns the states it announced."""
    before = len(c.statuses)
    c.engine.run_once()
    return [s.state for s in c.statuses[before:]]


def test_due_after_a_snapshot_and_every_24_hours() -> None:
    def at(moment: datetime | None) -> ScopeState:
        return ScopeState("ref", "c", True, None if moment is None else moment.isoformat())

    assert verification_due(at(None), T0)
    assert not verification_due(at(T0), T0)
    assert not verification_due(at(T0), T0 + VERIFY_INTERVAL - timedelta(seconds=1))
    assert verification_due(at(T0), T0 + VERIFY_INTERVAL)
    assert verification_due(at(T0 + timedelta(hours=2)), T0)  # the clock went back
    naive = T0.replace(tzinfo=None)
    assert not verification_due(at(naive), T0 + timedelta(hours=1))
    assert verification_due(ScopeState("ref", "c", True, "not a time"), T0)


def test_tampered_row_is_repaired_at_the_daily_check_and_not_before(
    e2e_server: E2EServer, client: ClientFactory
) -> None:
    case_id, customer_id = e2e_server.seed.case_id, e2e_server.seed.customer_id
    wall = Wall()
    agent = _with_wall(client("agent"), wall)
    _cycle(agent)
    scopes = agent.engine.scopes()
    assert _verified(agent) == dict.fromkeys(scopes, T0.isoformat())  # checked after priming
    assert agent.engine.status.last_verified == T0.isoformat()

    # corrupt the cache: the case row vanishes, a phantom customer appears
    holding = _holding(agent, "case", case_id)
    assert holding
    with agent.cache.writer.transaction() as conn:
        conn.execute(delete(MIRRORS["case"]).where(MIRRORS["case"].c.id == case_id))
    _add_phantom(agent)
    damaged = {s for s, same in _compare(agent).items() if not same}
    assert damaged == holding | {"directory"}

    wall.now = T0 + VERIFY_INTERVAL - timedelta(minutes=1)
    assert "priming" not in _cycle(agent)
    assert agent.row("case", case_id) is None  # not checked yet: not repaired
    assert agent.row("customer", PHANTOM) is not None
    assert agent.engine.status.repaired == ()
    assert _verified(agent) == dict.fromkeys(scopes, T0.isoformat())

    wall.now = T0 + VERIFY_INTERVAL
    states = _cycle(agent)
    assert "priming" in states
    assert set(agent.engine.status.repaired) == damaged  # only the scopes that differed
    assert agent.row("case", case_id) is not None
    assert agent.row("customer", PHANTOM) is None
    assert agent.row("customer", customer_id) is not None
    assert agent.checksums() == agent.server_checksums()
    assert _verified(agent) == dict.fromkeys(scopes, wall.now.isoformat())
    assert agent.engine.status.last_verified == wall.now.isoformat()


def _compare(c: Client) -> dict[str, bool]:
    mine = c.checksums()
    theirs = c.server_checksums()
    return {s: mine[s] == theirs[s] for s in mine}


def test_clean_cache_is_checked_but_not_primed_again(e2e_server: E2EServer, client: ClientFactory) -> None:
    wall = Wall()
    agent = _with_wall(client("agent"), wall)
    _cycle(agent)
    with agent.cache.read() as conn:
        cursors = {n: s.cursor for n, s in state.read_state(conn).scopes.items()}

    wall.now = T0 + VERIFY_INTERVAL + timedelta(hours=3)
    states = _cycle(agent)
    assert "priming" not in states
    assert agent.engine.status.repaired == ()
    assert set(_verified(agent).values()) == {wall.now.isoformat()}
    with agent.cache.read() as conn:
        assert {n: s.cursor for n, s in state.read_state(conn).scopes.items()} == cursors
    assert agent.checksums() == agent.server_checksums()


def test_check_is_postponed_while_the_server_moves_on(e2e_server: E2EServer, client: ClientFactory) -> None:
    """The server's head moved between the pull and the checksum: the scopes cannot be compared,
    so they are not counted as checked, and the next cycle checks (and repairs) them."""
    case_id = e2e_server.seed.case_id
    wall = Wall()
    agent = _with_wall(client("agent"), wall)
    supervisor = client("supervisor")
    _cycle(agent)
    supervisor.engine.run_once()
    _add_phantom(agent)

    real = agent.api.scope_checksum
    moved: list[str] = []

    def moving(scope: str, client_id: str | None = None) -> ScopeChecksum:
        if not moved:  # another desktop's edit lands between the pull and the first checksum
            apply_local_edit(supervisor.cache.writer, "case", case_id, "update", {"priority": "high"})
            supervisor.engine.run_once()
            moved.append(scope)
        return real(scope, client_id)

    agent.api.scope_checksum = moving  # type: ignore[method-assign]
    wall.now = T0 + VERIFY_INTERVAL
    assert "priming" not in _cycle(agent)
    assert moved
    assert agent.row("customer", PHANTOM) is not None
    assert set(_verified(agent).values()) == {T0.isoformat()}  # postponed, not checked
    assert agent.engine.status.last_verified == T0.isoformat()

    assert "priming" in _cycle(agent)  # the next cycle (same day) checks and repairs
    assert agent.engine.status.repaired == ("directory",)
    assert agent.row("customer", PHANTOM) is None
    assert agent.row("case", case_id)["priority"] == "high"  # type: ignore[index]
    assert set(_verified(agent).values()) == {wall.now.isoformat()}
    assert agent.checksums() == agent.server_checksums()


def test_check_times_survive_a_restart_and_a_v1_cache_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    with cache:
        with cache.writer.transaction() as conn:
            state.set_cursor(conn, "ref", "cursor-1", primed=True, at="")
            state.mark_verified(conn, "ref", T0.isoformat())
        # the same file as an older build left it: schema 1, no verified_at column
        with cache.writer.transaction() as conn:
            conn.exec_driver_sql("ALTER TABLE sync_scope DROP COLUMN verified_at")
            conn.exec_driver_sql("PRAGMA user_version = 1")
    cache, report = open_cache(path, None)
    with cache:
        assert (report.outcome, report.schema_before, report.schema_version) == (
            "migrated",
            1,
            len(MIGRATIONS),
        )
        with cache.read() as conn:
            assert state.read_state(conn).scopes["ref"] == ScopeState("ref", "cursor-1", True, None)
        with cache.writer.transaction() as conn:
            state.mark_verified(conn, "ref", T0.isoformat())
    cache, report = open_cache(path, None)
    with cache:
        assert report.outcome == "opened"
        with cache.read() as conn:
            assert state.read_state(conn).scopes["ref"].verified_at == T0.isoformat()
            # a scope starting over from a snapshot is unverified again
        with cache.writer.transaction() as conn:
            state.set_cursor(conn, "ref", None, primed=False, at="")
        with cache.read() as conn:
            assert state.read_state(conn).scopes["ref"].verified_at is None
            assert conn.execute(text("SELECT count(*) FROM sync_scope")).scalar() == 1
