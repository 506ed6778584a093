"""Reading and writing visible (mirror) rows and their server shadows, noting what was touched."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert

from desktop.services.store.changed import Changed
from desktop.services.store.entities import INDEXED_ENTITIES, spec
from desktop.services.store.jsontext import dumps, loads_object
from desktop.services.store.schema import MIRRORS, server_shadow


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


def read_row(conn: Connection, entity: str, row_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version, values) of a visible row; values hold the wire fields and the `extra` ones."""
    table = MIRRORS[entity]
    row = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
    if row is None:
        return None
    values = {name: row[name] for name in spec(entity).field_names}
    extra = row["extra"]
    if isinstance(extra, dict):
        values.update({k: v for k, v in extra.items() if k not in values})
    return int(row["version"]), values


def read_version(conn: Connection, entity: str, row_id: str) -> int | None:
    table = MIRRORS[entity]
    version = conn.execute(select(table.c.version).where(table.c.id == row_id)).scalar()
    return None if version is None else int(version)


def _note_customers(conn: Connection, entity: str, row_id: str, values: dict[str, Any] | None, touched: Touched) -> None:
    if entity not in INDEXED_ENTITIES:
        return
    if entity == "customer":
        touched.customers.add(row_id)
        return
    table = MIRRORS[entity]
    old = conn.execute(select(table.c.customer_id).where(table.c.id == row_id)).scalar()
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
    names = spec(entity).field_names
    known = {name: values.get(name) for name in names}
    extra = {k: v for k, v in values.items() if k not in known}
    row = {"id": row_id, "version": version, **known, "extra": extra}
    statement = insert(MIRRORS[entity]).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={k: statement.excluded[k] for k in row if k != "id"}
    )
    conn.execute(statement)
    touched.changed.add(entity, row_id)


def delete_row(conn: Connection, entity: str, row_id: str, touched: Touched) -> bool:
    _note_customers(conn, entity, row_id, None, touched)
    table = MIRRORS[entity]
    gone = conn.execute(delete(table).where(table.c.id == row_id)).rowcount > 0
    if gone:
        touched.changed.add(entity, row_id)
    return gone


def read_shadow(conn: Connection, entity: str, row_id: str) -> Shadow | None:
    t = server_shadow
    row = conn.execute(
        select(t.c.version, t.c.values_json).where(t.c.entity == entity, t.c.entity_id == row_id)
    ).first()
    if row is None:
        return None
    values = None if row.values_json is None else loads_object(row.values_json)
    return Shadow(version=int(row.version), values=values)


def write_shadow(conn: Connection, entity: str, row_id: str, shadow: Shadow) -> None:
    values_json = None if shadow.values is None else dumps(shadow.values)
    statement = insert(server_shadow).values(
        entity=entity, entity_id=row_id, version=shadow.version, values_json=values_json
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["entity", "entity_id"],
            set_={"version": statement.excluded.version, "values_json": statement.excluded.values_json},
        )
    )


def delete_shadow(conn: Connection, entity: str, row_id: str) -> None:
    t = server_shadow
    conn.execute(delete(t).where(t.c.entity == entity, t.c.entity_id == row_id))
