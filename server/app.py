"""The FastAPI application of the central CRM API.

`create_app(settings)` builds it; with no settings it reads `LIAISON_*` variables, so
`uvicorn server.app:create_app --factory --workers N` works (that is what `liaison-server serve`
runs). At startup it opens the database, refuses a schema that is not current, and wires the
broadcaster to commits: directly on SQLite, through LISTEN/NOTIFY on PostgreSQL.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url

from server import __version__
from server.api.auth import router as auth_router
from server.api.contact_centre import router as contact_centre_router
from server.api.errors import BodyLimitMiddleware, UnhandledErrorMiddleware, install_error_handlers
from server.api.lookups import router as lookups_router
from server.api.nul_guard import NulGuardMiddleware
from server.api.offers import router as offers_router
from server.api.ops import RequestMetricsMiddleware, WorkerHeaderMiddleware
from server.api.ops import router as ops_router
from server.api.sync import router as sync_router
from server.api.telephony import router as telephony_router
from server.config import ServerSettings
from server.db import bootstrap
from server.db import tables as t
from server.db.engine import Database
from server.events import Broadcaster
from server.metrics import HttpMetrics
from server.offers.schedule import recompute_periodically
from server.offers.settings import ModelSettings
from server.state import AppState
from server.sync.changes import current_head
from server.sync.retention import purge
from server.telephony.publisher import SnapshotPublisher

log = logging.getLogger(__name__)

ROUTERS: Final[list[APIRouter]] = [auth_router, ops_router, sync_router, lookups_router]


class SchemaNotCurrentError(RuntimeError):
    pass


def pg_conninfo(database_url: str) -> str:
    """The libpq connection string (for psycopg) of a SQLAlchemy PostgreSQL URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_schema(db: Database) -> None:
    """Raise SchemaNotCurrentError unless the database was initialized by this version."""
    hint = f"run `liaison-server init --database {make_url(db.url).render_as_string()}` first"
    if not bootstrap.is_current(db):
        raise SchemaNotCurrentError(f"the database schema is missing or out of date: {hint}")
    with db.read() as conn:
        if conn.execute(select(t.server_meta.c.epoch)).first() is None:
            raise SchemaNotCurrentError(f"the database is not initialized: {hint}")


PURGE_INTERVAL_S: Final = 6 * 3600


async def _purge_periodically(db: Database, retention_days: float) -> None:
    """Retention runs in every server process every 6 hours (idempotent; cheap when nothing is old)."""
    while True:
        await asyncio.sleep(PURGE_INTERVAL_S)
        try:
            report = await asyncio.to_thread(purge, db, retention_days)
        except Exception:
            log.warning("retention purge failed; trying again later", exc_info=True)
            continue
        if report.log_rows or report.tombstones:
            log.info("purged %d change-log entries and %d tombstones", report.log_rows, report.tombstones)


def _read_head(db: Database) -> int:
    with db.read() as conn:
        return current_head(conn)


def _telephony_publisher(
    app: FastAPI, db: Database, settings: ServerSettings, events: Broadcaster
) -> SnapshotPublisher:
    """The `queue_snapshot` publisher (≤ 1/s, on change); on app.state for tests and ops."""
    publisher = SnapshotPublisher(db, settings, events, clock=time.monotonic)
    app.state.telephony_publisher = publisher
    return publisher


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings if settings is not None else ServerSettings.from_env()
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        events = Broadcaster()
        try:
            check_schema(db)
            with db.read() as conn:
                head = current_head(conn)
        except SchemaNotCurrentError as exc:
            log.error("%s", exc)
            db.dispose()
            raise
        except Exception:
            db.dispose()
            raise
        events.bind(asyncio.get_running_loop(), head)
        if db.is_postgres:
            events.start_pg_listener(pg_conninfo(settings.database_url))
        else:
            db.on_commit(events.publish_head)
        app.state.liaison = AppState(db=db, settings=settings, events=events, metrics=metrics)
        # commits made outside this process (CLI, batch jobs) and a dropped LISTEN still poke
        background = [
            asyncio.create_task(events.watch_head(lambda: _read_head(db))),
            asyncio.create_task(_purge_periodically(db, settings.retention_days)),
            asyncio.create_task(_telephony_publisher(app, db, settings, events).run()),
            asyncio.create_task(recompute_periodically(db, ModelSettings.from_env())),
        ]
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            events.stop()
            db.dispose()

    app = FastAPI(
        title="Liaison Desk central CRM API",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(offers_router)
    app.include_router(telephony_router)
    app.include_router(contact_centre_router)
    # the last added runs first: metrics see every response, including 413 and 500
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(WorkerHeaderMiddleware)
    return app
