"""End-to-end sync fixtures: the real server on SQLite and real desktop sync engines against it.

- every test gets a file keyring (`tests/support/file_keyring.py`) shared with the subprocesses
  it starts (`keyring_env`);
- `e2e_server()`: the real API over a copy of a per-module SQLite database holding the demo users
  (password "demo") and one customer with one open case (owner: agent, queue 1). It can be
  stopped, restarted (new port) and backed up/restored for the epoch-reset scenario.
  `@BOTH_BACKENDS` runs a test on SQLite and on PostgreSQL (a clone of a seeded template database
  in the session's throwaway cluster);
- `client(username)`: a signed-in `SyncEngine` over its own cache file (plain SQLite), API waits
  and engine sleeps are no-ops, so nothing waits for real.
"""

import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import create_engine, text

from desktop.services.api import ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, Changed, open_cache, scope_checksum, state
from desktop.services.sync import SyncEngine
from desktop.services.sync_status import Rejection, SyncStatus
from server.db.bootstrap import initialize, rotate_epoch
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.support.demo import DemoData, create_demo_data
from tests.support.file_keyring import BACKEND_NAME, ENV_FILE, FileKeyring
from tests.support.live import LiveServer, start_live_server
from tests.support.postgres import PgCluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def keyring_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV_FILE, str(path))
    keyring.set_keyring(FileKeyring(path))
    env = {**os.environ, ENV_FILE: str(path), "PYTHON_KEYRING_BACKEND": BACKEND_NAME}
    env["PYTHONPATH"] = str(ROOT)
    yield env
    keyring.set_keyring(fail.Keyring())


@dataclass(frozen=True)
class Seed:
    data: DemoData
    customer_id: str
    case_id: str


@dataclass
class E2EServer:
    """The server under test. On SQLite (`path`, the default) or on PostgreSQL (`pg_url` set: a
    database cloned from a seeded template in the session's throwaway cluster)."""

    path: Path
    seed: Seed
    live: LiveServer | None = None
    extra: list[LiveServer] = field(default_factory=list)
    pg_url: str | None = None
    pg_cluster: PgCluster | None = None
    pg_backups: dict[Path, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.live is not None
        return self.live.url

    @property
    def db_url(self) -> str:
        return self.pg_url if self.pg_url is not None else f"sqlite:///{self.path}"

    @property
    def backend(self) -> str:
        return "sqlite" if self.pg_url is None else "postgres"

    def start(self) -> None:
        self.live = start_live_server(self.db_url)
        self.extra.append(self.live)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def files(self) -> list[Path]:
        return [self.path.with_name(self.path.name + s) for s in ("", "-wal", "-shm")]

    def backup(self, target: Path) -> None:
        """Copy the (stopped) server's database to `target` (a directory; on PostgreSQL a clone)."""
        if self.pg_url is not None:
            assert self.pg_cluster is not None
            self.pg_backups[target] = self.pg_cluster.clone_database(self.pg_url)
            return
        target.mkdir(parents=True, exist_ok=True)
        for source in self.files():
            if source.exists():
                shutil.copyfile(source, target / source.name)

    def restore(self, source: Path) -> None:
        """Put a backup back (server stopped) and give it a new epoch, as docs/deploy.md says."""
        if self.pg_url is not None:
            assert self.pg_cluster is not None
            self.pg_cluster.drop_database(self.pg_url)
            self.pg_cluster.clone_database(self.pg_backups[source], self.pg_url)
        else:
            for path in self.files():
                path.unlink(missing_ok=True)
                copy = source / path.name
                if copy.exists():
                    shutil.copyfile(copy, path)
        self.rotate_epoch()

    def rotate_epoch(self) -> str:
        db = Database(self.db_url)
        try:
            return rotate_epoch(db)
        finally:
            db.dispose()

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params).all())
        finally:
            engine.dispose()


def _seed(path: Path) -> Seed:
    return seed_database(f"sqlite:///{path}")


def seed_database(url: str) -> Seed:
    """Initialize `url` and give it the demo users and one customer with one open case."""
    db = Database(url)
    try:
        initialize(db)
    finally:
        db.dispose()
    data = create_demo_data(url)
    customer_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    db = Database(url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "customer",
                {"id": customer_id, "display_name": "Ada Lovelace", "territory_id": data.territory_ids[0]},
            )
            writer.insert(
                "case",
                {
                    "id": case_id,
                    "number": "CS-1",
                    "customer_id": customer_id,
                    "subject": "Broken router",
                    "description": "",
                    "status": "open",
                    "priority": "normal",
                    "queue_id": data.queue_ids[0],
                    "owner_id": data.agent_id,
                    "origin_channel": "phone",
                },
            )
            writer.notify()
    finally:
        db.dispose()
    return Seed(data=data, customer_id=customer_id, case_id=case_id)


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seed]:
    path = tmp_path_factory.mktemp("e2e-template") / "server.db"
    return path, _seed(path)


