"""Login, token refresh with rotation, logout, users, and the principal behind an access token.

Refresh tokens rotate: each refresh marks the presented token used and issues the next one in the
same family (one family = one login session). Presenting a used token again means it was copied,
so the whole family is revoked and every access token of that session stops working too.
"""

import logging
import math
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from sqlalchemy import Connection, RowMapping, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.auth import passwords, tokens
from server.auth.principal import Principal
from server.config import ServerSettings
from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, parse_timestamp, utcnow
from server.sync.changes import ChangeWriter
from wire.auth import Role, TokenPair, UserInfo

log = logging.getLogger(__name__)

ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
BAD_CREDENTIALS: Final = "invalid username or password"


class AuthError(Exception):
    """An expected failure; `code` is one of wire.errors.ErrorCode (the API maps it to a status)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.details = details or {}


def audit(
    conn: Connection,
    action: str,
    *,
    user_id: str | None = None,
    address: str | None = None,
    client_id: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(t.audit_log).values(
            at=utcnow(),
            user_id=user_id,
            client_id=client_id,
            address=(address or None) and address[:64],
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def user_info(row: RowMapping) -> UserInfo:
    return UserInfo.model_validate(
        {
            "id": row["id"],
            "username": row["username"],
            "display_name": row["display_name"],
            "roles": list(row["roles"]),
            "queue_ids": list(row["queue_ids"]),
            "territory_ids": list(row["territory_ids"]),
        }
    )


def _missing(conn: Connection, table: Table, ids: Sequence[str]) -> list[str]:
    if not ids:
        return []
    found = set(conn.execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
    return [i for i in ids if i not in found]


def create_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    queue_ids: Iterable[str] = (),
    territory_ids: Iterable[str] = (),
    actor_id: str | None = None,
) -> UserInfo:
    """Create a user; the row is the synced `user_directory` entity, so it goes through ChangeWriter."""
    role_list = list(dict.fromkeys(roles))
    unknown = [r for r in role_list if r not in ROLES]
    if not role_list or unknown:
        raise AuthError(
            "validation_failed",
            f"roles must be some of {', '.join(sorted(ROLES))}",
            details={"roles": unknown},
        )
    queues, territories = list(dict.fromkeys(queue_ids)), list(dict.fromkeys(territory_ids))
    password_hash = passwords.hash_password(password)
    user_id = str(uuid.uuid4())
    try:
        with db.write() as conn:
            taken = conn.execute(select(t.app_user.c.id).where(t.app_user.c.username == username)).first()
            if taken is not None:
                raise AuthError("conflict", f"the username {username!r} is taken")
            bad = {"queue_ids": _missing(conn, t.queue, queues)}
            bad["territory_ids"] = _missing(conn, t.territory, territories)
            if bad["queue_ids"] or bad["territory_ids"]:
                raise AuthError("validation_failed", "unknown queue or territory ids", details=bad)
            writer = ChangeWriter(conn)
            writer.insert(
                "user_directory",
                {
                    "id": user_id,
                    "username": username,
                    "display_name": display_name,
                    "password_hash": password_hash,
                    "roles": role_list,
                    "queue_ids": queues,
                    "territory_ids": territories,
                    "disabled": False,
                    "created_at": iso(utcnow()),
                },
            )
            writer.notify()
            audit(
                conn,
                "user_created",
                user_id=actor_id,
                entity="user_directory",
                entity_id=user_id,
                detail={"username": username, "roles": role_list},
            )
    except IntegrityError:  # a concurrent create of the same username
        raise AuthError("conflict", f"the username {username!r} is taken") from None
    return UserInfo.model_validate(
        {
            "id": user_id,
            "username": username,
            "display_name": display_name,
            "roles": role_list,
            "queue_ids": queues,
            "territory_ids": territories,
        }
    )


def _usable(user: RowMapping | None) -> bool:
    return user is not None and not user["disabled"] and user["deleted_at"] is None


class AuthService:
    """The auth operations over one database; safe to share between threads."""

    def __init__(self, db: Database, settings: ServerSettings) -> None:
        self.db = db
        self.settings = settings
        self._secret: str | None = None

    def token_secret(self) -> str:
        if self._secret is None:
            with self.db.read() as conn:
                self._secret = str(conn.execute(select(t.server_meta.c.token_secret)).scalar_one())
        return self._secret

    # ---- login ----

    def _retry_after(self, conn: Connection, column: Any, key: str, limit: int, now: datetime) -> int | None:
        """Seconds until fewer than `limit` failures for `key` remain in the window; None if not limited."""
        if limit <= 0:
            return None
        window = timedelta(seconds=self.settings.login_window_s)
        times = list(
            conn.execute(
                select(t.login_failure.c.at)
                .where(column == key, t.login_failure.c.at > now - window)
                .order_by(t.login_failure.c.at)
            ).scalars()
        )
        if len(times) < limit:
            return None
        release = parse_timestamp(times[len(times) - limit]) + window
        return max(1, math.ceil((release - now).total_seconds()))

    def login(self, username: str, password: str, *, device_name: str = "", address: str = "") -> TokenPair:
        now = utcnow()
        key = username.lower()
        addr = address or "unknown"
        with self.db.read() as conn:
            waits = [
                self._retry_after(
                    conn, t.login_failure.c.username, key, self.settings.login_max_failures_per_user, now
                ),
                self._retry_after(
                    conn, t.login_failure.c.address, addr, self.settings.login_max_failures_per_address, now
                ),
            ]
            user = (
                conn.execute(select(t.app_user).where(t.app_user.c.username == username)).mappings().first()
            )
        limited = [w for w in waits if w is not None]
        if limited:
            log.warning("login rate limited for %r from %s", username, addr)
            raise AuthError(
                "rate_limited", "too many failed logins; try again later", retry_after=max(limited)
            )
        ok = passwords.verify_password(password, user["password_hash"] if user else passwords.dummy_hash())
        if not ok or user is None:
            with self.db.write() as conn:
                conn.execute(insert(t.login_failure).values(username=key, address=addr, at=now))
                audit(
                    conn,
                    "login_failed",
                    user_id=user["id"] if user else None,
                    address=addr,
                    detail={"username": username[:150]},
                )
            raise AuthError("not_authenticated", BAD_CREDENTIALS)
        if not _usable(user):
            with self.db.write() as conn:
                audit(conn, "login_refused", user_id=user["id"], address=addr, detail={"reason": "disabled"})
            raise AuthError("not_authenticated", "this account is disabled")
        with self.db.write() as conn:
            conn.execute(delete(t.login_failure).where(t.login_failure.c.username == key))
            family_id = str(uuid.uuid4())
            pair = self._issue(conn, user, family_id=family_id, device_name=device_name, now=now)
            audit(conn, "login", user_id=user["id"], address=addr, detail={"session": family_id})
        return pair

    def _issue(
        self, conn: Connection, user: RowMapping, *, family_id: str, device_name: str, now: datetime
    ) -> TokenPair:
        refresh = tokens.new_refresh_token()
        conn.execute(
            insert(t.refresh_token).values(
                id=str(uuid.uuid4()),
                family_id=family_id,
                user_id=user["id"],
                token_hash=tokens.hash_refresh_token(refresh),
                device_name=device_name[:200],
                issued_at=now,
                expires_at=now + timedelta(days=self.settings.refresh_token_ttl_days),
            )
        )
        ttl = self.settings.access_token_ttl_s
        access = tokens.issue_access_token(
            self.token_secret(), user_id=user["id"], session_id=family_id, now=int(now.timestamp()), ttl_s=ttl
        )
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl, user=user_info(user))

    # ---- refresh and logout ----

    def _revoke_families(self, conn: Connection, family_ids: Iterable[str], now: datetime) -> int:
        ids = list(family_ids)
        if not ids:
            return 0
        result = conn.execute(
            update(t.refresh_token)
            .where(t.refresh_token.c.family_id.in_(ids), t.refresh_token.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    def refresh(self, refresh_token: str, *, address: str = "") -> TokenPair:
        now = utcnow()
        token_hash = tokens.hash_refresh_token(refresh_token)
        failure: str | None = None
        pair: TokenPair | None = None
        with self.db.write() as conn:
            row = (
                conn.execute(select(t.refresh_token).where(t.refresh_token.c.token_hash == token_hash))
                .mappings()
                .first()
            )
            if row is None:
                failure = "unknown refresh token"
            elif row["revoked_at"] is not None:
                failure = "the session has ended"
            elif row["used_at"] is not None:
                failure = self._reuse(conn, row, address, now)
            elif parse_timestamp(row["expires_at"]) <= now:
                failure = "the refresh token has expired"
            else:
                user = (
                    conn.execute(select(t.app_user).where(t.app_user.c.id == row["user_id"]))
                    .mappings()
                    .first()
                )
                if user is None or not _usable(user):
                    self._revoke_families(conn, [row["family_id"]], now)
                    failure = "this account is disabled"
                else:
                    claimed = conn.execute(
                        update(t.refresh_token)
                        .where(
                            t.refresh_token.c.id == row["id"],
                            t.refresh_token.c.used_at.is_(None),
                            t.refresh_token.c.revoked_at.is_(None),
                        )
                        .values(used_at=now)
                    )
                    if claimed.rowcount != 1:
                        failure = self._reuse(conn, row, address, now)
                    else:
                        pair = self._issue(
                            conn, user, family_id=row["family_id"], device_name=row["device_name"], now=now
                        )
        if pair is None:
            raise AuthError("not_authenticated", failure or "invalid refresh token")
        return pair

    def _reuse(self, conn: Connection, row: RowMapping, address: str, now: datetime) -> str:
        revoked = self._revoke_families(conn, [row["family_id"]], now)
        audit(
            conn,
            "refresh_reuse",
            user_id=row["user_id"],
            address=address,
            detail={"session": row["family_id"], "revoked_tokens": revoked},
        )
        log.warning("refresh token reuse for user %s: session %s revoked", row["user_id"], row["family_id"])
        return "the refresh token was already used; the session has been revoked"

    def logout(self, *, principal: Principal | None, refresh_token: str | None, address: str = "") -> bool:
        """Revoke the caller's session and/or the refresh token's family; True when one was revoked."""
        now = utcnow()
        families: set[str] = set()
        user_id = principal.id if principal else None
        if principal is not None and principal.session_id:
            families.add(principal.session_id)
        with self.db.write() as conn:
            if refresh_token:
                row = conn.execute(
                    select(t.refresh_token.c.family_id, t.refresh_token.c.user_id).where(
                        t.refresh_token.c.token_hash == tokens.hash_refresh_token(refresh_token)
                    )
                ).first()
                if row is not None:
                    families.add(row.family_id)
                    user_id = user_id or row.user_id
            revoked = self._revoke_families(conn, families, now)
            if families:
                audit(conn, "logout", user_id=user_id, address=address, detail={"sessions": sorted(families)})
        return revoked > 0

    # ---- the caller behind an access token ----

    def load_principal(self, access_token: str) -> Principal:
        try:
            claims = tokens.decode_access_token(self.token_secret(), access_token, now=int(time.time()))
        except tokens.InvalidTokenError as exc:
            log.debug("refused an access token: %s", exc)
            raise AuthError("not_authenticated", "the access token is invalid or expired") from None
        with self.db.read() as conn:
            user = conn.execute(select(t.app_user).where(t.app_user.c.id == claims.sub)).mappings().first()
            ended = conn.execute(
                select(t.refresh_token.c.id)
                .where(t.refresh_token.c.family_id == claims.sid, t.refresh_token.c.revoked_at.is_not(None))
                .limit(1)
            ).first()
        if user is None or not _usable(user):
            raise AuthError("not_authenticated", "the account is disabled or gone")
        if ended is not None:
            raise AuthError("not_authenticated", "the session has ended")
        return Principal(
            id=user["id"],
            username=user["username"],
            display_name=user["display_name"],
            roles=frozenset(user["roles"]),
            queue_ids=tuple(user["queue_ids"]),
            territory_ids=tuple(user["territory_ids"]),
            session_id=claims.sid,
        )

    def user(self, user_id: str) -> UserInfo:
        with self.db.read() as conn:
            row = conn.execute(select(t.app_user).where(t.app_user.c.id == user_id)).mappings().first()
        if row is None:
            raise AuthError("not_found", "no such user")
        return user_info(row)
