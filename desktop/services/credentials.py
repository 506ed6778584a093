"""The refresh token in the OS keyring ("keep me signed in"), and nowhere else.

One keyring entry per server and user, under the service `liaison-desk`. The access token never
comes here: it lives in the API client's memory only. When the OS has no usable keyring (no
backend, a locked or broken one) every operation raises `KeyringUnavailable`, whose message can be
shown as is; the desktop then stays signed in for the session without keeping the sign-in.
"""

import logging
from typing import Final
from urllib.parse import urlsplit

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE: Final = "liaison-desk"


class KeyringUnavailable(Exception):
    """The OS keyring cannot be used; `message` says so in words fit for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def account_name(server_url: str, username: str) -> str:
    """The keyring entry's user name: `username@scheme://host:port` (the path is not part of it)."""
    parts = urlsplit(server_url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{username}@{scheme}://{host}:{port}"


class Credentials:
    """Saved refresh tokens for one server, in the OS keyring (or the `backend` given)."""

    def __init__(self, server_url: str, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self.server_url = server_url
        self._backend = backend

    def _keyring(self) -> keyring.backend.KeyringBackend:
        backend = self._backend if self._backend is not None else keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            raise KeyringUnavailable(
                "This computer has no usable keyring (password store), so Liaison Desk cannot keep you "
                "signed in. You stay signed in until you close the app."
            )
        return backend

    def _unavailable(self, action: str, exc: Exception) -> KeyringUnavailable:
        # the type only: a backend's message could quote what it was handed
        log.warning("keyring %s failed: %s", action, type(exc).__name__)
        if isinstance(exc, keyring.errors.KeyringLocked):
            reason = "the keyring (password store) is locked"
        else:
            reason = f"the keyring (password store) failed ({type(exc).__name__})"
        return KeyringUnavailable(
            f"Liaison Desk could not {action} your saved sign-in: {reason}. "
            "You stay signed in until you close the app."
        )

    def available(self) -> bool:
        """Whether a keyring backend is configured at all (it may still fail when used)."""
        try:
            self._keyring()
        except KeyringUnavailable:
            return False
        return True

    def load(self, username: str) -> str | None:
        """The saved refresh token of `username` on this server, or None."""
        backend = self._keyring()
        try:
            token = backend.get_password(SERVICE, account_name(self.server_url, username))
        except Exception as exc:  # any failure of a backend we do not own means "unavailable"
            raise self._unavailable("read", exc) from None
        return token if isinstance(token, str) and token else None

    def save(self, username: str, refresh_token: str) -> None:
        """Keep `refresh_token` for `username` (replacing the one before: tokens rotate)."""
        backend = self._keyring()
        try:
            backend.set_password(SERVICE, account_name(self.server_url, username), refresh_token)
        except Exception as exc:
            raise self._unavailable("save", exc) from None

    def delete(self, username: str) -> bool:
        """Remove the saved sign-in of `username`; False when there was none."""
        backend = self._keyring()
        account = account_name(self.server_url, username)
        try:
            if backend.get_password(SERVICE, account) is None:
                return False
            backend.delete_password(SERVICE, account)
        except Exception as exc:
            raise self._unavailable("remove", exc) from None
        return True
