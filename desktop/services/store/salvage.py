"""Best-effort reading of the outbox and acked log out of a damaged cache file, and their re-import.

Reading tries each table whole, then row by row (probing rowids up to the highest the file still
tells), so one bad page costs the rows on it, not the table. `writable_schema` lets SQLite open a
file shorter than its header says (a truncated file); the connection is `query_only`, so nothing
is written to the damaged file.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, insert, text

from desktop.services.store import state
from desktop.services.store.database import make_salvage_engine
from desktop.services.store.jsontext import loads_object
from desktop.services.store.outbox import insert_outbox
from desktop.services.store.overlay import rebase
from desktop.services.store.rows import Touched
from desktop.services.store.schema import MIRRORS, acked_log
from desktop.services.store.search_index import reindex

MAX_PROBES: Final = 200_000
#: client_seq headroom when part of the outbox was unreadable (gaps are allowed, going back is not)
SEQ_GAP: Final = 1_000_000
_OUTBOX_OPS: Final = frozenset({"create", "update", "delete", "append", "command"})


@dataclass
class Salvage:
    outbox: list[dict[str, Any]] = field(default_factory=list)
    acked_log: list[dict[str, Any]] = field(default_factory=list)
    client_id: str | None = None
    outbox_seq: int | None = None
    errors: list[str] = field(default_factory=list)


def _scalar(cursor: Any, sql: str) -> Any:
    row = cursor.execute(sql).fetchone()
    return None if row is None else row[0]


def _read_table(cursor: Any, table: str, order: str, errors: list[str]) -> list[dict[str, Any]]:
    try:
        cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except Exception as exc:
        errors.append(f"{table}: reading the whole table failed ({exc}); trying row by row")
    highest = 0
    for sql in (f"SELECT max(rowid) FROM {table}", f"SELECT seq FROM sqlite_sequence WHERE name = '{table}'"):
        try:
            highest = max(highest, int(_scalar(cursor, sql) or 0))
        except Exception as exc:
            errors.append(f"{table}: {sql!r} failed ({exc})")
    rows: list[dict[str, Any]] = []
    failed = 0
    for rowid in range(1, min(highest, MAX_PROBES) + 1):
        try:
            cursor.execute(f"SELECT * FROM {table} WHERE rowid = ?", (rowid,))
            names = [d[0] for d in cursor.description]
            found = cursor.fetchone()
        except Exception:
            failed += 1
            continue
        if found is not None:
            rows.append(dict(zip(names, found, strict=True)))
    if failed:
        errors.append(f"{table}: {failed} row(s) could not be read")
    if not highest:
        errors.append(f"{table}: nothing could be read")
    return rows


def read_damaged(path: Path, key: str | None) -> Salvage:
    """Whatever can still be read of the outbox, the acked log and the client id."""
    salvage = Salvage()
    try:
        engine = make_salvage_engine(path, key)
    except Exception as exc:
        salvage.errors.append(f"could not open the damaged file: {exc}")
        return salvage
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
            salvage.outbox = _read_table(cursor, "outbox", "client_seq", salvage.errors)
            salvage.acked_log = _read_table(cursor, "acked_log", "client_seq", salvage.errors)
            for sql, name in (
                ("SELECT client_id FROM sync_state WHERE id = 1", "client_id"),
                ("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'", "outbox_seq"),
            ):
                try:
                    value = _scalar(cursor, sql)
                except Exception as exc:
                    salvage.errors.append(f"{name}: could not be read ({exc})")
                    continue
                if name == "client_id" and isinstance(value, str):
                    salvage.client_id = value
                elif name == "outbox_seq" and isinstance(value, int):
                    salvage.outbox_seq = value
        finally:
            raw.close()
    except Exception as exc:
        salvage.errors.append(f"could not read the damaged file: {exc}")
    finally:
        engine.dispose()
    return salvage


def write_export(path: Path, damaged: Path, problem: str, salvage: Salvage) -> None:
    """The salvaged rows as JSON beside the damaged file (owner-only permissions: it holds customer data)."""
    body = {
        "damaged_file": str(damaged),
        "problem": problem,
        "client_id": salvage.client_id,
        "outbox": salvage.outbox,
        "acked_log": salvage.acked_log,
        "errors": salvage.errors,
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(body, handle, ensure_ascii=False, indent=1, default=str)


def _valid_entry(row: dict[str, Any]) -> bool:
    return (
        isinstance(row.get("client_seq"), int)
        and isinstance(row.get("mutation_id"), str)
        and isinstance(row.get("entity"), str)
        and isinstance(row.get("entity_id"), str)
        and row.get("op") in _OUTBOX_OPS
        and isinstance(row.get("new_values"), str)
    )


def reimport(conn: Connection, salvage: Salvage) -> tuple[int, int]:
    """Put salvaged entries back as `pending` (same ids and client_seq) and the acked log; returns counts."""
    if salvage.client_id:
        state.set_client_id(conn, salvage.client_id)
    seen: set[str] = set()
    keys: set[tuple[str, str]] = set()
    restored = 0
    for row in sorted(filter(_valid_entry, salvage.outbox), key=lambda r: int(r["client_seq"])):
        if row["mutation_id"] in seen:
            continue
        try:
            new_values = loads_object(row["new_values"])
            base_values = None if row.get("base_values") is None else loads_object(row["base_values"])
        except ValueError:
            salvage.errors.append(f"outbox {row['mutation_id']}: unreadable values, kept in the export only")
            continue
        seen.add(row["mutation_id"])
        insert_outbox(
            conn,
            mutation_id=row["mutation_id"],
            entity=row["entity"],
            entity_id=row["entity_id"],
            op=row["op"],
            base_version=row.get("base_version") if isinstance(row.get("base_version"), int) else None,
            base_values=base_values,
            new_values=new_values,
            depends_on=row.get("depends_on") if isinstance(row.get("depends_on"), str) else None,
            created_at_device=row.get("created_at_device")
            if isinstance(row.get("created_at_device"), str)
            else None,
            client_seq=int(row["client_seq"]),
        )
        keys.add((row["entity"], row["entity_id"]))
        restored += 1
    acked = 0
    for row in salvage.acked_log:
        mutation_id = row.get("mutation_id")
        if (
            not isinstance(mutation_id, str)
            or mutation_id in seen
            or not isinstance(row.get("client_seq"), int)
        ):
            continue
        seen.add(mutation_id)
        conn.execute(
            insert(acked_log).values(
                mutation_id=mutation_id,
                client_seq=row["client_seq"],
                payload=str(row.get("payload") or "{}"),
                acked_at=str(row.get("acked_at") or ""),
            )
        )
        acked += 1
    _raise_sequence(conn, salvage)
    touched = Touched()
    for entity, row_id in sorted(keys):
        if entity in MIRRORS:
            rebase(conn, entity, row_id, touched)
    reindex(conn, touched.customers)
    return restored, acked


def _raise_sequence(conn: Connection, salvage: Salvage) -> None:
    seqs = [
        int(r["client_seq"])
        for r in salvage.outbox + salvage.acked_log
        if isinstance(r.get("client_seq"), int)
    ]
    floor = max([salvage.outbox_seq or 0, *seqs])
    if salvage.outbox_seq is None and salvage.errors:
        floor += SEQ_GAP
    if floor <= 0:
        return
    updated = conn.execute(
        text("UPDATE sqlite_sequence SET seq = max(seq, :floor) WHERE name = 'outbox'"), {"floor": floor}
    ).rowcount
    if not updated:
        conn.execute(
            text("INSERT INTO sqlite_sequence(name, seq) VALUES ('outbox', :floor)"), {"floor": floor}
        )
