"""Every failure as one JSON shape: `{"error": {"code", "message", "details"}}` (PROTOCOL.md, Errors).

`ApiError` is what routers raise. The handlers installed by `install_error_handlers` turn
validation failures, unknown paths and methods, auth failures and anything unexpected into that
shape; nothing returns a stack trace or an HTML page. `BodyLimitMiddleware` refuses oversized bodies
(413) whether or not the client declared a Content-Length.
"""

import logging
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth.service import AuthError
from wire.errors import STATUS_OF, ErrorCode

log = logging.getLogger(__name__)

#: Retry-After when a 429 or 503 does not say
DEFAULT_RETRY_AFTER_S: Final = 5
_CODE_OF_STATUS: Final[dict[int, str]] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    426: "upgrade_required",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error response: raise it from a route or a dependency."""

    def __init__(
        self,
        code: ErrorCode | str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if code not in STATUS_OF:
            raise ValueError(f"unknown error code {code!r} (see wire.errors.ErrorCode)")
        super().__init__(message)
        self.code: str = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return STATUS_OF[self.code]


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def error_response(
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    status: int | None = None,
) -> JSONResponse:
    out = dict(headers or {})
    if code in ("rate_limited", "unavailable") and not any(k.lower() == "retry-after" for k in out):
        out["Retry-After"] = str(DEFAULT_RETRY_AFTER_S)
    if code == "not_authenticated" and not any(k.lower() == "www-authenticate" for k in out):
        out["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error_body(code, message, details), status_code=status or STATUS_OF[code], headers=out
    )


def api_error_from_auth(exc: AuthError) -> ApiError:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}
    code = exc.code if exc.code in STATUS_OF else "bad_request"
    return ApiError(code, exc.message, exc.details, headers)


async def _on_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, exc.details, exc.headers)


async def _on_auth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthError)
    return await _on_api_error(request, api_error_from_auth(exc))


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response("bad_request", "malformed JSON")
    # never echo the input back: it may be a password or a megabyte of garbage
    listed = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "field": _field(e.get("loc", ())),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]
    first = listed[0]["field"] if listed else "the request"
    return error_response("validation_failed", f"invalid {first}", {"errors": listed})


async def _on_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODE_OF_STATUS.get(status, "internal" if status >= 500 else "bad_request")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if status == 404 and message == "Not Found":
        message = "no such resource"
    elif status == 405 and message == "Method Not Allowed":
        message = "method not allowed on this resource"
    return error_response(code, message, headers=exc.headers, status=status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(AuthError, _on_auth_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


class UnhandledErrorMiddleware:
    """Turns an exception no handler took into a 500 JSON error, logged here once with its trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await error_response("internal", "internal server error")(scope, receive, send)


class BodyTooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413 too_large.

    The declared Content-Length is checked first, and the bytes actually received are counted
    too (a chunked body has no Content-Length, and a declared one may lie). Before answering, the
    rest of the body is read and dropped, up to `drain_bytes`: a client that is still sending
    would otherwise see the connection reset instead of the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, drain_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = drain_bytes if drain_bytes is not None else max(16 * 1024 * 1024, 4 * max_bytes)

    def _response(self) -> Response:
        return error_response(
            "too_large",
            f"the request body is larger than {self.max_bytes} bytes",
            {"max_bytes": self.max_bytes},
            {"Connection": "close"},
        )

    async def _drain(self, receive: Receive, already: int) -> None:
        total = already
        while total <= self.drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return
            total += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await self._drain(receive, 0)
            await self._response()(scope, receive, send)
            return

        received = 0
        exceeded = False
        started_before = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    if message.get("more_body", False):
                        await self._drain(receive, received)
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started_before
            if exceeded and not started_before:
                return  # the app's answer to the cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                started_before = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLargeError:
            if not exceeded:  # pragma: no cover - only counting_receive raises it
                raise
        if exceeded and not started_before:
            await self._response()(scope, receive, send)
