"""Bulk row I/O for the telephony hot path, close to the driver on SQLite.

Telephony intake writes thousands of rows a second; on SQLite, SQLAlchemy's per-value type
processing (our `Timestamp` and `JSON`) costs more than the database itself. `RowIO.insert` writes
the same stored form those types write (naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, JSON text)
with one driver-level `executemany`; on PostgreSQL it is the ordinary Core insert. `db_time` reads
either form back as an aware UTC datetime.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import msgspec
from sqlalchemy import JSON, Connection, String, Table, insert, type_coerce

from server.db.types import Timestamp, parse_timestamp

Kind = Literal["time", "json", "plain"]


@lru_cache(maxsize=65536)
def _from_text(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def db_time(value: str | datetime) -> datetime:
    """An aware UTC datetime from a stored value (SQLite text, a driver datetime or ISO text).

    Intake reads the same times again and again (a contact's events, each batch): cached.
    """
    if isinstance(value, str):
        return _from_text(value)
    return parse_timestamp(value)


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _kind(table: Table, name: str) -> Kind:
    column_type = table.c[name].type
    if isinstance(column_type, Timestamp):
        return "time"
    if isinstance(column_type, JSON) or isinstance(getattr(column_type, "impl", None), JSON):
        return "json"
    return "plain"


@lru_cache(maxsize=65536)
def _utc_text(dt: datetime) -> str:
    if dt.tzinfo is not None and dt.utcoffset():
        dt = dt.astimezone(UTC)
    text = dt.isoformat(" ")
    if dt.tzinfo is not None:
        text = text[:-6]  # "+00:00"
    # isoformat drops a zero fraction; the stored form always has six digits (text compares)
    return text if dt.microsecond else text + ".000000"


def sqlite_time(value: datetime | str) -> str:
    """The stored SQLite form of a time: naive UTC `YYYY-MM-DD HH:MM:SS.ffffff` (as SQLAlchemy's)."""
    return _utc_text(value if isinstance(value, datetime) else parse_timestamp(value))


def _json_text(value: Any) -> str:
    return _encode(value).decode()


def json_value(text: str | bytes) -> Any:
    """A JSON column's value from its stored text (msgspec: several times faster than json)."""
    return _decode(text)


_CONVERT: dict[Kind, Callable[[Any], Any] | None] = {"time": sqlite_time, "json": _json_text, "plain": None}


class RowIO:
    """Inserts many rows into one table per call, in the open transaction of `conn`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self._plans: dict[str, tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]] = {}

    def _plan(self, table: Table) -> tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]:
        plan = self._plans.get(table.name)
        if plan is None:
            columns = [
                (c.name, _kind(table, c.name))
                for c in table.columns
                if not (c.primary_key and c.autoincrement is True)
            ]
            names = ", ".join(name for name, _ in columns)
            marks = ", ".join("?" for _ in columns)
            convert = [(name, _CONVERT[kind]) for name, kind in columns]
            plan = (f"INSERT INTO {table.name} ({names}) VALUES ({marks})", convert)
            self._plans[table.name] = plan
        return plan

    def insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.sqlite:
            self.conn.execute(insert(table), list(rows))
            return
        sql, columns = self._plan(table)
        names = [name for name, _ in columns]
        converted = [(i, f) for i, (_, f) in enumerate(columns) if f is not None]
        params = []
        for row in rows:
            values = [row.get(name) for name in names]
            for i, f in converted:
                if values[i] is not None:
                    values[i] = f(values[i])
            params.append(tuple(values))
        self.conn.exec_driver_sql(sql, params)


def raw_columns(table: Table) -> list[Any]:
    """The table's columns with timestamps read as stored (text on SQLite): parse with `db_time`.

    Skips the per-value work of the `Timestamp` type when reading thousands of rows.
    """
    return [
        type_coerce(c, String).label(c.name) if isinstance(c.type, Timestamp) else c for c in table.columns
    ]
