"""A key verifier beside the cache file (`cache.db.keycheck`), to tell a wrong key from a damaged file.

SQLCipher answers "file is not a database" both for a wrong key and for a damaged first page. The
verifier (a salted HMAC-SHA256 of the key, useless for finding the key) is written when the cache
is created: a key that does not match it is a `CacheKeyError` and the file is left alone; a key
that matches, with a file that still cannot be read, means the file is damaged.
"""

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from desktop.services.store.errors import CacheKeyError

KeyStatus = Literal["verified", "unknown"]
_LABEL = b"liaison-cache-key-check:"


def key_check_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".keycheck")


def _digest(salt: bytes, key: str) -> str:
    return hmac.new(salt, _LABEL + key.encode(), hashlib.sha256).hexdigest()


def write_key_check(db_path: Path, key: str | None) -> None:
    salt = secrets.token_bytes(16)
    body = {"encrypted": key is not None, "salt": salt.hex(), "check": _digest(salt, key) if key else ""}
    target = key_check_path(db_path)
    temp = target.with_name(target.name + ".tmp")
    temp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(temp, target)


def verify_key(db_path: Path, key: str | None) -> KeyStatus:
    """`"verified"` when the verifier matches, `"unknown"` without a (readable) one; else raises."""
    if key is not None and not key:
        raise CacheKeyError("The cache encryption key is empty: the profile's key could not be read.")
    try:
        body = json.loads(key_check_path(db_path).read_text(encoding="utf-8"))
        encrypted = bool(body["encrypted"])
        salt = bytes.fromhex(str(body["salt"]))
        check = str(body["check"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"
    if encrypted and key is None:
        raise CacheKeyError(
            "The offline cache is encrypted but no key was given: the profile's key is missing from "
            "the system keyring. The cache was left untouched."
        )
    if not encrypted and key is not None:
        raise CacheKeyError(
            "The offline cache is not encrypted but a key was given. The cache was left untouched."
        )
    if key is not None and not hmac.compare_digest(check, _digest(salt, key)):
        raise CacheKeyError(
            "The offline cache cannot be opened with this key (wrong key for this profile). "
            "The cache was left untouched."
        )
    return "verified"
