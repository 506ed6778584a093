"""Fixtures shared by every test suite.

- `free_port`: a function returning a free loopback port.
- `pg_cluster` (session): a throwaway PostgreSQL cluster; calling it creates an empty database and
  returns its SQLAlchemy URL. Without PostgreSQL binaries the test is skipped, or fails when
  LIAISON_REQUIRE_POSTGRES=1.
- `backend`: a fresh initialized database URL, once on SQLite and once on PostgreSQL (marked
  `postgres`). `pg_url`: the same on PostgreSQL only.
- `live_server(db_url, **settings_overrides)`: a real uvicorn server in a thread → `.url`,
  `.settings`, `.db_url`; stopped after the test.
- `demo_server(**settings_overrides)`: a live server over `backend` with demo data (queues, a
  territory, users agent, supervisor, fieldrep, admin with password "demo") → `DemoServer` with
  `.url`, `.settings`, `.db_url`, `.users`, `.agent_id`, `.supervisor_id`, `.fieldrep_id`,
  `.admin_id`, `.queue_ids`, `.territory_ids`, `.password`. `server_url` is `demo_server()`.
"""

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the repo is not installed into the venv: import server, wire, tests
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from server.db.bootstrap import initialize  # noqa: E402
from server.db.engine import Database  # noqa: E402
from tests.support.demo import DemoServer, create_demo_data  # noqa: E402
from tests.support.full_run import FULL_ENV  # noqa: E402
from tests.support.live import LiveServer, start_live_server  # noqa: E402
from tests.support.net import free_port as _free_port  # noqa: E402
from tests.support.postgres import PgCluster, find_bindir  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="reliability scenarios with SYNC.md's full trial counts (nightly; hours, not minutes)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--full"):
        os.environ[FULL_ENV] = "1"


def initialize_database(url: str) -> str:
    db = Database(url)
    try:
        initialize(db)
    finally:
        db.dispose()
    return url


@pytest.fixture
def free_port() -> Callable[[], int]:
    return _free_port


@pytest.fixture(scope="session")
def qapp_cls() -> type[Any]:
    """pytest-qt's application is the desktop's own (`LiaisonApplication`), as `liaison` runs."""
    from desktop.views.application import LiaisonApplication

    return LiaisonApplication


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = find_bindir()
    if bindir is None:
        message = "no PostgreSQL binaries (initdb) on this machine"
        if os.environ.get("LIAISON_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and LIAISON_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    cluster = PgCluster(bindir)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    url = initialize_database(pg_cluster.new_database())
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield initialize_database(f"sqlite:///{tmp_path / 'server.db'}")
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    url = initialize_database(cluster.new_database())
    yield url
    cluster.drop_database(url)


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(db_url: str, **overrides: Any) -> LiveServer:
        server = start_live_server(db_url, **overrides)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def demo_server(backend: str, live_server: Callable[..., LiveServer]) -> Callable[..., DemoServer]:
    made: list[DemoServer] = []

    def start(**overrides: Any) -> DemoServer:
        if made:
            raise RuntimeError("one demo server per test: its database is the test's `backend`")
        data = create_demo_data(backend)
        server = DemoServer(
            users=data.users,
            queue_ids=data.queue_ids,
            territory_ids=data.territory_ids,
            live=live_server(backend, **overrides),
        )
        made.append(server)
        return server

    return start


@pytest.fixture
def server_url(demo_server: Callable[..., DemoServer]) -> DemoServer:
    return demo_server()
