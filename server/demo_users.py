"""The demo users `seed` creates: agent, supervisor, fieldrep and admin, password `demo`.

`serve` refuses to listen on a non-loopback address while any of them can log in with that
password, unless told explicitly (`--allow-demo-passwords`).
"""

from typing import Final

from sqlalchemy import select

from server.auth.service import create_user
from server.db import tables as t
from server.db.engine import Database

DEMO_PASSWORD: Final = "demo"  # noqa: S105 - the documented demo password; serve refuses it off loopback


def create_demo_users(db: Database) -> list[str]:
    """Create the demo users that do not exist yet; returns the usernames created."""
    with db.read() as conn:
        queues = list(conn.execute(select(t.queue.c.id).order_by(t.queue.c.name)).scalars())
        territories = list(conn.execute(select(t.territory.c.id).order_by(t.territory.c.name)).scalars())
        existing = set(conn.execute(select(t.app_user.c.username)).scalars())
    plan = [
        ("agent", "Alex Agent", ["agent"], queues[:2], []),
        ("supervisor", "Sam Supervisor", ["supervisor"], queues, []),
        ("fieldrep", "Fran Fieldrep", ["field_rep"], [], territories[:1]),
        ("admin", "Ada Admin", ["admin"], [], []),
    ]
    made = []
    for username, display, roles, queue_ids, territory_ids in plan:
        if username in existing:
            continue
        create_user(
            db,
            username=username,
            display_name=display,
            password=DEMO_PASSWORD,
            roles=roles,
            queue_ids=queue_ids,
            territory_ids=territory_ids,
        )
        made.append(username)
    return made
