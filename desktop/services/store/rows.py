"""Reading and writing visible (mirror) rows and their server shadows, noting what was touched.

The hot path of applying pages: statements are prepared once per entity as SQL text (with JSON
columns encoded here the way SQLAlchemy's JSON type reads them back), not built per row.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection

from desktop.services.store.changed import Changed
from desktop.services.store.driver import run, scalar
from desktop.services.store.entities import INDEXED_ENTITIES, spec
from desktop.services.store.jsontext import dumps, loads_object


@dataclass
class Touched:
    """What a transaction changed: rows for the GUI, customers whose search documents are stale."""

    changed: Changed = field(default_factory=Changed)
    customers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Shadow:
    version: int
    #: None: the row is deleted on the server
    values: dict[str, Any] | None


@dataclass(frozen=True)
class _Statements:
    names: tuple[str, ...]
    json_names: frozenset[str]
    bool_names: frozenset[str]
    select: str
    version: str
    upsert: str
    delete: str
    customer_id: str | None


@cache
def _statements(entity: str) -> _Statements:
    entity_spec = spec(entity)
    names = entity_spec.field_names
    table = f'"{entity}"'
    columns = ["id", "version", *names, "extra"]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns[1:])
    return _Statements(
        names=names,
        json_names=frozenset(c.name for c in entity_spec.columns if c.kind == "json"),
        bool_names=frozenset(c.name for c in entity_spec.columns if c.kind == "boolean"),
        select=f"SELECT {quoted} FROM {table} WHERE id = ?",
        version=f"SELECT version FROM {table} WHERE id = ?",
        upsert=(
            f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        ),
        delete=f"DELETE FROM {table} WHERE id = ?",
        customer_id=f"SELECT customer_id FROM {table} WHERE id = ?" if "customer_id" in names else None,
    )


def read_row(conn: Connection, entity: str, row_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version, values) of a visible row; values hold the wire fields and the `extra` ones."""
    st = _statements(entity)
    row = run(conn, st.select, (row_id,)).fetchone()
    if row is None:
        return None
    values: dict[str, Any] = {}
    for name, value in zip(st.names, row[2:-1], strict=True):
        if name in st.json_names:
            values[name] = None if value is None else json.loads(value)
        elif name in st.bool_names:
            values[name] = None if value is None else bool(value)
        else:
            values[name] = value
    for key, value in loads_object(row[-1]).items():
        values.setdefault(key, value)
    return int(row[1]), values


def read_version(conn: Connection, entity: str, row_id: str) -> int | None:
    version = scalar(conn, _statements(entity).version, (row_id,))
    return None if version is None else int(version)


def _note_customers(
    conn: Connection, entity: str, row_id: str, values: dict[str, Any] | None, touched: Touched
) -> None:
    if entity not in INDEXED_ENTITIES:
        return
    if entity == "customer":
        touched.customers.add(row_id)
        return
    sql = _statements(entity).customer_id
    assert sql is not None
    old = scalar(conn, sql, (row_id,))
    if isinstance(old, str):
        touched.customers.add(old)
    new = values.get("customer_id") if values else None
    if isinstance(new, str):
        touched.customers.add(new)


def write_row(
    conn: Connection, entity: str, row_id: str, version: int, values: dict[str, Any], touched: Touched
) -> None:
    """Insert or replace a visible row; fields the record does not know go to `extra`."""
    _note_customers(conn, entity, row_id, values, touched)
    st = _statements(entity)
    params: list[Any] = [row_id, version]
    for name in st.names:
        value = values.get(name)
        params.append(dumps(value) if name in st.json_names else value)
    params.append(dumps({k: v for k, v in values.items() if k not in st.names}))
    run(conn, st.upsert, tuple(params))
    touched.changed.add(entity, row_id)


def delete_row(conn: Connection, entity: str, row_id: str, touched: Touched) -> bool:
    _note_customers(conn, entity, row_id, None, touched)
    gone = bool(run(conn, _statements(entity).delete, (row_id,)).rowcount > 0)
    if gone:
        touched.changed.add(entity, row_id)
    return gone


def read_shadow(conn: Connection, entity: str, row_id: str) -> Shadow | None:
    row = run(
        conn,
        "SELECT version, values_json FROM server_shadow WHERE entity = ? AND entity_id = ?",
        (entity, row_id),
    ).fetchone()
    if row is None:
        return None
    values = None if row[1] is None else loads_object(row[1])
    return Shadow(version=int(row[0]), values=values)


def write_shadow(conn: Connection, entity: str, row_id: str, shadow: Shadow) -> None:
    values_json = None if shadow.values is None else dumps(shadow.values)
    run(
        conn,
        "INSERT INTO server_shadow (entity, entity_id, version, values_json) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(entity, entity_id) DO UPDATE SET version = excluded.version, values_json = excluded.values_json",
        (entity, row_id, shadow.version, values_json),
    )


def delete_shadow(conn: Connection, entity: str, row_id: str) -> None:
    run(conn, "DELETE FROM server_shadow WHERE entity = ? AND entity_id = ?", (entity, row_id))
