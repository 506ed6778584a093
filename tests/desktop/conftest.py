"""Desktop service tests: an in-memory OS keyring for every test, and a real server on SQLite.

`desk_server(**settings)` starts the real API over a fresh SQLite file with the demo users
(password "demo"; the file is a copy of one made per module) and a `Script`: a middleware in front of the app that records every request and
can answer chosen requests itself (hostile or failing answers the real server never gives).
"""

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from server.db.bootstrap import initialize
from server.db.engine import Database
from tests.desktop.memory_keyring import MemoryKeyring
from tests.desktop.scripted_server import DeskServer, Script
from tests.support.demo import DemoData, create_demo_data
from tests.support.live import LiveServer


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(fail.Keyring())  # no test ever reaches the real OS keyring


@dataclass(frozen=True)
class _Template:
    path: Path
    data: DemoData


@pytest.fixture(scope="module")
def _desk_template(tmp_path_factory: pytest.TempPathFactory) -> _Template:
    """One initialised database with the demo data per module; each test gets a copy (fast)."""
    path = tmp_path_factory.mktemp("desk-template") / "server.db"
    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        initialize(db)
    finally:
        db.dispose()
    return _Template(path=path, data=create_demo_data(url))


@pytest.fixture
def desk_server(
    tmp_path: Path, live_server: Callable[..., LiveServer], _desk_template: _Template
) -> Callable[..., DeskServer]:
    def start(**overrides: Any) -> DeskServer:
        target = tmp_path / "server.db"
        for suffix in ("", "-wal", "-shm"):
            source = _desk_template.path.with_name(_desk_template.path.name + suffix)
            if source.exists():
                shutil.copyfile(source, target.with_name(target.name + suffix))
        script = Script()
        live = live_server(f"sqlite:///{target}", configure=script.install, **overrides)
        return DeskServer(url=live.url, data=_desk_template.data, script=script, live=live)

    return start
