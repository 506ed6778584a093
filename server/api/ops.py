"""Operations: the health check, Prometheus metrics, and the middleware that counts requests."""

import logging
import os
import time
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import __version__
from server.api.deps import State
from server.db import tables as t
from server.metrics import CONTENT_TYPE, Gauge, HttpMetrics
from wire.sync import Health

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

HEALTH_RETRY_AFTER_S: Final = 5
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database does not answer"}},
    summary="Liveness and database health (no authentication)",
)
def healthz(state: State) -> Response:
    try:
        with state.db.read() as conn:
            conn.execute(select(t.sync_counter.c.value).limit(1)).first()
    except Exception:
        log.warning("health check: the database does not answer", exc_info=True)
        body = Health(status="degraded", db="down", version=__version__)
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": str(HEALTH_RETRY_AFTER_S)}
        )
    return JSONResponse(Health(status="ok", db="ok", version=__version__).model_dump())


def _database_gauges(state: State) -> str:
    up = Gauge("liaison_db_up", "1 when the database answered this scrape")
    head = Gauge("liaison_sync_head", "the newest change-log sequence number")
    rows = Gauge("liaison_change_log_rows", "rows in the change log")
    conflicts = Gauge("liaison_open_conflicts", "sync conflicts waiting for a person")
    clients = Gauge("liaison_sync_clients", "registered sync clients")
    try:
        with state.db.read() as conn:
            head.set(
                conn.execute(select(t.sync_counter.c.value).where(t.sync_counter.c.id == 1)).scalar() or 0
            )
            rows.set(conn.execute(select(func.count()).select_from(t.change_log)).scalar_one())
            conflicts.set(
                conn.execute(
                    select(func.count())
                    .select_from(t.sync_conflict)
                    .where(t.sync_conflict.c.status == "open", t.sync_conflict.c.deleted_at.is_(None))
                ).scalar_one()
            )
            clients.set(conn.execute(select(func.count()).select_from(t.sync_client)).scalar_one())
    except Exception:
        log.warning("metrics: the database does not answer", exc_info=True)
        up.set(0)
        return up.render()
    up.set(1)
    return "".join(g.render() for g in (up, head, rows, conflicts, clients))


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"}},
    summary="Prometheus metrics of this process (no authentication)",
)
def metrics(state: State) -> Response:
    subscribers = Gauge("liaison_sse_subscribers", "open event streams in this process")
    subscribers.set(state.events.subscriber_count)
    polls = Gauge(
        "liaison_long_polls_waiting", "pull requests waiting for a change (wait_ms) in this process"
    )
    polls.set(state.events.waiting)
    info = Gauge("liaison_build_info", "the server version", ("version",))
    info.set(1, __version__)
    text = (
        state.metrics.render()
        + _database_gauges(state)
        + subscribers.render()
        + polls.render()
        + info.render()
    )
    return Response(text, media_type=CONTENT_TYPE)


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/customers/{id}`), keeping label values bounded."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "<unmatched>"


class RequestMetricsMiddleware:
    """Counts every HTTP request by method, route template and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.in_flight.dec()
            method = scope.get("method", "")
            method = method if method in _METHODS else "OTHER"
            route = route_template(scope)
            self.metrics.requests.inc(method, route, str(status))
            self.metrics.duration.observe(time.perf_counter() - started, method, route)


class WorkerHeaderMiddleware:
    """Adds `X-Liaison-Worker: <pid>` so operators (and tests) see which server process answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-liaison-worker", self.value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)
