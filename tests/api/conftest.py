"""A small world for sync tests: two territories, two queues, users of every role, customers."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.auth.service import create_user
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.api.sync_helpers import Mirror, login


@dataclass
class World:
    url: str
    db_url: str
    db: Database
    territory: dict[str, str] = field(default_factory=dict)
    queue: dict[str, str] = field(default_factory=dict)
    user: dict[str, str] = field(default_factory=dict)
    customer: dict[str, str] = field(default_factory=dict)
    case: dict[str, str] = field(default_factory=dict)

    def mirror(self, username: str, *scopes: str) -> Mirror:
        m = Mirror(login(self.url, username))
        m.subscribe(*scopes)
        return m

    def write(self, fn: Callable[[ChangeWriter], Any]) -> Any:
        with self.db.write() as conn:
            w = ChangeWriter(conn)
            result = fn(w)
            w.notify()
            return result


def _uid() -> str:
    return str(uuid.uuid4())


def build_world(url: str, db_url: str) -> World:
    db = Database(db_url)
    world = World(url=url, db_url=db_url, db=db)
    world.territory = {"north": _uid(), "south": _uid()}
    world.queue = {"billing": _uid(), "tech": _uid()}

    def reference(w: ChangeWriter) -> None:
        for name, tid in world.territory.items():
            w.insert("territory", {"id": tid, "name": name, "country": "GB"})
        for name, qid in world.queue.items():
            w.insert("queue", {"id": qid, "name": name})

    world.write(reference)
    for username, roles, queues, territories in [
        ("agent", ["agent"], [world.queue["billing"]], []),
        ("agent2", ["agent"], [world.queue["billing"]], []),
        ("supervisor", ["supervisor"], list(world.queue.values()), []),
        ("rep", ["field_rep"], [], [world.territory["north"]]),
        ("rep2", ["field_rep"], [], [world.territory["south"]]),
        ("admin", ["admin"], [], []),
    ]:
        info = create_user(
            db,
            username=username,
            display_name=username.title(),
            password="demo",
            roles=roles,
            queue_ids=queues,
            territory_ids=territories,
        )
        world.user[username] = info.id

    def customers(w: ChangeWriter) -> None:
        for name, territory, phone in [("ann", "north", "+442079460018"), ("bob", "south", "+442079460019")]:
            cid = _uid()
            world.customer[name] = cid
            w.insert(
                "customer",
                {
                    "id": cid,
                    "display_name": name.title() + " Example",
                    "territory_id": world.territory[territory],
                    "consent_marketing": True,
                },
            )
            w.insert("contact_point", {"id": _uid(), "customer_id": cid, "kind": "phone", "value": phone})
            case_id = _uid()
            world.case[name] = case_id
            w.insert(
                "case",
                {
                    "id": case_id,
                    "number": f"CS-{name}",
                    "customer_id": cid,
                    "subject": "Billing error",
                    "status": "open",
                    "priority": "normal",
                    "queue_id": world.queue["billing"],
                },
            )
            w.insert(
                "interaction",
                {
                    "id": _uid(),
                    "customer_id": cid,
                    "channel": "phone",
                    "occurred_at": "2026-01-05T10:00:00+00:00",
                    "summary": "called",
                    "case_id": case_id,
                },
            )

    world.write(customers)
    return world


@pytest.fixture
def world(backend: str, live_server: Any) -> Iterator[World]:
    server = live_server(backend)
    w = build_world(server.url, backend)
    yield w
    w.db.dispose()
