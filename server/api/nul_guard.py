"""Refuses text containing NUL (U+0000) with 422, before any handler sees it.

PostgreSQL cannot store NUL in text columns (SQLite can), so a NUL would otherwise surface as a
500 on one backend and be stored on the other. No field of the protocol has a use for it.
"""

import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.errors import error_response

#: a JSON escape \u0000 preceded by an even number of further backslashes (so not "\\u0000")
_JSON_NUL: Final = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _has_nul(body: bytes) -> bool:
    return b"\x00" in body or _JSON_NUL.search(body) is not None


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"%00" in target or b"\x00" in target:
            await self._refuse(scope, receive, send)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # bodies are already limited in size by BodyLimitMiddleware, which runs before this one
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if _has_nul(body):
            await self._refuse(scope, receive, send)
            return
        await self.app(
            scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send
        )

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            "validation_failed", "text must not contain NUL (U+0000) characters", {"reason": "nul_character"}
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
