"""Access and refresh tokens.

An access token is `base64url(JSON claims) "." base64url(HMAC-SHA256(claims part, secret))` with
the claims `{sub, sid, exp, iat, typ: "access"}`; `sid` is the refresh-token family (the session),
so revoking the family ends its access tokens too. A refresh token is 32 random bytes, URL-safe;
the server stores only its SHA-256.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Final

ACCESS_TYPE: Final = "access"
REFRESH_BYTES: Final = 32
#: an access token longer than this is refused before any decoding
MAX_TOKEN_CHARS: Final = 2048


class InvalidTokenError(ValueError):
    """The token is malformed, forged or expired (the message says which, for the server log)."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    sid: str
    iat: int
    exp: int


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidTokenError("not base64url") from None


def _sign(secret: str, payload: str) -> str:
    return _b64encode(hmac.new(secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha256).digest())


def issue_access_token(secret: str, *, user_id: str, session_id: str, now: int, ttl_s: int) -> str:
    claims = {"sub": user_id, "sid": session_id, "iat": now, "exp": now + ttl_s, "typ": ACCESS_TYPE}
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_sign(secret, payload)}"


def decode_access_token(secret: str, token: str, *, now: int) -> AccessClaims:
    """The claims of a genuine, unexpired access token; raises `InvalidTokenError` otherwise."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidTokenError("malformed")
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        raise InvalidTokenError("malformed")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise InvalidTokenError("bad signature")
    try:
        claims = json.loads(_b64decode(payload))
    except ValueError:
        raise InvalidTokenError("malformed claims") from None
    if not isinstance(claims, dict) or claims.get("typ") != ACCESS_TYPE:
        raise InvalidTokenError("not an access token")
    sub, sid, iat, exp = (claims.get(k) for k in ("sub", "sid", "iat", "exp"))
    if not (isinstance(sub, str) and isinstance(sid, str) and isinstance(iat, int) and isinstance(exp, int)):
        raise InvalidTokenError("malformed claims")
    if exp <= now:
        raise InvalidTokenError("expired")
    return AccessClaims(sub=sub, sid=sid, iat=iat, exp=exp)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_BYTES)


def hash_refresh_token(token: str) -> str:
    """The SHA-256 (hex) stored for a refresh token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


INTEGRATION_KEY_PREFIX: Final = "lik_"


def new_integration_key() -> str:
    """A key for an integration (the phone system); shown once, only its hash is stored."""
    return INTEGRATION_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_integration_key(key: str) -> str:
    """The SHA-256 (hex) stored in integration_key.key_hash."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
