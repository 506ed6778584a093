"""Desktop service tests: an in-memory OS keyring for every test, and a real server on SQLite.

`desk_server(**settings)` starts the real API over a fresh SQLite file with the demo users
(password "demo") and a `Script`: a middleware in front of the app that records every request and
can answer chosen requests itself (hostile or failing answers the real server never gives).
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from server.db.bootstrap import initialize
from server.db.engine import Database
from tests.desktop.memory_keyring import MemoryKeyring
from tests.desktop.scripted_server import DeskServer, Script
from tests.support.demo import create_demo_data
from tests.support.live import LiveServer


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(fail.Keyring())  # no test ever reaches the real OS keyring


@pytest.fixture
def desk_server(tmp_path: Path, live_server: Callable[..., LiveServer]) -> Callable[..., DeskServer]:
    def start(**overrides: Any) -> DeskServer:
        url = f"sqlite:///{tmp_path / 'server.db'}"
        db = Database(url)
        try:
            initialize(db)
        finally:
            db.dispose()
        data = create_demo_data(url)
        script = Script()
        live = live_server(url, configure=script.install, **overrides)
        return DeskServer(url=live.url, data=data, script=script, live=live)

    return start
