"""Password hashing: scrypt (memory-hard), encoded as `scrypt$n$r$p$salt_b64$hash_b64`."""

import base64
import functools
import hashlib
import hmac
import secrets
from typing import Final

from sqlalchemy import select

from server.db import tables as t
from server.db.engine import Database

SCHEME: Final = "scrypt"
N: Final = 2**14
R: Final = 8
P: Final = 1
SALT_BYTES: Final = 16
HASH_BYTES: Final = 32
#: the cap OpenSSL enforces on scrypt's memory; 128·n·r·p is 16 MiB at our parameters
MAX_MEMORY: Final = 64 * 1024 * 1024
#: parameters above these are refused when verifying, so a crafted hash cannot exhaust memory
_MAX_N: Final = 2**20
_MAX_RP: Final = 64

DEMO_PASSWORD: Final = "demo"  # noqa: S105 - the seeded demo users' password, detected to refuse exposure


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, *, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=MAX_MEMORY)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, n=N, r=R, p=P, length=HASH_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the encoded hash; the comparison takes constant time."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return False
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= _MAX_RP and 0 < p <= _MAX_RP):
        return False
    if not expected or 128 * n * r * p > MAX_MEMORY:
        return False
    actual = _derive(password, salt, n=n, r=r, p=p, length=len(expected))
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so an unknown name costs as much as a wrong
    password (no timing difference tells which usernames exist)."""
    return hash_password(secrets.token_urlsafe(16))


def uses_demo_password(db: Database) -> bool:
    """Whether any enabled user's password is the demo password."""
    with db.read() as conn:
        hashes = conn.execute(
            select(t.app_user.c.password_hash).where(
                t.app_user.c.disabled.is_(False), t.app_user.c.deleted_at.is_(None)
            )
        ).scalars()
        stored = list(hashes)
    return any(verify_password(DEMO_PASSWORD, h) for h in stored)
