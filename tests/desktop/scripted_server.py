"""The real server for desktop tests, behind a scripted middleware: records requests, answers chosen ones itself.

`script.on(path, step, …)` queues steps for the next requests to `path` (one step per request,
then the real app again); `script.reject_until(path, other)` answers 401 to requests to `path`
until a request to `other` has been seen (e.g. access tokens "expire" until a refresh).
Steps are plain ASGI: `reply(...)`, `protocol_error(...)`, `slow(...)`, `lose_response(...)`.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.demo import DemoData
from tests.support.live import LiveServer

Step = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Script:
    steps: dict[str, list[Step]] = field(default_factory=dict)
    rejections: dict[str, str] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def on(self, path: str, *steps: Step) -> None:
        self.steps.setdefault(path, []).extend(steps)

    def reject_until(self, path: str, other: str) -> None:
        self.rejections[path] = other

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def install(self, app: FastAPI) -> None:
        app.add_middleware(_ScriptMiddleware, script=self)


@dataclass
class DeskServer:
    """The real server (demo users, password "demo") behind a `Script`."""

    url: str
    data: DemoData
    script: Script
    live: LiveServer


class _ScriptMiddleware:
    def __init__(self, app: ASGIApp, script: Script) -> None:
        self.app = app
        self.script = script

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        self.script.requests.append(Seen(scope["method"], path, headers))
        until = self.script.rejections.get(path)
        if until is not None and not self.script.count(until):
            step: Step | None = protocol_error(401, "not_authenticated", "token expired")
        else:
            queue = self.script.steps.get(path)
            step = queue.pop(0) if queue else None
        if step is None:
            await self.app(scope, receive, send)
        else:
            await step(scope, receive, send, self.app)


def _respond(response: Response) -> Step:
    async def step(scope: Scope, receive: Receive, send: Send, _app: ASGIApp) -> None:
        await response(scope, receive, send)

    return step


def reply(
    status: int = 200,
    body: bytes = b"",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Step:
    return _respond(Response(content=body, status_code=status, media_type=content_type, headers=headers))


def protocol_error(
    status: int, code: str, message: str = "scripted", headers: dict[str, str] | None = None, **extra: object
) -> Step:
    body = {"error": {"code": code, "message": message, "details": {}}, **extra}
    return reply(status, json.dumps(body).encode(), headers=headers)


def streamed(total_bytes: int, chunk: int = 64 * 1024) -> Step:
    """A chunked 200 JSON answer of `total_bytes` without a Content-Length."""

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < total_bytes:
            size = min(chunk, total_bytes - sent)
            sent += size
            yield b" " * size

    return _respond(StreamingResponse(chunks(), media_type="application/json"))


def slow(seconds: float) -> Step:
    """Answer like the real app, but only after `seconds` (past a client's read timeout)."""

    async def step(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return step


def lose_response(status: int = 503, retry_after: str = "1") -> Step:
    """Let the real app process the request, drop its answer, and answer `status` instead."""

    async def step(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        async def discard(_message: Message) -> None:
            return None

        await app(scope, receive, discard)
        body = {"error": {"code": "unavailable", "message": "lost", "details": {}}}
        response = Response(
            content=json.dumps(body).encode(),
            status_code=status,
            media_type="application/json",
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)

    return step
