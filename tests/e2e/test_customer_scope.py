"""On-demand customer scopes against the real server (SYNC.md §1): an agent opens a customer found
by the server's search whose history none of the agent's scopes hold; the server grants
`customer:<id>`, the engine pulls the history, keeps the scope across a restart, and drops it (and
the rows only it held) after the 24 h hold on the injected wall clock, or as soon as the server
stops granting it."""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop.services import customer_scopes
from desktop.services.api import ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, Changed, open_cache, state
from desktop.services.sync import SyncEngine
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from server.sync.terms import refresh_terms
from tests.e2e.conftest import E2EServer

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Outsider:
    """A customer of the agent's directory whose history no default scope of the agent holds."""

    customer_id: str
    interaction_id: str
    case_id: str


class WallClock:
    """The engine's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _no_wait(_seconds: float) -> None:
    return None


def add_outsider(server: E2EServer) -> Outsider:
    """Charles Babbage with a web visit and a resolved case (in no queue's open cases)."""
    found = Outsider(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            territory = server.seed.data.territory_ids[0]
            writer.insert(
                "customer",
                {"id": found.customer_id, "display_name": "Charles Babbage", "territory_id": territory},
            )
            writer.insert(
                "interaction",
                {
                    "id": found.interaction_id,
                    "customer_id": found.customer_id,
                    "channel": "web",
                    "occurred_at": "2026-11-20T10:00:00+00:00",
                    "summary": "Asked about the difference engine",
                },
            )
            writer.insert(
                "case",
                {
                    "id": found.case_id,
                    "number": "CS-77",
                    "customer_id": found.customer_id,
                    "subject": "Engine parts",
                    "status": "resolved",
                    "priority": "normal",
                    "queue_id": server.seed.data.queue_ids[0],
                    "origin_channel": "web",
                },
            )
            refresh_terms(conn, found.customer_id)
            writer.notify()
    finally:
        db.dispose()
    return found


def add_interaction(server: E2EServer, customer_id: str) -> str:
    interaction_id = str(uuid.uuid4())
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "interaction",
                {
                    "id": interaction_id,
                    "customer_id": customer_id,
                    "channel": "email",
                    "occurred_at": "2026-11-21T10:00:00+00:00",
                    "summary": "Sent the drawings",
                },
            )
            writer.notify()
    finally:
        db.dispose()
    return interaction_id


def add_customer(server: E2EServer, name: str) -> str:
    customer_id = str(uuid.uuid4())
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            territory = server.seed.data.territory_ids[0]
            writer.insert("customer", {"id": customer_id, "display_name": name, "territory_id": territory})
            writer.notify()
    finally:
        db.dispose()
    return customer_id


def agent_engine(cache: Cache, url: str, clock: WallClock, changes: list[Changed]) -> SyncEngine:
    api = ApiClient(ApiConfig(base_url=url), None, sleep=_no_wait)
    api.login("agent", "demo")
    return SyncEngine(
        cache,
        api,
        clock=lambda: 0.0,
        sleep=_no_wait,
        rng=random.Random(7),
        on_changed=changes.append,
        wall_clock=clock,
    )


def has_row(cache: Cache, entity: str, row_id: str) -> bool:
    from desktop.services.store.rows import read_row

    with cache.read() as conn:
        return read_row(conn, entity, row_id) is not None


def known_scopes(cache: Cache) -> set[str]:
    with cache.read() as conn:
        return set(state.read_state(conn).scopes)


def open_from_server_search(engine: SyncEngine, cache: Cache) -> str:
    """What the desktop does for a server search result: the detail call (the grant), then hold it."""
    [hit] = engine.api.search("Babbage").results
    scope, server_expiry = customer_scopes.request_grant(engine.api, cache, hit.id)
    assert scope == f"customer:{hit.id}"
    assert server_expiry
    engine.wake.clear()
    engine.add_scope(scope, server_expires_at=server_expiry)
    assert engine.wake.is_set()  # the live loop runs a cycle at once
    return scope


def test_a_customer_opened_from_the_server_fills_in_survives_a_restart_and_expires(
    e2e_server: E2EServer, tmp_path: Path
) -> None:
    outsider = add_outsider(e2e_server)
    clock = WallClock()
    changes: list[Changed] = []
    cache, _report = open_cache(tmp_path / "agent" / "cache.db", None)
    engine = agent_engine(cache, e2e_server.url, clock, changes)
    try:
        engine.run_once()
        # the directory holds the profile, but none of the agent's scopes holds the history
        assert has_row(cache, "customer", outsider.customer_id)
        assert not has_row(cache, "interaction", outsider.interaction_id)
        assert not has_row(cache, "case", outsider.case_id)
        with cache.read() as conn:
            assert not customer_scopes.held_in_full(conn, outsider.customer_id, clock.now)

        scope = open_from_server_search(engine, cache)
        assert scope in engine.scopes()
        with cache.read() as conn:
            assert customer_scopes.held_in_full(conn, outsider.customer_id, clock.now)
        changes.clear()
        engine.run_once()
        assert has_row(cache, "interaction", outsider.interaction_id)
        assert has_row(cache, "case", outsider.case_id)
        announced = Changed()
        for value in changes:
            announced.merge(value)
        assert outsider.interaction_id in announced.ids("interaction")  # the screen hears of it
        with cache.read() as conn:
            assert state.read_state(conn).scopes[scope].primed
        # the agent's scope matches the server's, and the integrity check passed for it
        assert engine.matches_server(scope, engine.head_seen) is True
    finally:
        engine.api.close()

    # a restart: the same cache, a new sign-in; the scope is still held and keeps syncing
    clock.now = START + timedelta(hours=23)
    engine = agent_engine(cache, e2e_server.url, clock, changes)
    try:
        assert scope in engine.scopes()
        later = add_interaction(e2e_server, outsider.customer_id)
        engine.run_once()
        assert has_row(cache, "interaction", outsider.interaction_id)
        assert has_row(cache, "interaction", later)  # the scope keeps syncing (log mode)
        assert scope in known_scopes(cache)

        # 24 hours after the grant (on this computer's clock) the scope and its rows go
        clock.now = START + customer_scopes.TTL + timedelta(minutes=1)
        assert scope not in engine.scopes()
        changes.clear()
        engine.run_once()
        assert scope not in known_scopes(cache)
        assert not has_row(cache, "interaction", outsider.interaction_id)
        assert not has_row(cache, "case", outsider.case_id)
        assert has_row(cache, "customer", outsider.customer_id)  # the directory still holds the profile
        announced = Changed()
        for value in changes:
            announced.merge(value)
        assert outsider.interaction_id in announced.ids("interaction")
        with cache.read() as conn:
            assert customer_scopes.grants(conn) == []
        assert engine.status.state == "idle"
    finally:
        engine.api.close()
        cache.close()


def test_a_scope_the_server_stops_granting_is_dropped_and_the_sync_goes_on(
    e2e_server: E2EServer, tmp_path: Path
) -> None:
    outsider = add_outsider(e2e_server)
    clock = WallClock()
    changes: list[Changed] = []
    cache, _report = open_cache(tmp_path / "agent" / "cache.db", None)
    engine = agent_engine(cache, e2e_server.url, clock, changes)
    try:
        engine.run_once()
        scope = open_from_server_search(engine, cache)
        engine.run_once()
        assert has_row(cache, "interaction", outsider.interaction_id)

        # the server's grant ends early (revoked, or the server's clock is ahead of ours)
        db = Database(e2e_server.db_url)
        try:
            with db.write() as conn:
                conn.exec_driver_sql(
                    "UPDATE scope_grant SET expires_at = '2000-01-01T00:00:00+00:00' WHERE scope = ?",
                    (scope,),
                )
        finally:
            db.dispose()
        newcomer = add_customer(e2e_server, "Mary Somerville")  # news in the directory scope
        engine.run_once()
        assert engine.status.state == "idle"
        assert engine.status.last_error is None
        assert scope not in engine.scopes()
        assert scope not in known_scopes(cache)
        assert not has_row(cache, "interaction", outsider.interaction_id)
        with cache.read() as conn:
            assert customer_scopes.grants(conn) == []
        assert has_row(cache, "customer", newcomer)  # the other scopes were pulled in the same cycle
    finally:
        engine.api.close()
        cache.close()
