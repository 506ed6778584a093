"""The HTTP mechanics under the API client: settings, TLS, one bounded exchange, backoff.

`Exchange.send` makes one request and reads the answer with a size cap (streaming, stopping as soon
as the cap is passed), turning every httpx failure into a typed `TransportError` or `BadResponse`.
`Backoff` decides how long to wait before a retry: exponential with full jitter, never shorter than
the server's Retry-After. `Hangups` lets another thread hang up the connections one thread is
using (the stall watchdog, SYNC.md §3, and stopping the live loop): a read blocked on a hung
connection would otherwise wait for its read timeout, and every retry after it. Nothing here knows
the endpoints or the session.
"""

import contextlib
import logging
import platform
import random
import socket
import ssl
import sys
import threading
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import certifi
import httpcore
import httpx

from desktop import __version__
from desktop.services import crashpoints
from desktop.services.api_errors import (
    ApiError,
    BadResponse,
    RateLimited,
    ServerError,
    TransportError,
    Unavailable,
)

log = logging.getLogger(__name__)

MIB: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """How the desktop talks to one server. Times in seconds, sizes in bytes."""

    base_url: str
    #: a PEM file of extra CA certificates to trust (a company CA), on top of the usual ones
    ca_bundle: Path | None = None
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    write_timeout_s: float = 30.0
    pool_timeout_s: float = 5.0
    #: the event stream's read timeout: the server sends a comment every 15 s
    events_read_timeout_s: float = 45.0
    #: tries in all (the first one included) for requests that are safe to repeat
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    #: a Retry-After longer than this is not waited out: the error goes to the caller at once
    max_retry_wait_s: float = 60.0
    max_body_bytes: int = 1 * MIB
    max_pull_bytes: int = 64 * MIB
    max_event_bytes: int = 1 * MIB

    def timeout(self, *, read_s: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout_s,
            read=self.read_timeout_s if read_s is None else read_s,
            write=self.write_timeout_s,
            pool=self.pool_timeout_s,
        )


def user_agent() -> str:
    """`LiaisonDesk/<version> (<platform>)`, e.g. `LiaisonDesk/0.1.0 (Windows 10; AMD64; Python 3.11)`."""
    system = platform.system() or "unknown"
    parts = [f"{system} {platform.release()}".strip(), platform.machine() or "unknown"]
    parts.append(f"Python {sys.version_info.major}.{sys.version_info.minor}")
    return f"LiaisonDesk/{__version__} ({'; '.join(parts)})"


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Verification on, against certifi's CAs plus `ca_bundle` when given; ValueError if unreadable."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"the CA bundle {ca_bundle} cannot be used: {exc}") from None
    return context


