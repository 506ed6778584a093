"""Creating and upgrading a database: alembic migrations, then the server's singleton rows."""

import secrets
import uuid
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, update

from server.db import tables as t
from server.db.engine import Database
from server.db.types import utcnow
from wire.version import PROTOCOL_MAX, PROTOCOL_MIN

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(db: Database) -> None:
    """Upgrade the schema to the newest migration (a new database is created from nothing)."""
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head


def initialize(db: Database) -> str:
    """Migrate, then create the sync counter and server meta rows if missing; returns the epoch."""
    migrate(db)
    with db.write() as conn:
        meta = conn.execute(select(t.server_meta.c.epoch)).scalar_one_or_none()
        if meta is not None:
            return str(meta)
        now = utcnow()
        epoch = str(uuid.uuid4())
        conn.execute(insert(t.sync_counter).values(id=1, value=0))
        conn.execute(
            insert(t.server_meta).values(
                id=1,
                epoch=epoch,
                min_retained_seq=0,
                protocol_min=PROTOCOL_MIN,
                protocol_max=PROTOCOL_MAX,
                token_secret=secrets.token_hex(32),
                created_at=now,
                epoch_changed_at=now,
            )
        )
        return epoch


def rotate_epoch(db: Database) -> str:
    """Give the database a new epoch: every client rebuilds its mirrors and re-pushes its log.

    Run it after restoring a backup (docs/deploy.md). The server also rotates by itself when a
    client presents a cursor ahead of the head, which only a restore can cause.
    """
    epoch = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(update(t.server_meta).values(epoch=epoch, epoch_changed_at=utcnow()))
    return epoch
