"""The sync endpoints: pull (with the `wait_ms` long-poll), push, SSE events, scope checksums."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sse_starlette.sse import EventSourceResponse

from server.api.deps import CurrentUser, State
from server.api.errors import ApiError
from server.auth.principal import Principal
from server.state import AppState
from server.sync.checksum import scope_checksum
from server.sync.pull import EpochReset, PullRefused, authorize_scope, live_grants, read_meta, serve_pull
from server.sync.push import ForeignClient, Unavailable, serve_push
from wire.errors import ErrorResponse
from wire.sync import PullRequest, PullResponse, PushRequest, PushResponse, ScopeChecksum
from wire.version import PROTOCOL_MAX, PROTOCOL_MIN

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

MAX_PUSH_BYTES = 256 * 1024
SSE_MAX_SECONDS = 300.0
SSE_HEARTBEAT_SECONDS = 15
_encoder = msgspec.json.Encoder()

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 409, 413, 422, 426, 429, 503)
}


def _json(data: Any) -> Response:
    return Response(content=_encoder.encode(data), media_type="application/json")


def _check_protocol(protocol: int) -> None:
    if protocol < PROTOCOL_MIN:
        raise ApiError(
            "upgrade_required",
            f"this desktop speaks protocol {protocol}; the server needs {PROTOCOL_MIN} to {PROTOCOL_MAX}. "
            "Please install the current Liaison Desk.",
            {"protocol_min": PROTOCOL_MIN, "protocol_max": PROTOCOL_MAX},
        )
    if protocol > PROTOCOL_MAX:
        raise ApiError(
            "bad_request",
            f"this server speaks protocol {PROTOCOL_MIN} to {PROTOCOL_MAX}, older than the desktop's {protocol}",
            {"protocol_min": PROTOCOL_MIN, "protocol_max": PROTOCOL_MAX},
        )


def _epoch_reset(epoch: str) -> JSONResponse:
    body = ErrorResponse.model_validate(
        {
            "error": {
                "code": "epoch_reset",
                "message": "the server's database was recreated or restored: "
                "rebuild the local mirrors and re-push the acknowledged log",
                "details": {"epoch": epoch},
            },
            "reset": "epoch",
        }
    )
    return JSONResponse(status_code=409, content=body.model_dump())


def _pull_once(state: AppState, user: Principal, req: PullRequest) -> dict[str, Any]:
    try:
        with state.db.read() as conn:
            return serve_pull(conn, user, req)
    except EpochReset as exc:
        if exc.rotated:
            from server.db.bootstrap import rotate_epoch

            log.warning("a client cursor is ahead of the head: the database was restored; rotating the epoch")
            raise EpochReset(rotate_epoch(state.db)) from exc
        raise
    except PullRefused as exc:
        raise ApiError(exc.code, exc.message, exc.details) from exc


def _idle(page: dict[str, Any]) -> bool:
    return all(s["mode"] == "log" and not s["changes"] and not s["has_more"] for s in page["scopes"].values())


async def _client_gone(request: Request) -> None:
    """Return when the client hangs up (the body was read: the next message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _wait_for_change(request: Request, state: AppState, head: int, wait_ms: int) -> bool | None:
    """The long-poll's wait: True when the head moved, False at the timeout, None when the client
    hung up first (nobody is left to answer; the waiter is released at once, not after wait_ms)."""
    waiter = asyncio.ensure_future(state.events.wait_for_head_above(head, wait_ms / 1000))
    gone = asyncio.ensure_future(_client_gone(request))
    try:
        await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, gone):
            task.cancel()
        await asyncio.gather(waiter, gone, return_exceptions=True)
    if waiter.cancelled() or waiter.exception() is not None:
        return None
    return waiter.result()


@router.post("/pull", response_class=Response, responses={200: {"model": PullResponse}, **ERRORS})
async def pull(req: PullRequest, user: CurrentUser, state: State, request: Request) -> Response:
    """One page per requested scope; with `wait_ms`, waits for a change when there is nothing new."""
    _check_protocol(req.protocol)
    try:
        page = await run_in_threadpool(_pull_once, state, user, req)
        if req.wait_ms and _idle(page):
            moved = await _wait_for_change(request, state, int(page["head"]), req.wait_ms)
            if moved is None:
                return Response(status_code=499)  # nobody reads it: the client closed the connection
            if moved:
                page = await run_in_threadpool(_pull_once, state, user, req)
    except EpochReset as exc:
        return _epoch_reset(exc.epoch)
    return _json(page)


def _push(state: AppState, user: Principal, req: PushRequest) -> dict[str, Any]:
    try:
        return serve_push(state.db, user, req, state.settings.default_region)
    except Unavailable as exc:
        raise ApiError(
            "unavailable", "the database is not available; retry later", headers={"Retry-After": "5"}
        ) from exc
    except ForeignClient as exc:
        raise ApiError(
            "forbidden",
            "this client id is registered to another user; use a profile of your own",
            {"client_id": req.client_id},
        ) from exc


@router.post("/push", response_class=Response, responses={200: {"model": PushResponse}, **ERRORS})
async def push(
    req: PushRequest,
    user: CurrentUser,
    state: State,
    content_length: Annotated[int | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    """Apply mutations in client_seq order; a mutation id seen before returns its stored result."""
    if content_length is not None and content_length > MAX_PUSH_BYTES:
        raise ApiError("too_large", f"a push carries at most {MAX_PUSH_BYTES} bytes; send smaller batches")
    _check_protocol(req.protocol)
    if idempotency_key:
        log.info(
            "push batch %s from client %s: %d mutations", idempotency_key, req.client_id, len(req.mutations)
        )
    return _json(await run_in_threadpool(_push, state, user, req))


def _checksum(state: AppState, user: Principal, scope_name: str, client_id: str) -> ScopeChecksum:
    with state.db.read() as conn:
        grants = live_grants(conn, client_id, user.id) if client_id else set()
        try:
            scope = authorize_scope(conn, user, scope_name, grants)
        except PullRefused as exc:
            raise ApiError(exc.code, exc.message, exc.details) from exc
        meta = read_meta(conn)
        count, digest = scope_checksum(conn, scope)
    return ScopeChecksum(scope=scope_name, epoch=meta.epoch, head=meta.head, count=count, checksum=digest)


@router.get("/scope_checksum", responses=ERRORS)
async def checksum(
    user: CurrentUser,
    state: State,
    scope: Annotated[str, Query(min_length=1, max_length=80)],
    x_client_id: Annotated[str | None, Header(max_length=64)] = None,
) -> ScopeChecksum:
    """sha256 over the sorted (entity, id, version) of the scope's live rows (docs/protocol.md)."""
    return await run_in_threadpool(_checksum, state, user, scope, x_client_id or "")


async def _event_stream(state: AppState, user: Principal) -> AsyncIterator[dict[str, str]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SSE_MAX_SECONDS
    async with state.events.subscribe(user.id) as queue:
        yield {"event": "poke", "data": json.dumps({"head": state.events.head})}
        while (left := deadline - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    event = await queue.get()
                    yield {"event": event.kind, "data": json.dumps(event.data)}


@router.get("/events", responses={200: {"content": {"text/event-stream": {}}}, 401: {"model": ErrorResponse}})
async def events(user: CurrentUser, state: State) -> EventSourceResponse:
    """Server-Sent Events: `poke {head}` after every committed change, and the user's own events.

    A comment heartbeat every 15 s; the server closes the stream after 5 minutes (reconnect).
    """
    return EventSourceResponse(_event_stream(state, user), ping=SSE_HEARTBEAT_SECONDS)
