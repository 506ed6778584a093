"""`keyed_server`: the real API over loopback on a seeded SQLite file, with the simulator's
integration key replaced by a fresh one (returned with the server and the seed)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.db.engine import Database
from server.simulator.in_process import replace_simulator_key
from tests.e2e.conftest import Seed, seed_database
from tests.support.live import LiveServer, start_live_server


@pytest.fixture
def keyed_server(tmp_path: Path) -> Iterator[tuple[LiveServer, Seed, str]]:
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    seed = seed_database(db_url)
    db = Database(db_url)
    try:
        key = replace_simulator_key(db)
    finally:
        db.dispose()
    live = start_live_server(db_url)
    try:
        yield live, seed, key
    finally:
        live.stop()
