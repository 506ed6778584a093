"""Serving `POST /api/v1/sync/pull`: snapshot priming, the log, resets (SYNC.md section 1).

Everything for one request is read in one read transaction, bounded by the head read first, so a
page never reaches past a sequence number that could still be uncommitted.

Snapshot pages are the priming hot path (5,000 rows a request). On SQLite each row's `fields` object
is built by the database (`json_object`, `_fields_json`) and sent as it is (`msgspec.Raw`): no
per-column type processing, no per-row dict of fields. A row whose stored timestamps are not in the
form SQLAlchemy writes is built the general way instead (`wire_fields`), so both give the same JSON
values; other databases always take the general way.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    Text,
    and_,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from server.auth.principal import Principal
from server.db import tables as t
from server.db.types import Timestamp, utcnow
from server.sync.cursor import BadCursor, Cursor, decode_cursor
from server.sync.rows import load_rows, wire_fields
from server.sync.scopes import Scope, parse_scope, scope_contains, scope_entities, snapshot_query
from wire.records import field_names
from wire.sync import PullRequest
from wire.version import SCHEMA_VERSION

Change = dict[str, Any]
ScopePage = dict[str, Any]


class PullRefused(Exception):
    """A request the server will not serve: carries the error code, message and details."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class EpochReset(Exception):
    """The client's epoch (or a cursor ahead of the head) shows a recreated or restored database."""

    def __init__(self, epoch: str, rotated: bool = False) -> None:
        super().__init__("epoch changed")
        self.epoch = epoch
        self.rotated = rotated


@dataclass(frozen=True, slots=True)
class Meta:
    epoch: str
    head: int
    min_retained_seq: int
    secret: str


def read_meta(conn: Connection) -> Meta:
    row = conn.execute(
        select(t.server_meta.c.epoch, t.server_meta.c.min_retained_seq, t.server_meta.c.token_secret)
    ).one()
    head = conn.execute(select(t.sync_counter.c.value).where(t.sync_counter.c.id == 1)).scalar_one()
    return Meta(
        epoch=row.epoch, head=int(head), min_retained_seq=int(row.min_retained_seq), secret=row.token_secret
    )


def live_grants(conn: Connection, client_id: str, user_id: str) -> set[str]:
    now = utcnow()
    rows = conn.execute(
        select(t.scope_grant.c.scope).where(
            and_(
                t.scope_grant.c.client_id == client_id,
                t.scope_grant.c.user_id == user_id,
                t.scope_grant.c.expires_at > now,
            )
        )
    )
    return set(rows.scalars())


def authorize_scope(conn: Connection, user: Principal, name: str, grants: set[str]) -> Scope:
    """Parse and authorize one scope; raises PullRefused (400 or 403)."""
    from server.sync.scopes import may_subscribe

    scope = parse_scope(name)
    if scope is None:
        raise PullRefused("bad_request", f"unknown or malformed scope {name[:80]!r}", {"scope": name[:80]})
    territory: str | None = None
    if scope.kind == "customer":
        territory = conn.execute(
            select(t.customer.c.territory_id).where(t.customer.c.id == scope.key)
        ).scalar_one_or_none()
        if name not in grants and not user.is_admin:
            raise PullRefused(
                "forbidden",
                "this customer scope was not opened for this client, or it expired",
                {"scope": name, "reason": "scope_not_granted"},
            )
    if not may_subscribe(user, scope, customer_territory=territory):
        raise PullRefused("forbidden", f"not allowed to sync {name}", {"scope": name})
    return scope


def _cursor_for(name: str, raw: str | None, meta: Meta) -> Cursor:
    if raw is None:
        return Cursor(epoch=meta.epoch, scope=name, mode="snapshot", s0=meta.head)
    try:
        cursor = decode_cursor(raw, meta.secret)
    except BadCursor as exc:
        raise PullRefused("bad_request", f"malformed cursor for {name}", {"scope": name}) from exc
    if cursor.epoch != meta.epoch:
        raise EpochReset(meta.epoch)
    if cursor.scope != name:
        raise PullRefused("bad_request", f"the cursor given for {name} belongs to another scope")
    return cursor


