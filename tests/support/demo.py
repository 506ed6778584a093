"""Demo users, queues and a territory, created the way the product creates them."""

import uuid
from dataclasses import dataclass, field

from server.auth.service import create_user
from server.config import ServerSettings
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.support.live import LiveServer

DEMO_PASSWORD = "demo"


@dataclass
class DemoData:
    users: dict[str, str] = field(default_factory=dict)  # username → user id
    queue_ids: list[str] = field(default_factory=list)
    territory_ids: list[str] = field(default_factory=list)
    password: str = DEMO_PASSWORD

    @property
    def agent_id(self) -> str:
        return self.users["agent"]

    @property
    def supervisor_id(self) -> str:
        return self.users["supervisor"]

    @property
    def fieldrep_id(self) -> str:
        return self.users["fieldrep"]

    @property
    def admin_id(self) -> str:
        return self.users["admin"]


@dataclass(kw_only=True)
class DemoServer(DemoData):
    """A live server over a database holding the demo data."""

    live: LiveServer

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def db_url(self) -> str:
        return self.live.db_url

    @property
    def settings(self) -> ServerSettings:
        return self.live.settings


def create_demo_data(db_url: str) -> DemoData:
    """Two queues, one territory, and the users agent, supervisor, fieldrep, admin (password "demo")."""
    db = Database(db_url)
    data = DemoData(queue_ids=[str(uuid.uuid4()), str(uuid.uuid4())], territory_ids=[str(uuid.uuid4())])
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            for number, queue_id in enumerate(data.queue_ids, start=1):
                writer.insert("queue", {"id": queue_id, "name": f"Queue {number}"})
            writer.insert("territory", {"id": data.territory_ids[0], "name": "North", "country": "GB"})
            writer.notify()
        for username, roles, queues, territories in [
            ("agent", ["agent"], data.queue_ids, []),
            ("supervisor", ["supervisor"], data.queue_ids, []),
            ("fieldrep", ["field_rep"], [], data.territory_ids),
            ("admin", ["admin"], [], []),
        ]:
            user = create_user(
                db,
                username=username,
                display_name=username.title(),
                password=DEMO_PASSWORD,
                roles=roles,
                queue_ids=queues,
                territory_ids=territories,
            )
            data.users[username] = user.id
    finally:
        db.dispose()
    return data
