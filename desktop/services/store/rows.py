"""Reading and writing visible (mirror) rows and their server shadows, noting what was touched.

The hot path of applying pages: statements are prepared once per entity as SQL text (with JSON
columns encoded here the way SQLAlchemy's JSON type reads them back), not built per row. Priming
writes whole pages with the bulk forms (`local_versions`, `write_rows`, `delete_shadows`): one
`SELECT … IN` and one `executemany` per entity and page instead of several statements per row.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final, NamedTuple, TypeVar

import msgspec
from sqlalchemy import Connection

from desktop.services.store.changed import Changed
from desktop.services.store.driver import json_rows, run, run_many, scalar
from desktop.services.store.entities import INDEXED_ENTITIES, spec
from desktop.services.store.jsontext import dumps, loads_object
from wire.records import Record

T = TypeVar("T")
#: ids per `IN (…)` list: far below SQLite's limit on bound parameters
IN_CHUNK: Final = 500
_EMPTY_EXTRA: Final = dumps({})


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size` (the `IN (…)` lists of the bulk forms)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(count: int) -> str:
    """`?, ?, …` for an `IN (…)` list of `count` values."""
    return ", ".join("?" * count)


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
    #: positions (in `names`) of the JSON columns
    json_at: tuple[int, ...]
    table: str
    select: str
    version: str
    upsert: str
    delete: str
    customer_id: str | None


@cache
def _statements(entity: str) -> _Statements:
    entity_spec = spec(entity)
    names = entity_spec.field_names
    # `write_rows` binds a record's fields in struct order (`astuple`) as the columns of `names`
    assert names == entity_spec.record.__struct_fields__, entity
    table = f'"{entity}"'
    columns = ["id", "version", *names, "extra"]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns[1:])
    return _Statements(
        names=names,
        json_names=frozenset(c.name for c in entity_spec.columns if c.kind == "json"),
        bool_names=frozenset(c.name for c in entity_spec.columns if c.kind == "boolean"),
        json_at=tuple(i for i, c in enumerate(entity_spec.columns) if c.kind == "json"),
        table=table,
        select=f"SELECT {quoted} FROM {table} WHERE id = ?",
        version=f"SELECT version FROM {table} WHERE id = ?",
        upsert=(
            f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        ),
        delete=f"DELETE FROM {table} WHERE id = ?",
        customer_id=f"SELECT customer_id FROM {table} WHERE id = ?" if "customer_id" in names else None,
    )


def _json_value(stored: Any) -> Any:
    """A JSON column's value. The columns have NUMERIC affinity (declared JSON), so SQLite keeps a
    JSON number such as `1` as an INTEGER or REAL: that is already the value."""
    if stored is None or isinstance(stored, int | float):
        return stored
    return json.loads(stored)


def read_row(conn: Connection, entity: str, row_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version, values) of a visible row; values hold the wire fields and the `extra` ones."""
    st = _statements(entity)
    row = run(conn, st.select, (row_id,)).fetchone()
    if row is None:
        return None
    values: dict[str, Any] = {}
    for name, value in zip(st.names, row[2:-1], strict=True):
        if name in st.json_names:
            values[name] = _json_value(value)
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


# ---- bulk forms (pages) -------------------------------------------------------------------------


def local_versions(conn: Connection, entity: str, row_ids: Sequence[str]) -> dict[str, tuple[int, Any]]:
    """id → (version, customer_id or None) of the visible rows among `row_ids`."""
    st = _statements(entity)
    owner = '"customer_id"' if st.customer_id is not None else "NULL"
    sql = f"SELECT id, version, {owner} FROM {st.table} WHERE id IN (SELECT value FROM json_each(?))"
    return {
        row_id: (int(version), customer_id)
        for row_id, version, customer_id in run(conn, sql, (json_rows(row_ids),))
    }


class NewRow(NamedTuple):
    """A row as a page sends it: its record struct and the fields the record does not know (a
    tuple: a page makes thousands, and a frozen dataclass costs several times more to make)."""

    row_id: str
    version: int
    record: Record
    extra: dict[str, Any]


def _params(st: _Statements, row: NewRow) -> tuple[Any, ...]:
    """The upsert parameters `write_row` would bind for the same values (a record of an entity
    without JSON columns, and without unknown fields, binds its struct's values as they are)."""
    values: tuple[Any, ...] = msgspec.structs.astuple(row.record)
    if st.json_at:
        encoded = list(values)
        for i in st.json_at:
            encoded[i] = dumps(encoded[i])
        values = tuple(encoded)
    extra = _EMPTY_EXTRA
    if row.extra:
        unknown = {k: v for k, v in row.extra.items() if k not in st.names}
        extra = dumps(unknown) if unknown else _EMPTY_EXTRA
    return (row.row_id, row.version, *values, extra)


def write_rows(
    conn: Connection,
    entity: str,
    rows: Sequence[NewRow],
    old_owners: dict[str, Any],
    touched: Touched,
) -> None:
    """Insert or replace visible rows in one `executemany` (what `write_row` does, row by row).

    `old_owners`: id → the customer_id the row had before (for the search index of children)."""
    if not rows:
        return
    st = _statements(entity)
    if entity in INDEXED_ENTITIES:
        if entity == "customer":
            touched.customers.update(row.row_id for row in rows)
        else:
            owners = {getattr(row.record, "customer_id", None) for row in rows}
            if old_owners:
                owners.update(old_owners.get(row.row_id) for row in rows)
            touched.customers.update(o for o in owners if isinstance(o, str))
    run_many(conn, st.upsert, [_params(st, row) for row in rows])
    touched.changed.add_many(entity, (row.row_id for row in rows))


def delete_shadows(conn: Connection, entity: str, row_ids: Sequence[str]) -> None:
    """`delete_shadow` for many rows (nothing to do, and no statement, when no shadow exists)."""
    if not row_ids or scalar(conn, "SELECT 1 FROM server_shadow LIMIT 1") is None:
        return
    run_many(
        conn, "DELETE FROM server_shadow WHERE entity = ? AND entity_id = ?", [(entity, i) for i in row_ids]
    )
