"""Reading synced rows as wire records, and ordering ids the same way on every backend."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, RowMapping, select
from sqlalchemy.sql.elements import ColumnElement

from server.db import tables as t
from wire.records import field_names


def ordered_id(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """Ids compared and sorted bytewise ("C" collation on PostgreSQL), as clients sort them."""
    if dialect == "postgresql":
        return column.collate("C")
    return column


def wire_fields(entity: str, row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {name: row[name] for name in field_names(entity)}


def load_rows(conn: Connection, entity: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    table = t.ENTITY_TABLES[entity]
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in conn.execute(select(table).where(table.c.id.in_(chunk))):
            out[row.id] = dict(row._mapping)
    return out
