"""On-demand customer scopes (SYNC.md §1): one customer's whole history, held for 24 hours.

An agent's default scopes hold every customer's profile (`directory`) and the open cases of their
queues, not every customer's history. When the agent opens a customer that no held scope covers in
full, the desktop asks the server for the customer (`GET /api/v1/customers/{id}` with the client
id); the server then grants this client the scope `customer:<id>` for 24 hours. The grant is kept
here, in the cache file (table `customer_scope_grant`), so the sync engine subscribes to the scope
across restarts until it expires: `SyncEngine.scopes()` = the defaults + `live_scopes()`.

Expiry is measured on this computer's wall clock from the moment the grant was recorded (the
server's own expiry time is kept for display and support only): a client clock that disagrees
with the server's then shortens or lengthens the hold, and the server's refusal of a scope it no
longer grants (`scope_not_granted`) drops it just the same — the server stays the authority.

The table is part of the cache schema (v4, `store/schema.py`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection

from desktop.services.store import Cache, Writer, state
from desktop.services.store.driver import run
from desktop.services.store.outbox import has_entries

if TYPE_CHECKING:  # the window opens before the API client exists (desktop/preload.py)
    from desktop.services.api import ApiClient

#: how long a granted customer scope is held (the server's `ON_DEMAND_TTL_HOURS`)
TTL: Final = timedelta(hours=24)
#: opening a customer whose grant is at least this old asks the server again, which renews it (a
#: customer the agent keeps working with does not lapse in the middle of the work)
RENEW_AFTER: Final = TTL / 2
PREFIX: Final = "customer:"
TABLE: Final = "customer_scope_grant"


@dataclass(frozen=True)
class Grant:
    """A customer scope this client holds: recorded at `granted_at`, dropped at `expires_at`
    (both ISO times of this computer's clock); `server_expires_at` as the server said."""

    scope: str
    customer_id: str
    granted_at: str
    expires_at: str
    server_expires_at: str | None = None


def scope_name(customer_id: str) -> str:
    return PREFIX + customer_id


def is_customer_scope(name: str) -> bool:
    return name.startswith(PREFIX) and len(name) > len(PREFIX)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _expired(grant: Grant, now: datetime) -> bool:
    try:
        return _aware(datetime.fromisoformat(grant.expires_at)) <= _aware(now)
    except ValueError:
        return True  # an unreadable time: drop it, the next opening grants it again


def grants(conn: Connection) -> list[Grant]:
    """Every recorded grant, live or expired, by scope name."""
    rows = run(
        conn,
        f"SELECT scope, customer_id, granted_at, expires_at, server_expires_at FROM {TABLE} ORDER BY scope",
    ).fetchall()
    return [Grant(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows]


def live_scopes(conn: Connection, now: datetime) -> list[str]:
    """The customer scopes held at `now` (not expired), by name."""
    return [g.scope for g in grants(conn) if not _expired(g, now)]


def expired_scopes(conn: Connection, now: datetime) -> list[str]:
    return [g.scope for g in grants(conn) if _expired(g, now)]


def record(conn: Connection, name: str, now: datetime, *, server_expires_at: str | None = None) -> Grant:
    """Record (or renew) the grant of the customer scope `name` at `now`, inside a writer
    transaction; the hold lasts `TTL` from `now`."""
    if not is_customer_scope(name):
        raise ValueError(f"not a customer scope: {name!r}")
    moment = _aware(now)
    grant = Grant(
        scope=name,
        customer_id=name[len(PREFIX) :],
        granted_at=moment.isoformat(),
        expires_at=(moment + TTL).isoformat(),
        server_expires_at=server_expires_at or None,
    )
    run(
        conn,
        f"INSERT INTO {TABLE} (scope, customer_id, granted_at, expires_at, server_expires_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET granted_at = excluded.granted_at, "
        "expires_at = excluded.expires_at, server_expires_at = excluded.server_expires_at",
        (grant.scope, grant.customer_id, grant.granted_at, grant.expires_at, grant.server_expires_at),
    )
    return grant


def record_grant(writer: Writer, name: str, now: datetime, *, server_expires_at: str | None = None) -> Grant:
    """`record` in its own write transaction."""
    with writer.transaction() as conn:
        return record(conn, name, now, server_expires_at=server_expires_at)


def forget(conn: Connection, names: Iterable[str]) -> None:
    """Forget the grants of these scopes (inside a writer transaction); unknown names are ignored."""
    for name in names:
        run(conn, f"DELETE FROM {TABLE} WHERE scope = ?", (name,))


def _held_by_territory(conn: Connection, customer_id: str) -> bool:
    rows = run(
        conn, "SELECT scope FROM row_scope WHERE entity = 'customer' AND id = ?", (customer_id,)
    ).fetchall()
    return any(str(r[0]).startswith("territory:") for r in rows)


def _grant_of(conn: Connection, customer_id: str) -> Grant | None:
    name = scope_name(customer_id)
    return next((g for g in grants(conn) if g.scope == name), None)


def held_in_full(conn: Connection, customer_id: str, now: datetime) -> bool:
    """Whether the cache holds (or is about to pull) the customer's whole history: a territory
    scope holds the customer row, or a live grant of its customer scope is recorded."""
    if _held_by_territory(conn, customer_id):
        return True
    grant = _grant_of(conn, customer_id)
    return grant is not None and not _expired(grant, now)


def wants_grant(conn: Connection, customer_id: str, now: datetime) -> bool:
    """Whether opening the customer should ask the server for its scope: no territory scope holds
    it, its grant is missing, expired or due for renewal (`RENEW_AFTER`), and it is not a customer
    created here that the server may not know yet (a pending create)."""
    if _held_by_territory(conn, customer_id):
        return False
    grant = _grant_of(conn, customer_id)
    if grant is not None and not _expired(grant, now):
        try:
            granted = _aware(datetime.fromisoformat(grant.granted_at))
        except ValueError:
            return True
        if _aware(now) - granted < RENEW_AFTER:
            return False
    return not has_entries(conn, "customer", customer_id)


def request_grant(api: "ApiClient", cache: Cache, customer_id: str) -> tuple[str, str]:
    """Ask the server for the customer, which grants this client its customer scope (network; call
    it off the GUI thread). Returns (scope name, the server's expiry), or ("", "") when the server
    showed the customer but granted no scope (the user may not sync it)."""
    with cache.read() as conn:
        client_id = state.read_state(conn).client_id
    detail = api.customer(customer_id, client_id)
    if not detail.scope:
        return "", ""
    if detail.scope != scope_name(customer_id):
        return "", ""  # not the scope asked for: never subscribe to what we did not ask
    return detail.scope, detail.scope_expires_at