#: PostgreSQL templates, one per cluster (session): (template URL, seed)
_PG_TEMPLATES: dict[int, tuple[str, Seed]] = {}


def _pg_server(request: pytest.FixtureRequest, tmp_path: Path) -> E2EServer:
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    if id(cluster) not in _PG_TEMPLATES:
        template = cluster.new_database()
        _PG_TEMPLATES[id(cluster)] = (template, seed_database(template))
    template, seed = _PG_TEMPLATES[id(cluster)]
    url = cluster.clone_database(template)
    return E2EServer(path=tmp_path / "unused.db", seed=seed, pg_url=url, pg_cluster=cluster)


@pytest.fixture
def e2e_server(
    request: pytest.FixtureRequest, tmp_path: Path, _template: tuple[Path, Seed]
) -> Iterator[E2EServer]:
    """SQLite by default; `@pytest.mark.parametrize("e2e_server", ["sqlite", "postgres"],
    indirect=True)` runs a test on both (the PostgreSQL case needs the `postgres` mark)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgres":
        server = _pg_server(request, tmp_path)
    else:
        source, seed = _template
        target = tmp_path / "server" / "server.db"
        target.parent.mkdir()
        for suffix in ("", "-wal", "-shm"):
            copy = source.with_name(source.name + suffix)
            if copy.exists():
                shutil.copyfile(copy, target.with_name(target.name + suffix))
        server = E2EServer(path=target, seed=seed)
    server.start()
    yield server
    for live in reversed(server.extra):
        live.stop()
    if server.pg_cluster is not None and server.pg_url is not None:
        for clone in [server.pg_url, *server.pg_backups.values()]:
            server.pg_cluster.drop_database(clone)


BOTH_BACKENDS = pytest.mark.parametrize(
    "e2e_server", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@dataclass
class Client:
    """One desktop: its cache, its API client and engine, and what the engine announced."""

    username: str
    cache: Cache
    api: ApiClient
    engine: SyncEngine
    statuses: list[SyncStatus] = field(default_factory=list)
    changes: list[Changed] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def client_id(self) -> str:
        with self.cache.read() as conn:
            return state.read_state(conn).client_id

    def checksums(self) -> dict[str, str]:
        with self.cache.read() as conn:
            return {scope: scope_checksum(conn, scope)[1] for scope in self.engine.scopes()}

    def server_checksums(self) -> dict[str, str]:
        return {s: self.api.scope_checksum(s, self.client_id).checksum for s in self.engine.scopes()}

    def row(self, entity: str, row_id: str) -> dict[str, Any] | None:
        from desktop.services.store.rows import read_row

        with self.cache.read() as conn:
            found = read_row(conn, entity, row_id)
        return None if found is None else found[1]


ClientFactory = Callable[..., Client]


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def client(tmp_path: Path, e2e_server: E2EServer) -> Iterator[ClientFactory]:
    made: list[Client] = []

    def make(username: str, *, profile: str | None = None, url: str | None = None) -> Client:
        name = profile or username
        cache, _report = open_cache(tmp_path / "profiles" / name / "cache.db", None)
        api = ApiClient(ApiConfig(base_url=url or e2e_server.url), None, sleep=_no_wait)
        api.login(username, "demo")
        statuses: list[SyncStatus] = []
        changes: list[Changed] = []
        rejections: list[Rejection] = []
        engine = SyncEngine(
            cache,
            api,
            scopes=None,
            clock=lambda: 0.0,
            sleep=_no_wait,
            rng=random.Random(7),
            on_status=statuses.append,
            on_changed=changes.append,
            on_rejected=rejections.append,
        )
        made.append(Client(username, cache, api, engine, statuses, changes, rejections))
        return made[-1]

    yield make
    for c in made:
        c.api.close()
        c.cache.close()


def reconnect(old: Client, url: str) -> Client:
    """The same profile (cache) with a new API client for `url`: the app restarted online."""
    api = ApiClient(ApiConfig(base_url=url), None, sleep=_no_wait)
    api.login(old.username, "demo")
    old.api.close()
    old.api = api
    old.engine = SyncEngine(
        old.cache,
        api,
        scopes=None,
        clock=lambda: 0.0,
        sleep=_no_wait,
        rng=random.Random(7),
        on_status=old.statuses.append,
        on_changed=old.changes.append,
        on_rejected=old.rejections.append,
    )
    return old