@dataclass(frozen=True, slots=True)
class Answer:
    """A response read in full (within its cap)."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        return str(self.headers.get("content-type", "")).partition(";")[0].strip().lower()


def transport_error(exc: httpx.HTTPError) -> ApiError:
    """The typed error for an httpx failure (its text names the URL, never a header)."""
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "talking to it")
        return TransportError(f"the server did not respond in time ({kind})")
    if isinstance(exc, httpx.DecodingError):
        return BadResponse("the server's answer could not be decoded")
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"cannot connect to the server ({_reason(exc)})")
    if isinstance(exc, httpx.TransportError):
        return TransportError(f"the connection to the server failed ({_reason(exc)})")
    return TransportError(f"the request failed ({type(exc).__name__})")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body, decoded, refusing more than `cap` bytes (a declared larger length is refused unread)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BadResponse(f"the server's answer is too large ({int(declared)} bytes; at most {cap} expected)")
    buffer = bytearray()
    for chunk in response.iter_bytes(_CHUNK):
        buffer += chunk
        if len(buffer) > cap:
            raise BadResponse(f"the server's answer is too large (over {cap} bytes)")
    return bytes(buffer)


def _halves(content: bytes, crash_point: str) -> Iterator[bytes]:
    """The body in two writes with the crash point between them (a process killed mid-request)."""
    middle = len(content) // 2
    yield content[:middle]
    crashpoints.hit(crash_point)
    yield content[middle:]


class Exchange:
    """One request, one capped answer; httpx failures become typed errors."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def send(
        self,
        method: str,
        path: str,
        *,
        cap: int,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        crash_point: str | None = None,
    ) -> Answer:
        """`crash_point`: a crash point (`crashpoints.py`) hit after half the body went out."""
        body: bytes | Iterator[bytes] | None = content
        if content is not None and crash_point is not None and crashpoints.armed(crash_point):
            headers = {**(headers or {}), "Content-Length": str(len(content))}
            body = _halves(content, crash_point)
        request = self.http.build_request(
            method,
            path,
            content=body,
            params=params,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            response = self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from None
        try:
            body = read_capped(response, cap)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from None
        finally:
            response.close()
        log.debug("%s %s -> %d (%d bytes)", method, request.url.path, response.status_code, len(body))
        return Answer(status=response.status_code, headers=response.headers, body=body)


def retryable(error: ApiError) -> bool:
    """Worth another try of a request that is safe to repeat: the failure may be gone by then."""
    if isinstance(error, (TransportError, RateLimited, Unavailable)):
        return True
    # a gateway's 502/504 passes; a 500 is a bug on the server that the same request hits again
    return isinstance(error, ServerError) and error.status in (502, 504)


class Backoff:
    """Delays between tries: full jitter over an exponential ceiling, at least the Retry-After."""

    def __init__(self, config: ApiConfig, jitter: Callable[[float], float] | None = None) -> None:
        self.base = config.backoff_base_s
        self.cap = config.backoff_cap_s
        self.max_retry_wait = config.max_retry_wait_s
        self._rng = random.Random()
        self._jitter = jitter if jitter is not None else self._uniform

    def _uniform(self, ceiling: float) -> float:
        return self._rng.uniform(0.0, ceiling)

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before try `attempt + 1` (attempt counts from 0); None: do not retry."""
        ceiling = min(self.cap, self.base * (2.0**attempt))
        wait = min(max(self._jitter(ceiling), 0.0), ceiling)
        if retry_after is not None:
            if retry_after > self.max_retry_wait:
                return None
            wait = max(wait, retry_after)
        return wait


class _TrackedStream(httpcore.NetworkStream):
    """A connection's socket stream that remembers which thread used it last (each request runs
    on one thread), so that `Hangups` can shut down the ones a given thread is blocked on."""

    def __init__(self, inner: httpcore.NetworkStream, hangups: "Hangups") -> None:
        self._inner = inner
        self._hangups = hangups
        self.user = threading.get_ident()

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.user = threading.get_ident()
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.user = threading.get_ident()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._hangups.forget(self)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self._inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)

    def hang_up(self) -> None:
        """Shut the socket down both ways: a read or write blocked on it in another thread returns
        at once (a `close()` from another thread would not wake it on Linux)."""
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            # the plain socket's shutdown even for TLS: SSLSocket.shutdown unwraps the TLS object
            # under the reading thread's feet; OSError: already closed, nothing to wake
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _TrackingBackend(httpcore.NetworkBackend):
    """httpcore's blocking backend, with every stream it opens registered in `Hangups`."""

    def __init__(self, hangups: "Hangups") -> None:
        self._inner = httpcore.SyncBackend()
        self._hangups = hangups

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return self._hangups.track(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self._hangups.track(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class Hangups:
    """The open connections of one HTTP client, and which thread each was last used by.

    `interrupt(thread_id)` shuts down the connections that thread is using and marks it, so that
    the request it was blocked in fails at once and is not retried (`consume`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[_TrackedStream] = set()
        self._interrupted: set[int] = set()

    def track(self, stream: httpcore.NetworkStream) -> _TrackedStream:
        tracked = _TrackedStream(stream, self)
        with self._lock:
            self._streams.add(tracked)
        return tracked

    def forget(self, stream: _TrackedStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def interrupt(self, thread_id: int) -> int:
        """Hang up `thread_id`'s connections; returns how many there were."""
        with self._lock:
            self._interrupted.add(thread_id)
            streams = [s for s in self._streams if s.user == thread_id]
        for stream in streams:
            stream.hang_up()
        log.debug("hung up %d connection(s) of thread %d", len(streams), thread_id)
        return len(streams)

    def clear(self) -> None:
        """Forget an interruption of the calling thread that came after its request had ended."""
        with self._lock:
            self._interrupted.discard(threading.get_ident())

    def consume(self) -> bool:
        """Whether the calling thread was interrupted (and forget it)."""
        ident = threading.get_ident()
        with self._lock:
            hit = ident in self._interrupted
            self._interrupted.discard(ident)
        return hit

    def transport(self, context: ssl.SSLContext) -> httpx.HTTPTransport:
        """An httpx transport whose connections are tracked here (direct connections only).

        httpx has no public way to pass a network backend, so the transport's connection pool is
        replaced by one built with the same defaults and our backend (httpx 0.28: `_pool`)."""
        transport = httpx.HTTPTransport(verify=context)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        transport._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_TrackingBackend(self),
        )
        return transport
