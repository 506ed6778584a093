"""A live server over a hand-made catalog with a computed model, and users of every role."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.auth.service import create_user
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.offers.affinity import recompute
from server.offers.settings import ModelSettings
from server.sync.changes import ChangeWriter
from tests.api.sync_helpers import login
from tests.offers.catalog_builder import Catalog, build_catalog, new_id
from tests.support.live import LiveServer

#: loose thresholds, so the hand-made baskets give rules (the server reads them from the environment)
LOOSE_ENV = {
    "LIAISON_OFFERS_MIN_SUPPORT": "0",
    "LIAISON_OFFERS_MIN_LIFT": "0",
    "LIAISON_OFFERS_MIN_PAIR_COUNT": "1",
}
PRODUCTS = {
    "fibre": ("broadband", False),
    "mesh": ("smart home", False),
    "tv": ("tv", False),
    "fan": ("cooling", False),
}
OFFERS = {"mesh": ("smart home", False), "tv": ("tv", False), "fan": ("cooling", False)}
BASKETS = {
    "c1": ["fibre", "mesh"],
    "c2": ["fibre", "mesh", "tv"],
    "c3": ["fibre", "tv"],
    "c4": ["mesh", "fan"],
    "c5": ["tv"],
}


@dataclass
class OffersServer:
    url: str
    db: Database
    catalog: Catalog
    queue: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, username: str) -> httpx.Client:
        http = login(self.url, username)
        self.clients.append(http)
        return http


@pytest.fixture
def offers_server(
    tmp_path: Path, live_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> Iterator[OffersServer]:
    for name, value in LOOSE_ENV.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'offers.db'}"
    db = Database(url)
    initialize(db)
    catalog = build_catalog(db, PRODUCTS, OFFERS, BASKETS)
    queues = {"sales": new_id(), "retention": new_id()}
    with db.write() as conn:
        writer = ChangeWriter(conn)
        for name, queue_id in queues.items():
            writer.insert("queue", {"id": queue_id, "name": name.title()})
    users: dict[str, Any] = {}
    for username, roles in (("admin", ["admin"]), ("supervisor", ["supervisor"]), ("agent", ["agent"])):
        users[username] = create_user(
            db,
            username=username,
            display_name=username.title(),
            password="demo",
            roles=roles,
            queue_ids=list(queues.values()),
            territory_ids=[catalog.territory],
        ).id
    recompute(db, ModelSettings.from_env())  # fresh: the server's start-up run has nothing to do
    server = live_server(url)
    made = OffersServer(server.url, db, catalog, queues, users)
    yield made
    for http in made.clients:
        http.close()
    db.dispose()