@cache
def _snapshot_columns(entity: str) -> tuple[Column[Any], ...]:
    """What a snapshot page reads of an entity: id, version, seq and the wire fields, nothing else
    (`updated_at`, `deleted_at` and server-only columns would only be converted and dropped)."""
    table = t.ENTITY_TABLES[entity]
    return (
        table.c.id,
        table.c.version,
        table.c.last_modified_seq,
        *(table.c[n] for n in field_names(entity)),
    )


def _quoted(column: Column[Any]) -> str:
    return f'"{column.table.name}"."{column.name}"'


def _stored_timestamp_sql(c: str) -> str:
    """Whether the column `c` holds the text SQLAlchemy's SQLite `DateTime` stores
    (`2026-01-02 03:04:05.000006`, naive UTC), the form `_json_value_sql` rewrites."""
    return f"({c} IS NULL OR (length({c}) = 26 AND substr({c}, 11, 1) = ' ' AND substr({c}, 20, 1) = '.'))"


def _json_value_sql(column: Column[Any]) -> str:
    """SQLite SQL for one column's JSON value, as `Timestamp`, `Boolean`, `Float` and `JsonType`
    give it to Python and msgspec encodes it: ISO 8601 with `+00:00` (no fraction when it is
    zero, as `datetime.isoformat`), `true`/`false`, a float with 17 significant digits (the same
    double when read, though not always its shortest text: `json_object` alone keeps 15 and
    would round some), the stored JSON."""
    c = _quoted(column)
    if isinstance(column.type, Timestamp):
        return (
            f"CASE WHEN {c} IS NULL THEN NULL ELSE substr({c}, 1, 10) || 'T' || substr({c}, 12, 8) || "
            f"CASE WHEN substr({c}, 20) = '.000000' THEN '' ELSE substr({c}, 20) END || '+00:00' END"
        )
    if isinstance(column.type, Boolean):
        return f"json(CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN 'true' ELSE 'false' END)"
    if isinstance(column.type, Float):
        return f"CASE WHEN {c} IS NULL THEN NULL ELSE json(printf('%!.17g', {c})) END"
    if isinstance(column.type, JSON):
        return f"json({c})"
    return c


