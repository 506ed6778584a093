"""Serving `POST /api/v1/sync/push`: one transaction per mutation, in client_seq order.

Each transaction locks the client's `sync_client` row (concurrent pushes of one client serialize),
answers a known mutation id from the dedupe table, dead-letters out-of-order and dependent-on-
rejected mutations, applies the rest, and writes the domain rows, change log, conflicts, the
dedupe row and the client's last_client_seq together (SYNC.md section 2).
"""

import logging
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError

from server import crashpoints
from server.auth.principal import Principal
from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow
from server.sync.apply import Applier
from server.sync.changes import ChangeWriter
from server.sync.commands import run_command
from server.sync.outcome import Outcome, Rejected
from wire.records import ENTITIES
from wire.sync import Mutation, PushRequest

log = logging.getLogger(__name__)


class ForeignClient(Exception):
    """The client id is registered to another user: its sequence and results are not this user's."""


class Unavailable(Exception):
    """The database failed before anything was processed: the client retries later (503)."""


def _lock_client(conn: Connection, client_id: str, user_id: str) -> dict[str, Any]:
    now = iso(utcnow())
    values = {
        "client_id": client_id,
        "user_id": user_id,
        "last_client_seq": 0,
        "created_at": now,
        "last_seen_at": now,
    }
    stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(t.sync_client)
    conn.execute(stmt.values(**values).on_conflict_do_nothing(index_elements=["client_id"]))
    query = select(t.sync_client).where(t.sync_client.c.client_id == client_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    client = dict(conn.execute(query).one()._mapping)
    if client["user_id"] != user_id:
        raise ForeignClient(client_id)
    return client


def _stored(conn: Connection, mutation_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(t.client_mutation).where(t.client_mutation.c.mutation_id == mutation_id)
    ).first()
    return dict(row._mapping) if row is not None else None


def _record(
    conn: Connection, client_id: str, m: Mutation, outcome: Outcome, user: Principal
) -> dict[str, Any]:
    result = outcome.as_result(m.mutation_id)
    now = iso(utcnow())
    conn.execute(
        insert(t.client_mutation).values(
            mutation_id=m.mutation_id,
            client_id=client_id,
            client_seq=m.client_seq,
            outcome=outcome.outcome,
            result_json=result,
            server_seq=outcome.server_seq,
            processed_at=now,
        )
    )
    if outcome.outcome == "rejected":
        conn.execute(
            insert(t.rejected_mutation).values(
                mutation_id=m.mutation_id,
                client_id=client_id,
                user_id=user.id,
                payload=m.model_dump(mode="json"),
                reason=outcome.reason or "rejected",
                at=now,
            )
        )
    else:
        conn.execute(
            insert(t.audit_log).values(
                at=now,
                user_id=user.id,
                client_id=client_id,
                address=user.address,
                action="change",
                entity=m.entity,
                entity_id=m.entity_id,
                detail={
                    "mutation_id": m.mutation_id,
                    "op": m.op,
                    "outcome": outcome.outcome,
                    "fields": sorted(k for k in m.new_values if k != "name"),
                    "command": m.new_values.get("name") if m.op == "command" else None,
                },
            )
        )
    return result


def _apply(a: Applier, m: Mutation) -> Outcome:
    if m.op == "command":
        return run_command(a, m)
    if m.entity not in ENTITIES:
        raise Rejected(f"unknown entity {m.entity[:40]!r}")
    if m.op in ("create", "append"):
        return a.create(m)
    if m.op == "update":
        return a.update(m)
    return a.delete(m)


def process_one(
    conn: Connection, user: Principal, client_id: str, m: Mutation, region: str
) -> dict[str, Any]:
    """Process one mutation inside an open write transaction; returns its result."""
    client = _lock_client(conn, client_id, user.id)
    stored = _stored(conn, m.mutation_id)
    if stored is not None:
        if stored["client_id"] != client_id:
            return Outcome("rejected", reason="mutation_id belongs to another client").as_result(
                m.mutation_id
            )
        return dict(stored["result_json"])
    w = ChangeWriter(conn, origin_client=client_id, origin_mutation=m.mutation_id)
    if m.client_seq <= int(client["last_client_seq"]):
        log.error(
            "ALERT out-of-order mutation %s from client %s (client_seq %s <= %s)",
            m.mutation_id,
            client_id,
            m.client_seq,
            client["last_client_seq"],
        )
        return _record(conn, client_id, m, Outcome("rejected", reason="out_of_order"), user)
    if m.depends_on:
        dep = _stored(conn, m.depends_on)
        if dep is not None and dep["outcome"] == "rejected":
            outcome = Outcome("rejected", reason="dependency_failed")
            result = _record(conn, client_id, m, outcome, user)
            _advance(conn, client_id, m.client_seq)
            return result
    applier = Applier(w, user, client_id, region)
    savepoint = conn.begin_nested()
    try:
        outcome = _apply(applier, m)
        savepoint.commit()
    except Rejected as exc:
        savepoint.rollback()
        conn.info.pop("liaison_head", None)
        w = ChangeWriter(conn, origin_client=client_id, origin_mutation=m.mutation_id)
        outcome = Outcome("rejected", reason=exc.reason)
    w.notify()
    result = _record(conn, client_id, m, outcome, user)
    _advance(conn, client_id, m.client_seq)
    return result


def _advance(conn: Connection, client_id: str, client_seq: int) -> None:
    conn.execute(
        update(t.sync_client)
        .where(t.sync_client.c.client_id == client_id)
        .values(last_client_seq=client_seq, last_seen_at=iso(utcnow()))
    )


def serve_push(db: Database, user: Principal, req: PushRequest, region: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    processed_through: int | None = None
    for m in sorted(req.mutations, key=lambda x: x.client_seq):
        try:
            with db.write() as conn:
                results.append(process_one(conn, user, req.client_id, m, region))
        except DBAPIError as exc:
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            log.warning("push stopped by a database failure after %d mutations", len(results), exc_info=True)
            if not results:
                raise Unavailable(str(exc.orig)[:200]) from exc
            break
        crashpoints.hit("after_mutation_commit")  # reliability tests only: a no-op unless armed
        processed_through = m.client_seq
    return {"results": results, "processed_through": processed_through}
