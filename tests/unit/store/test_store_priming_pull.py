"""Priming against the real server over loopback: bigger snapshot pages, the next page fetched
while one is applied, the search index rebuilt once the scope is primed, and a fetch-ahead that
fails leaving the applied page committed, announced and resumable."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.services.api import ApiClient, PullResult
from desktop.services.api_errors import TransportError
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, Changed, open_cache, scope_checksum, search, state
from desktop.services.store.driver import raw
from desktop.services.store.search_index import dirty_count
from desktop.services.sync import SyncEngine
from desktop.services.sync_pull import SNAPSHOT_FACTOR, Puller
from desktop.services.sync_status import StatusBoard
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.e2e.conftest import seed_database
from tests.support.live import LiveServer, start_live_server
from wire.sync import PullRequest

EXTRA = 15
LIMIT = 2
#: the lost-fetch test's snapshot pages: small enough that `directory` takes several
SNAPSHOT = 8


@dataclass
class Served:
    live: LiveServer
    #: customer display names added on top of the demo seed → their phone numbers
    phones: dict[str, str]


def _add_customers(url: str) -> dict[str, str]:
    """Customers with a phone each (so a customer's document needs a later entity's rows)."""
    seed_data = seed_database(url)
    phones: dict[str, str] = {}
    db = Database(url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            for n in range(EXTRA):
                customer_id = str(uuid.uuid4())
                name = f"Priming Person{n:02}"
                phones[name] = f"+4474009{n:05}"
                writer.insert(
                    "customer",
                    {
                        "id": customer_id,
                        "display_name": name,
                        "territory_id": seed_data.data.territory_ids[0],
                    },
                )
                writer.insert(
                    "contact_point",
                    {
                        "id": str(uuid.uuid4()),
                        "customer_id": customer_id,
                        "kind": "phone",
                        "value": phones[name],
                    },
                )
            writer.notify()
    finally:
        db.dispose()
    return phones


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    phones = _add_customers(url)
    live = start_live_server(url)
    yield Served(live, phones)
    live.stop()


class RecordingApi(ApiClient):
    """The real client; keeps each pull request, and can lose the response of one pull."""

    def __init__(self, url: str, lose: int | None = None) -> None:
        super().__init__(ApiConfig(base_url=url))
        self.requests: list[PullRequest] = []
        self.results: list[PullResult] = []
        self._lose = lose

    def pull(self, request: PullRequest) -> PullResult:
        result = super().pull(request)
        self.requests.append(request)
        if len(self.requests) == self._lose:
            raise TransportError("the response was lost on the way back")
        self.results.append(result)
        return result


def _cache(tmp_path: Path) -> Cache:
    cache, _report = open_cache(tmp_path / "profile" / "cache.db", None)
    return cache


def _found(cache: Cache, query: str) -> list[str]:
    with cache.read() as conn:
        return [h.display_name for h in search(raw(conn), query)]


def test_priming_uses_big_pipelined_pages_and_indexes_at_the_end(tmp_path: Path, served: Served) -> None:
    cache = _cache(tmp_path)
    api = RecordingApi(served.live.url)
    try:
        api.login("agent", "demo")
        changes: list[Changed] = []
        engine = SyncEngine(cache, api, page_limit=LIMIT, on_changed=changes.append)
        assert engine.puller.snapshot_limit == LIMIT * SNAPSHOT_FACTOR
        engine.run_once()
        scopes = engine.scopes()
        snapshot_requests = [r for r in api.requests if r.limit == LIMIT * SNAPSHOT_FACTOR]
        assert len(snapshot_requests) > len(scopes)  # more than one page for some scope
        # every page the server sent in snapshot mode was asked for with the snapshot size
        for request, result in zip(api.requests, api.results, strict=True):
            modes = {page.mode for page in result.page.scopes.values()}
            if "snapshot" in modes:
                assert request.limit == LIMIT * SNAPSHOT_FACTOR
            sent = sum(len(c) for c in result.changes.values())
            assert sent <= request.limit * len(request.scopes)
        assert any(r.limit == LIMIT for r in api.requests)  # log pages keep the engine's size
        with cache.read() as conn:
            assert dirty_count(conn) == 0
            mine = {s: scope_checksum(conn, s)[1] for s in scopes}
            client_id = state.read_state(conn).client_id
            assert all(s.primed for s in state.read_state(conn).scopes.values())
        assert mine == {s: api.scope_checksum(s, client_id).checksum for s in scopes}
        for name, phone in served.phones.items():
            assert _found(cache, name) == [name]
            assert _found(cache, phone[-7:]) == [name]
        announced = set().union(*(c.ids("customer") for c in changes))
        with cache.read() as conn:
            held = {str(r[0]) for r in conn.exec_driver_sql("SELECT id FROM customer")}
        assert held and held <= announced
    finally:
        api.close()
        cache.close()


def test_a_lost_fetch_ahead_leaves_the_applied_page_committed_and_announced(
    tmp_path: Path, served: Served
) -> None:
    cache = _cache(tmp_path)
    # pull 1: page 1 of `directory`; pull 2, fetched while page 1 is applied: page 2; pull 3,
    # fetched while page 2 is applied, is lost
    api = RecordingApi(served.live.url, lose=3)
    changes: list[Changed] = []
    try:
        api.login("agent", "demo")
        board = StatusBoard(cache, on_changed=changes.append)
        puller = Puller(cache, api, board, lambda: None, limit=LIMIT, snapshot_limit=SNAPSHOT)
        with pytest.raises(TransportError):
            puller.pull_all(["directory"])
        page_two = api.results[1].page.scopes["directory"]
        assert page_two.mode == "snapshot"
        with cache.read() as conn:
            # the cursor is page 2's: never ahead of the data (page 3 was never applied)
            assert state.read_state(conn).scopes["directory"].cursor == page_two.next
            assert not state.read_state(conn).scopes["directory"].primed
            rows = sum(
                int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() or 0)
                for t in ("customer", "contact_point", "external_ref")
            )
        sent = [c.id for r in api.results for c in r.changes["directory"]]
        assert rows == len(sent) == 2 * SNAPSHOT
        announced: set[str] = set()
        for c in changes:
            for entity in c.entities:
                announced |= c.ids(entity)
        assert announced == set(sent)  # page 2 was announced although the fetch beside it failed

        # resumed with a working connection: from page 3, not from zero, to the server's checksum
        api2 = RecordingApi(served.live.url)
        try:
            api2.login("agent", "demo")
            resumed = Puller(
                cache, api2, StatusBoard(cache), lambda: None, limit=LIMIT, snapshot_limit=SNAPSHOT
            )
            resumed.pull_all(["directory"])
            assert api2.requests[0].scopes["directory"] == page_two.next
            with cache.read() as conn:
                mine = scope_checksum(conn, "directory")[1]
                client_id = state.read_state(conn).client_id
                assert dirty_count(conn) == 0
            assert mine == api2.scope_checksum("directory", client_id).checksum
            assert _found(cache, "Priming Person03") == ["Priming Person03"]
        finally:
            api2.close()
    finally:
        api.close()
        cache.close()
