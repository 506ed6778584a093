"""A signed-in (or offline) session of the desktop: the profile's cache, the API client, the user.

Qt-free; the GUI runs `open_session` on its network lane. Three ways in:
- **sign in** with a password (`SignInRequest.password`), "keep me signed in" putting the refresh
  token in the OS keyring (never the password: it is only held in memory, see below);
- **restore** a kept sign-in from the keyring (`password=None`);
- **offline**: when the server cannot be reached and the profile already has a cache, the session
  opens on the cache alone and says why (`Session.notice`). `reconnect()` signs in once the server
  is back; `run_sync` does that before it hands over to the sync engine.

The cache is the profile's encrypted file, its key in the keyring exactly as `liaison sync` keeps
it (`profile_cache.cache_key`), so the window and the headless command share one cache.
`open_session(check="critical")` (what the window asks for) checks only the cache's critical
tables at open and leaves `Session.integrity`, the whole-file check, for the caller to run off the
critical path (`store.startup` says why); `close()` cancels it.
An offline start without a kept sign-in holds the password in this object's memory until the first
successful sign-in, then drops it: the alternative, asking again, would interrupt the agent when
the network returns.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import keyring.backend

from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError, NotAuthenticated, ServerError, TransportError, Unavailable
from desktop.services.api_http import ApiConfig
from desktop.services.credentials import Credentials, KeyringUnavailable
from desktop.services.opened_cache import OpenedCache, open_profile_cache
from desktop.services.profile_cache import cache_path
from desktop.services.settings import Paths
from desktop.services.sign_in import FailureKind, SignInFailed, SignInRequest
from desktop.services.store import Cache, StartupReport
from desktop.services.store.integrity import IntegrityCheck
from desktop.services.store.report import Check
from desktop.services.sync import SyncEngine
from wire.auth import UserInfo

log = logging.getLogger(__name__)

DEVICE_NAME: Final = "Liaison Desk"
#: waits between sign-in attempts while the server is unreachable (seconds; capped)
RECONNECT_BASE_S: Final = 2.0
RECONNECT_CAP_S: Final = 60.0

#: errors that mean "the server is not there right now", not "you may not sign in"
_UNREACHABLE = (TransportError, Unavailable, ServerError)

__all__ = ["FailureKind", "Session", "SignInFailed", "SignInRequest", "complete_session", "open_session"]


@dataclass
class Session:
    """An open session. `user` is None while offline and not yet signed in."""

    paths: Paths
    #: what was asked, without the password
    request: SignInRequest
    #: the profile's cache, what its open found, and the whole-file check still to run
    opened: OpenedCache
    api: ApiClient
    user: UserInfo | None
    #: why the session is offline or what the keyring could not do, for the user; None when all is well
    notice: str | None = None
    _password: str | None = field(default=None, repr=False)

    @property
    def cache(self) -> Cache:
        return self.opened.cache

    @property
    def startup(self) -> StartupReport:
        return self.opened.report

    @property
    def integrity(self) -> IntegrityCheck | None:
        """The whole-file integrity check still to run (None when the open checked the whole file)."""
        return self.opened.integrity

    @property
    def online(self) -> bool:
        return self.api.signed_in

    @property
    def cache_path(self) -> Path:
        return self.cache.path

    def reconnect(self) -> UserInfo:
        """Sign in now (the kept sign-in, else the password held since an offline start).

        Raises `SignInFailed` ("credentials"/"expired") when the server refuses, or the `ApiError`
        of an unreachable server (try again later)."""
        request = self.request
        try:
            if self._password is not None:
                user = self.api.login(
                    request.username,
                    self._password,
                    device_name=DEVICE_NAME,
                    keep_signed_in=request.keep_signed_in,
                )
            else:
                user = self.api.resume(request.username)
        except NotAuthenticated as exc:
            kind: FailureKind = "credentials" if self._password is not None else "expired"
            self._password = None
            raise SignInFailed(kind, exc.message) from None
        except KeyringUnavailable as exc:
            raise SignInFailed("keyring", exc.message) from None
        self._password = None
        self.user = user
        self.notice = self.api.keyring_error.message if self.api.keyring_error is not None else None
        log.info("signed in again as %s after an offline start", request.username)
        return user

    def run_sync(
        self,
        engine: SyncEngine,
        stop: threading.Event,
        *,
        wait: Callable[[float], None] | None = None,
    ) -> None:
        """Sign in first if the session started offline (retrying with capped doubling waits), then
        `engine.run_forever(stop)`. Returns when `stop` is set, or when the server refuses the sign-in
        (the status says so)."""
        pause = wait if wait is not None else stop.wait
        failures = 0
        while not self.online and not stop.is_set():
            try:
                self.reconnect()
            except SignInFailed as failed:
                log.warning("cannot sign in again (%s): sync stopped", failed.kind)
                engine.board.update(state="error", last_error=failed.detail)
                return
            except ApiError as error:
                failures += 1
                engine.board.update(state="offline", last_error=error.message)
                pause(min(RECONNECT_CAP_S, RECONNECT_BASE_S * 2.0 ** (failures - 1)))
        if not stop.is_set():
            engine.run_forever(stop)

    def close(self) -> None:
        """Cancel a running integrity check, close the API client and the cache (idempotent).

        The caller waits for the thread that ran `integrity.run()` before this, or the check's
        read snapshot may still be open while the cache closes."""
        self._password = None
        self.api.close()
        self.opened.close()


def open_session(
    paths: Paths,
    request: SignInRequest,
    *,
    encrypted: bool = True,
    keyring_backend: keyring.backend.KeyringBackend | None = None,
    api_config: ApiConfig | None = None,
    check: Check = "full",
) -> Session:
    """Sign in (or restore the kept sign-in) and open the profile's cache; offline from the cache
    when the server cannot be reached. Raises `SignInFailed`.

    `encrypted=False` keeps a plain SQLite cache and no cache key (the throwaway demo profile).
    `check="critical"` checks only the cache's critical tables now and leaves the rest in
    `Session.integrity` for the caller to run in the background."""
    api = _api(request, keyring_backend, api_config)
    try:
        user, notice = _sign_in_or_offline(paths, api, request)
        opened = open_profile_cache(paths, encrypted=encrypted, check=check)
    except BaseException:
        api.close()
        raise
    return _session(paths, request, opened, api, user, notice)


def complete_session(
    paths: Paths,
    request: SignInRequest,
    opened: OpenedCache,
    *,
    keyring_backend: keyring.backend.KeyringBackend | None = None,
    api_config: ApiConfig | None = None,
) -> Session:
    """Sign in (or restore the kept sign-in) around a cache `open_profile_cache` opened before (the
    window shows from the cache first); offline when the server cannot be reached. Raises
    `SignInFailed`; the cache stays open either way (the caller owns it until a session holds it)."""
    api = _api(request, keyring_backend, api_config)
    try:
        user, notice = _sign_in_or_offline(paths, api, request)
    except BaseException:
        api.close()
        raise
    return _session(paths, request, opened, api, user, notice)


def _api(
    request: SignInRequest, keyring_backend: keyring.backend.KeyringBackend | None, config: ApiConfig | None
) -> ApiClient:
    credentials = Credentials(request.server_url, keyring_backend)
    return ApiClient(config or ApiConfig(base_url=request.server_url), credentials)


def _sign_in_or_offline(
    paths: Paths, api: ApiClient, request: SignInRequest
) -> tuple[UserInfo | None, str | None]:
    """The signed-in user and a notice for the user (the keyring's trouble); (None, why) when the
    server cannot be reached and the profile has a cache to work offline from."""
    try:
        user = _sign_in(api, request)
    except NotAuthenticated as exc:
        raise SignInFailed(
            "credentials" if request.password is not None else "expired", exc.message
        ) from None
    except KeyringUnavailable as exc:
        raise SignInFailed("keyring", exc.message) from None
    except _UNREACHABLE as exc:
        if not cache_path(paths).exists():
            raise SignInFailed("unreachable", exc.message) from None
        log.info("server unreachable (%s): starting offline from the cache", type(exc).__name__)
        return None, exc.message
    except ApiError as exc:
        raise SignInFailed("server", exc.message) from None
    return user, api.keyring_error.message if api.keyring_error is not None else None


def _session(
    paths: Paths,
    request: SignInRequest,
    opened: OpenedCache,
    api: ApiClient,
    user: UserInfo | None,
    notice: str | None,
) -> Session:
    password = request.password if user is None else None
    # the session keeps the request without the password: only `_password` may hold it, until used
    kept = replace(request, password=None)
    return Session(paths, kept, opened, api, user, notice, _password=password)


def _sign_in(api: ApiClient, request: SignInRequest) -> UserInfo:
    if request.password is None:
        return api.resume(request.username)
    return api.login(
        request.username, request.password, device_name=DEVICE_NAME, keep_signed_in=request.keep_signed_in
    )
