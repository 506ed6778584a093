"""A profile's offline cache file and its key: shared by the window (`session.py`) and the
headless `liaison sync`, so both open the same encrypted cache.

The key is 32 random bytes (hex) per profile, made the first time and kept in the OS keyring
(service `liaison-desk`, entry `cache-key:<profile path>`); it never touches a file.
"""

import secrets
from pathlib import Path
from typing import Final

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

from desktop.services.credentials import SERVICE
from desktop.services.settings import Paths

CACHE_FILE: Final = "cache.db"


class SetupError(Exception):
    """The cache cannot be opened for a reason the user must fix (keyring, missing cache): the
    message is for the user."""


def cache_path(paths: Paths) -> Path:
    return paths.data_dir / CACHE_FILE


def cache_key_entry(profile: Path) -> str:
    return f"cache-key:{profile.expanduser().resolve()}"


def keyring_backend() -> keyring.backend.KeyringBackend:
    """The OS keyring, or `SetupError` explaining that there is none."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise SetupError(
            "This computer has no usable keyring (password store): Liaison Desk keeps the offline "
            "cache's key and your sign-in there. Install or unlock a keyring and try again."
        )
    return backend


def cache_key(profile: Path, *, create: bool) -> str:
    """The profile's cache key from the keyring, made (32 random bytes, hex) the first time."""
    backend = keyring_backend()
    entry = cache_key_entry(profile)
    try:
        key = backend.get_password(SERVICE, entry)
        if key:
            return str(key)
        if not create:
            raise SetupError(f"The profile {profile} has no cache key in the keyring: sync it first.")
        key = secrets.token_hex(32)
        backend.set_password(SERVICE, entry, key)
    except keyring.errors.KeyringError as exc:
        raise SetupError(f"The keyring (password store) failed ({type(exc).__name__}).") from None
    return key
