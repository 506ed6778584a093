"""The desktop's client of the central CRM API (docs/protocol.md): sync httpx, run on worker threads.

- **Session**: the access token lives only in this object's memory; the refresh token too, and in
  the OS keyring (`Credentials`) when the user asked to stay signed in. A 401 triggers one refresh
  (serialised across threads; the rotated refresh token is saved before it is used), then the call
  is made once more.
- **Errors** are typed (`desktop.services.api_errors`): every protocol error code, `TransportError`
  for the network, `BadResponse` for anything that is not the protocol (HTML, garbage, the wrong
  schema, the wrong content type, a body over its cap). Nothing else escapes, except
  `KeyringUnavailable` from `resume` and `logout`.
- **Retries** with backoff only for what is safe to repeat: GETs, pull, and push (idempotent by
  mutation id). Never login, refresh (a refresh token works once) or logout.
- **Timeouts** on every call (connect, read, write, pool); TLS verification always on. A pull with
  `wait_ms` (the long-poll) gets a read timeout longer than its wait.
- **Interrupting**: `interrupt(thread_id)` hangs up the connections a thread is blocked on (the
  stall watchdog, stopping the live loop); its request then fails at once with `TransportError`
  and is not retried.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec
import pydantic
from httpx_sse import SSEError, connect_sse

from desktop.services.api_errors import (
    ApiError,
    BadResponse,
    NotAuthenticated,
    TransportError,
    error_from_response,
)
from desktop.services.api_http import (
    Answer,
    ApiConfig,
    Backoff,
    Exchange,
    Hangups,
    read_capped,
    retryable,
    tls_context,
    transport_error,
    user_agent,
)
from desktop.services.credentials import Credentials, KeyringUnavailable
from wire.auth import LogoutResponse, TokenPair, UserInfo
from wire.fast import FastPullResponse, ValidatedChange, decode_and_validate
from wire.lookups import CustomerDetail, LookupResponse, SearchResponse
from wire.sync import Health, PullRequest, PushRequest, PushResponse, ScopeChecksum

log = logging.getLogger(__name__)

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
PULL = "/api/v1/sync/pull"
PUSH = "/api/v1/sync/push"
EVENTS = "/api/v1/sync/events"
SCOPE_CHECKSUM = "/api/v1/sync/scope_checksum"
LOOKUP = "/api/v1/customers/lookup"
SEARCH = "/api/v1/customers/search"
CUSTOMERS = "/api/v1/customers"
HEALTH = "/healthz"

Model = TypeVar("Model", bound=pydantic.BaseModel)


@dataclass(frozen=True, slots=True)
class PullResult:
    """One pull page: the bytes as received and their decoded, validated form."""

    raw: bytes
    page: FastPullResponse
    #: scope → its changes, each validated against its entity's record struct
    changes: dict[str, list[ValidatedChange]]


#: the name events() gives the server's comment heartbeats (every 15 s): a listener sees that the
#: stream is alive and can check whether it should stop, even when nothing happens
HEARTBEAT = "heartbeat"


def iter_sse_lines(lines: Iterator[str]) -> Iterator[tuple[str, str, str]]:
    """(event, data, id) of each Server-Sent Event, and (HEARTBEAT, "", id) for each comment line."""
    event, event_id = "message", ""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield event, "\n".join(data), event_id
            event, data = "message", []
            continue
        if line.startswith(":"):
            yield HEARTBEAT, "", event_id
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One Server-Sent Event: `poke {head}` and, later, the contact-centre events."""

    event: str
    data: dict[str, Any]
    id: str = ""


@dataclass(slots=True)
class _Session:
    username: str
    user: UserInfo
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    #: the refresh token is (also) in the keyring
    kept: bool


def _schema_problem(model: str, exc: pydantic.ValidationError) -> BadResponse:
    # locations and error types only: pydantic's own text quotes the input, which may hold tokens
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['type']}" for e in exc.errors()[:5]
    )
    return BadResponse(f"the server's answer is not a valid {model} ({problems})")


def _decode(model: type[Model], answer: Answer) -> Model:
    try:
        return model.model_validate_json(answer.body)
    except pydantic.ValidationError as exc:
        raise _schema_problem(model.__name__, exc) from None