@cache
def _fields_json(entity: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(the row's `fields` as one JSON object, whether its timestamps are in the stored form the
    JSON assumes) for SQLite's snapshot pages."""
    table = t.ENTITY_TABLES[entity]
    names = field_names(entity)
    pairs = ", ".join(f"'{n}', {_json_value_sql(table.c[n])}" for n in names)
    checks = [
        _stored_timestamp_sql(_quoted(table.c[n])) for n in names if isinstance(table.c[n].type, Timestamp)
    ]
    ok = " AND ".join(checks) if checks else "1"
    return (
        literal_column(f"json_object({pairs})", Text).label("fields_json"),
        literal_column(f"({ok})", Integer).label("fields_ok"),
    )


def _snapshot_rows(conn: Connection, entity: str, query: Any) -> list[Change]:
    """The page's changes of one entity, from a keyset query over its table."""
    table = t.ENTITY_TABLES[entity]
    if conn.dialect.name != "sqlite":
        names = field_names(entity)
        rows = conn.execute(query.with_only_columns(*_snapshot_columns(entity))).all()
        return [
            {
                "seq": int(row[2]),
                "entity": entity,
                "id": row[0],
                "op": "upsert",
                "version": int(row[1]),
                "fields": dict(zip(names, row[3:], strict=True)),
            }
            for row in rows
        ]
    fields, ok = _fields_json(entity)
    result = conn.execute(
        query.with_only_columns(table.c.id, table.c.version, table.c.last_modified_seq, fields, ok)
    )
    # these columns need no result processing (text and integers): the driver's rows as they are
    rows = result.cursor.fetchall()
    result.close()
    changes: list[Change] = [
        {
            "seq": seq,
            "entity": entity,
            "id": row_id,
            "op": "upsert",
            "version": version,
            "fields": msgspec.Raw(text),
        }
        for row_id, version, seq, text, _ok in rows
    ]
    odd = [i for i, row in enumerate(rows) if not row[4]]
    if odd:
        _fields_the_general_way(conn, entity, changes, odd)
    return changes


def _fields_the_general_way(conn: Connection, entity: str, changes: list[Change], at: Sequence[int]) -> None:
    """Replace the `fields` of `changes[i]` for `i` in `at` with the values SQLAlchemy reads."""
    loaded = load_rows(conn, entity, [changes[i]["id"] for i in at])
    for i in at:
        changes[i]["fields"] = wire_fields(entity, loaded[changes[i]["id"]])


def _snapshot_page(
    conn: Connection, scope: Scope, cursor: Cursor, limit: int
) -> tuple[list[Change], Cursor, bool]:
    entities = scope_entities(scope)
    changes: list[Change] = []
    index, last_id = cursor.entity_index, cursor.last_id
    while index < len(entities) and len(changes) < limit:
        entity = entities[index]
        table = t.ENTITY_TABLES[entity]
        query = (
            snapshot_query(entity, scope)
            .where(table.c.last_modified_seq <= cursor.s0)
            # the keyset walks the primary-key index in the database's own collation; only the
            # checksum needs the bytewise order clients use
            .where(table.c.id > last_id)
            .order_by(None)
            .order_by(table.c.id)
            .limit(limit - len(changes))
        )
        rows = _snapshot_rows(conn, entity, query)
        changes += rows
        if len(changes) < limit:  # this entity is exhausted
            index, last_id = index + 1, ""
        else:
            last_id = rows[-1]["id"]
    if index >= len(entities):
        # primed: continue from S0 in the log (changes made while priming arrive that way)
        return changes, Cursor(epoch=cursor.epoch, scope=cursor.scope, mode="log", seq=cursor.s0), True
    nxt = Cursor(
        epoch=cursor.epoch,
        scope=cursor.scope,
        mode="snapshot",
        s0=cursor.s0,
        entity_index=index,
        last_id=last_id,
    )
    return changes, nxt, True


def _log_page(
    conn: Connection, scope: Scope, cursor: Cursor, limit: int, head: int
) -> tuple[list[Change], Cursor, bool]:
    cs, cl = t.change_scope, t.change_log
    base = (
        select(cs.c.seq, cs.c.tx_group, cl.c.entity, cl.c.entity_id, cl.c.op, cl.c.version)
        .join(cl, cl.c.seq == cs.c.seq)
        .where(and_(cs.c.scope == scope.name, cs.c.seq > cursor.seq, cs.c.seq <= head))
        .order_by(cs.c.seq)
    )
    rows = list(conn.execute(base.limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if has_more and rows:
        # never split a server transaction across pages
        last = rows[-1]
        rows += list(conn.execute(base.where(and_(cs.c.tx_group == last.tx_group, cs.c.seq > last.seq))))
        has_more = (
            conn.execute(
                select(cs.c.seq)
                .where(and_(cs.c.scope == scope.name, cs.c.seq > rows[-1].seq, cs.c.seq <= head))
                .limit(1)
            ).first()
            is not None
        )
    # the last entry per row decides what the client must do; its fields are the current ones
    latest: dict[tuple[str, str], Any] = {}
    for row in rows:
        latest.pop((row.entity, row.entity_id), None)
        latest[(row.entity, row.entity_id)] = row
    changes = _materialize(conn, scope, list(latest.values()))
    end = rows[-1].seq if has_more else head
    return (
        changes,
        Cursor(epoch=cursor.epoch, scope=cursor.scope, mode="log", seq=max(end, cursor.seq)),
        has_more,
    )


def _materialize(conn: Connection, scope: Scope, entries: list[Any]) -> list[Change]:
    by_entity: dict[str, list[str]] = {}
    for e in entries:
        if e.op == "upsert":
            by_entity.setdefault(e.entity, []).append(e.entity_id)
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    inside: dict[str, set[str]] = {}
    for entity, ids in by_entity.items():
        rows[entity] = load_rows(conn, entity, ids)
        inside[entity] = scope_contains(conn, scope, entity, ids)
    out: list[Change] = []
    for e in entries:
        if e.op != "upsert":
            out.append(
                dict(seq=e.seq, entity=e.entity, id=e.entity_id, op=e.op, version=e.version, fields=None)
            )
            continue
        row = rows[e.entity].get(e.entity_id)
        if row is None or e.entity_id not in inside[e.entity]:
            continue  # moved out since: its scope_out is in the log
        if row["deleted_at"] is not None:
            out.append(
                dict(
                    seq=e.seq,
                    entity=e.entity,
                    id=e.entity_id,
                    op="delete",
                    version=row["version"],
                    fields=None,
                )
            )
            continue
        out.append(
            dict(
                seq=e.seq,
                entity=e.entity,
                id=e.entity_id,
                op="upsert",
                version=int(row["version"]),
                fields=wire_fields(e.entity, row),
            )
        )
    return out


def page_checksum(scopes: Mapping[str, ScopePage]) -> str:
    """sha256 over `scope \\t seq \\t entity \\t id \\t op \\t version \\n` of every change, scopes sorted."""
    digest = hashlib.sha256()
    for name in sorted(scopes):
        lines = "".join(
            f"{name}\t{c['seq']}\t{c['entity']}\t{c['id']}\t{c['op']}\t{c['version']}\n"
            for c in scopes[name].get("changes", ())
        )
        digest.update(lines.encode())  # one update per scope: the same bytes, the same digest
    return "sha256:" + digest.hexdigest()


def acked_through(conn: Connection, client_id: str, user_id: str, position: int) -> int:
    """The highest client_seq of this (user's own) client whose effect the pulled data reflects."""
    cm, sc = t.client_mutation, t.sync_client
    value = conn.execute(
        select(func.max(cm.c.client_seq))
        .join(sc, sc.c.client_id == cm.c.client_id)
        .where(and_(cm.c.client_id == client_id, sc.c.user_id == user_id, cm.c.server_seq <= position))
    ).scalar_one_or_none()
    return int(value or 0)


def serve_pull(conn: Connection, user: Principal, req: PullRequest) -> dict[str, Any]:
    """The pull response as plain data (encoded with msgspec; shaped as wire.sync.PullResponse)."""
    meta = read_meta(conn)
    if req.epoch is not None and req.epoch != meta.epoch:
        raise EpochReset(meta.epoch)
    grants = live_grants(conn, req.client_id, user.id)
    pages: dict[str, ScopePage] = {}
    positions: list[int] = []
    for name, raw in req.scopes.items():
        scope = authorize_scope(conn, user, name, grants)
        cursor = _cursor_for(name, raw, meta)
        if cursor.position > meta.head:
            raise EpochReset(meta.epoch, rotated=True)  # only a restore makes a cursor run ahead
        if cursor.mode == "log" and cursor.seq + 1 < meta.min_retained_seq:
            pages[name] = dict(
                mode="reset", changes=[], next=None, has_more=False, reason="cursor_below_retention"
            )
            continue
        if cursor.mode == "snapshot":
            changes, nxt, more = _snapshot_page(conn, scope, cursor, req.limit)
            mode = "snapshot"
        else:
            changes, nxt, more = _log_page(conn, scope, cursor, req.limit, meta.head)
            mode = "log"
        pages[name] = dict(
            mode=mode, changes=changes, next=nxt.encode(meta.secret), has_more=more, reason=None
        )
        positions.append(nxt.position if mode == "log" else cursor.s0)
    position = min(positions) if positions else meta.head
    return {
        "epoch": meta.epoch,
        "schema_version": SCHEMA_VERSION,
        "head": meta.head,
        "scopes": pages,
        "client_acked_through": acked_through(conn, req.client_id, user.id, position),
        "page_checksum": page_checksum(pages),
    }