class ApiClient:
    """One server, one signed-in user at a time. Thread-safe: calls may run on several workers."""

    def __init__(
        self,
        config: ApiConfig,
        credentials: Credentials | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] | None = None,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self._sleep = sleep
        self._backoff = Backoff(config, jitter)
        context = tls_context(config.ca_bundle)
        self._hangups = Hangups()
        self._http = httpx.Client(
            base_url=config.base_url,
            timeout=config.timeout(),
            verify=context,
            transport=self._hangups.transport(context),
            headers={"User-Agent": user_agent(), "Accept": "application/json"},
            follow_redirects=False,
        )
        self._exchange = Exchange(self._http)
        self._session: _Session | None = None
        self._refresh_lock = threading.Lock()
        #: why "keep me signed in" could not be honoured (the keyring failed); None when it was
        self.keyring_error: KeyringUnavailable | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def interrupt(self, thread_id: int) -> int:
        """Hang up the connections thread `thread_id` is using: the request it is blocked in (a
        hung server or network) fails at once with `TransportError`, without retries. Returns how
        many connections were hung up."""
        return self._hangups.interrupt(thread_id)

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        who = self._session.username if self._session else None
        return f"ApiClient({self.config.base_url!r}, user={who!r})"

    @property
    def user(self) -> UserInfo | None:
        session = self._session
        return session.user if session else None

    @property
    def signed_in(self) -> bool:
        return self._session is not None

    @property
    def kept_signed_in(self) -> bool:
        """Whether the sign-in is saved in the keyring (survives closing the app)."""
        session = self._session
        return bool(session and session.kept)

    # -- auth ----------------------------------------------------------------------------------

    def login(
        self, username: str, password: str, device_name: str = "", keep_signed_in: bool = False
    ) -> UserInfo:
        """Sign in (never retried). With `keep_signed_in`, the refresh token goes to the keyring; if
        the keyring fails, the sign-in still holds for this session and `keyring_error` says why."""
        body = json.dumps({"username": username, "password": password, "device_name": device_name})
        answer = self._call("POST", LOGIN, content=body.encode(), auth=False)
        pair = _decode(TokenPair, answer)
        self.keyring_error = None
        if not keep_signed_in:
            self._forget_saved(username)
        self._adopt(pair, username, keep_signed_in)
        log.info("signed in as %s (kept: %s)", username, self.kept_signed_in)
        return pair.user

    def resume(self, username: str) -> UserInfo:
        """Sign in again with the refresh token saved in the keyring ("keep me signed in").

        Raises `NotAuthenticated` when nothing is saved or the saved sign-in expired or was revoked
        (the dead entry is removed), `KeyringUnavailable` when the keyring cannot be read."""
        if self.credentials is None:
            raise NotAuthenticated("there is no saved sign-in: please sign in")
        token = self.credentials.load(username)
        if token is None:
            raise NotAuthenticated(f"there is no saved sign-in for {username}: please sign in")
        try:
            answer = self._call("POST", REFRESH, content=_json_bytes({"refresh_token": token}), auth=False)
        except NotAuthenticated as exc:
            self._forget_saved(username)
            raise NotAuthenticated(
                "your saved sign-in has expired or was ended: please sign in again", status=exc.status
            ) from None
        pair = _decode(TokenPair, answer)
        self.keyring_error = None
        self._adopt(pair, username, keep=True)
        log.info("resumed the saved sign-in of %s", username)
        return pair.user

    def logout(self) -> bool:
        """Sign out: revoke the session on the server (best effort, never retried), forget the
        tokens and remove the keyring entry. True when the server confirmed the revocation.
        Raises `KeyringUnavailable` if the sign-in was kept and its entry could not be removed."""
        session = self._session
        if session is None:
            return False
        revoked = False
        try:
            answer = self._call(
                "POST",
                LOGOUT,
                content=_json_bytes({"refresh_token": session.refresh_token}),
                refresh_on_401=False,
            )
            revoked = _decode(LogoutResponse, answer).revoked
        except ApiError as exc:
            log.warning("the server did not confirm the sign-out: %s", exc.message)
        self._session = None
        log.info("signed out %s (revoked on the server: %s)", session.username, revoked)
        if session.kept and self.credentials is not None:
            self.credentials.delete(session.username)  # it worked at sign-in: a failure now matters
        else:
            self._forget_saved(session.username)  # one left by an earlier run, if the keyring works
        return revoked

    def me(self) -> UserInfo:
        return _decode(UserInfo, self._call("GET", ME, retry=True))

    def health(self) -> Health:
        """`/healthz` (no sign-in needed). A 503 `degraded` answer raises `Unavailable`."""
        return _decode(Health, self._call("GET", HEALTH, auth=False, retry=False))

    # -- sync ----------------------------------------------------------------------------------

    def pull(self, request: PullRequest) -> PullResult:
        """One pull page, retried when safe; the raw bytes and the validated page (the fast path)."""
        read_s = self.config.read_timeout_s + (request.wait_ms or 0) / 1000
        answer = self._call(
            "POST",
            PULL,
            content=request.model_dump_json().encode(),
            retry=True,
            cap=self.config.max_pull_bytes,
            timeout=self.config.timeout(read_s=read_s),
        )
        try:
            page, changes = decode_and_validate(answer.body)
        except (msgspec.MsgspecError, ValueError) as exc:
            raise BadResponse(f"the server's pull page is not valid ({exc})") from None
        return PullResult(raw=answer.body, page=page, changes=changes)

    def push(self, request: PushRequest) -> PushResponse:
        """Push mutations; retried when safe (a mutation id seen before returns its stored result)."""
        answer = self._call(
            "POST",
            PUSH,
            content=request.model_dump_json().encode(),
            retry=True,
            crash_point="mid_push_request",
        )
        return _decode(PushResponse, answer)

    def scope_checksum(self, scope: str, client_id: str | None = None) -> ScopeChecksum:
        headers = {"X-Client-Id": client_id} if client_id else None
        answer = self._call("GET", SCOPE_CHECKSUM, params={"scope": scope}, headers=headers, retry=True)
        return _decode(ScopeChecksum, answer)

    # -- lookups -------------------------------------------------------------------------------

    def lookup_phone(self, phone: str, client_id: str | None = None) -> LookupResponse:
        return self._lookup({"phone": phone}, client_id)

    def lookup_email(self, email: str, client_id: str | None = None) -> LookupResponse:
        return self._lookup({"email": email}, client_id)

    def _lookup(self, params: dict[str, str], client_id: str | None) -> LookupResponse:
        headers = {"X-Client-Id": client_id} if client_id else None
        return _decode(LookupResponse, self._call("GET", LOOKUP, params=params, headers=headers, retry=True))

    def search(self, query: str, limit: int = 20) -> SearchResponse:
        answer = self._call("GET", SEARCH, params={"q": query, "limit": limit}, retry=True)
        return _decode(SearchResponse, answer)

    def customer(self, customer_id: str, client_id: str | None = None) -> CustomerDetail:
        """One customer in full; with `client_id` the server opens its `customer:<id>` scope."""
        headers = {"X-Client-Id": client_id} if client_id else None
        path = f"{CUSTOMERS}/{quote(customer_id, safe='')}"
        return _decode(CustomerDetail, self._call("GET", path, headers=headers, retry=True))

    def send(
        self,
        method: str,
        path: str,
        *,
        body: pydantic.BaseModel | None = None,
        params: Mapping[str, str | int] | None = None,
        retry: bool = False,
    ) -> bytes:
        """An authenticated JSON request to any endpoint (the contact centre's, the offers'):
        the 2xx body, or a typed `ApiError`. `retry` only for requests that are safe to repeat."""
        content = body.model_dump_json(exclude_unset=False).encode() if body is not None else None
        return self._call(method, path, content=content, params=params, retry=retry).body

    # -- live events ---------------------------------------------------------------------------

    def events(self) -> Generator[ServerEvent, None, None]:
        """The user's Server-Sent Events until the server closes the stream (reconnect then).

        A silent connection ends with `TransportError` after `events_read_timeout_s` (the server
        writes a comment every 15 s). Close the iterator to hang up."""
        timeout = self.config.timeout(read_s=self.config.events_read_timeout_s)
        refreshed = False
        self._hangups.clear()
        while True:
            session = self._current()
            try:
                with connect_sse(
                    self._http, "GET", EVENTS, headers=self._auth(session), timeout=timeout
                ) as source:
                    response = source.response
                    if response.status_code == 401 and not refreshed:
                        refreshed = True
                    else:
                        if not 200 <= response.status_code < 300:
                            body = read_capped(response, self.config.max_body_bytes)
                            raise error_from_response(response.status_code, body, response.headers)
                        if "text/event-stream" not in response.headers.get("content-type", ""):
                            raise BadResponse("the server's event stream is not text/event-stream")
                        for name, data, event_id in iter_sse_lines(response.iter_lines()):
                            if name == HEARTBEAT:
                                yield ServerEvent(event=HEARTBEAT, data={}, id=event_id)
                            else:
                                yield self._event(name, data, event_id)
                        return
            except SSEError:  # a subclass of httpx.TransportError: first
                raise BadResponse("the server's event stream is not text/event-stream") from None
            except httpx.HTTPError as exc:
                if self._hangups.consume():
                    raise TransportError("the event stream was hung up") from None
                raise transport_error(exc) from None
            self._refresh(session)

    def _event(self, name: str, data: str, event_id: str) -> ServerEvent:
        if len(data) > self.config.max_event_bytes:
            raise BadResponse(
                f"an event from the server is too large (over {self.config.max_event_bytes} bytes)"
            )
        try:
            value = json.loads(data) if data else {}
        except ValueError:
            raise BadResponse(f"the server's {name!r} event does not carry JSON") from None
        if not isinstance(value, dict):
            raise BadResponse(f"the server's {name!r} event does not carry a JSON object")
        return ServerEvent(event=name, data=value, id=event_id)

    # -- the machinery -------------------------------------------------------------------------

    def _current(self) -> _Session:
        session = self._session
        if session is None:
            raise NotAuthenticated("not signed in")
        return session

    @staticmethod
    def _auth(session: _Session) -> dict[str, str]:
        return {"Authorization": f"Bearer {session.access_token}"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        retry: bool = False,
        refresh_on_401: bool = True,
        cap: int | None = None,
        timeout: httpx.Timeout | None = None,
        crash_point: str | None = None,
    ) -> Answer:
        """Send, with one refresh on 401 and (when `retry`) backoff; a 2xx JSON answer or a typed error.
        `crash_point`: hit halfway through sending the body (the reliability tests' mid-request kill)."""
        limit = self.config.max_body_bytes if cap is None else cap
        attempt = 0
        refreshed = False
        self._hangups.clear()
        while True:
            sent_headers = dict(headers or {})
            session = None
            if auth:
                session = self._current()
                sent_headers.update(self._auth(session))
            if content is not None:
                sent_headers["Content-Type"] = "application/json"
            try:
                answer = self._exchange.send(
                    method,
                    path,
                    cap=limit,
                    content=content,
                    params=params,
                    headers=sent_headers,
                    timeout=timeout,
                    crash_point=crash_point,
                )
                if answer.ok:
                    if answer.media_type != "application/json":
                        raise BadResponse(
                            f"the server answered {answer.media_type or 'no content type'} instead of JSON",
                            status=answer.status,
                        )
                    return answer
                raise error_from_response(answer.status, answer.body, answer.headers)
            except NotAuthenticated:
                if not (refresh_on_401 and not refreshed and session is not None):
                    raise
                refreshed = True
                self._refresh(session)
            except ApiError as error:
                if self._hangups.consume():
                    raise TransportError(f"{method} {path} was interrupted (no progress)") from None
                if not (retry and retryable(error) and attempt + 1 < self.config.max_attempts):
                    raise
                delay = self._backoff.delay(attempt, error.retry_after)
                if delay is None:
                    raise
                attempt += 1
                log.info(
                    "%s %s failed (%s: %s); try %d of %d in %.2f s",
                    method,
                    path,
                    type(error).__name__,
                    error.message,
                    attempt + 1,
                    self.config.max_attempts,
                    delay,
                )
                self._sleep(delay)

    def _refresh(self, stale: _Session) -> None:
        """Trade the refresh token for a new pair, once for all threads whose call with `stale` failed."""
        with self._refresh_lock:
            session = self._session
            if session is None:
                raise NotAuthenticated("not signed in")
            if session is not stale:
                return  # another thread refreshed (or signed in) meanwhile: just try again
            try:
                answer = self._call(
                    "POST", REFRESH, content=_json_bytes({"refresh_token": session.refresh_token}), auth=False
                )
            except NotAuthenticated as exc:
                # revoked, expired or reused: this sign-in is over, and so is its saved copy
                self._session = None
                if session.kept:
                    self._forget_saved(session.username)
                raise NotAuthenticated(
                    "your sign-in has expired or was ended: please sign in again", status=exc.status
                ) from None
            self._adopt(_decode(TokenPair, answer), session.username, session.kept)
            log.info("refreshed the sign-in of %s", session.username)

    def _adopt(self, pair: TokenPair, username: str, keep: bool) -> None:
        """Make `pair` the session; with `keep`, save the refresh token first (it rotates)."""
        if keep and self.credentials is None:
            keep = False
        if keep and self.credentials is not None:
            try:
                self.credentials.save(username, pair.refresh_token)
            except KeyringUnavailable as exc:
                self.keyring_error = exc
                keep = False
                # a rotated-away token left in the keyring would revoke the session if resumed
                self._forget_saved(username)
        self._session = _Session(
            username=username,
            user=pair.user,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            kept=keep,
        )

    def _forget_saved(self, username: str) -> None:
        """Remove a saved sign-in where we can; a failing keyring is only logged here."""
        if self.credentials is None:
            return
        try:
            self.credentials.delete(username)
        except KeyringUnavailable as exc:
            log.debug("could not remove a saved sign-in: %s", exc.message)


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value).encode()
