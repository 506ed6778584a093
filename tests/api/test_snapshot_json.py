"""Snapshot pages on SQLite build each row's `fields` in SQL (`server/sync/pull.py`): the values
must be those of the general path (SQLAlchemy's types, then msgspec), value for value and type for
type, including a row whose stored timestamp is not in SQLAlchemy's own text form."""

from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from server.db import tables as t
from server.db.engine import Database
from server.sync import pull
from server.sync.rows import wire_fields
from tests.e2e.conftest import seed_database
from wire.records import ENTITIES


def _general(conn: Connection, entity: str, row_id: str) -> dict[str, Any]:
    table = t.ENTITY_TABLES[entity]
    row = conn.execute(select(table).where(table.c.id == row_id)).one()
    return msgspec.json.decode(msgspec.json.encode(wire_fields(entity, row._mapping)), type=dict[str, Any])


def _sent(fields: Any) -> dict[str, Any]:
    data = bytes(fields) if isinstance(fields, msgspec.Raw) else msgspec.json.encode(fields)
    return msgspec.json.decode(data, type=dict[str, Any])


def test_fields_built_in_sql_equal_the_general_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    seed_database(url)
    db = Database(url)
    try:
        with db.write() as conn:
            precise = conn.execute(select(t.customer.c.id).limit(1)).scalar_one()
            odd = conn.execute(select(t.support_case.c.id).limit(1)).scalar_one()
            # no fraction digits (not SQLAlchemy's form: built the general way), and 17 digits
            conn.exec_driver_sql(
                "UPDATE support_case SET opened_at = '2026-01-02 03:04:05' WHERE id = ?", (odd,)
            )
            conn.exec_driver_sql(
                "UPDATE customer SET lifetime_value = 1234.5678901234567, display_name = ? WHERE id = ?",
                ('Zoë "Q" \\ x', precise),
            )
        seen: dict[str, int] = {}
        with db.read() as conn:
            for entity in ENTITIES:
                table = t.ENTITY_TABLES[entity]
                query = select(table).where(table.c.deleted_at.is_(None)).order_by(table.c.id)
                for change in pull._snapshot_rows(conn, entity, query):
                    sent, general = _sent(change["fields"]), _general(conn, entity, change["id"])
                    assert sent == general, (entity, change["id"])
                    assert {k: type(v) for k, v in sent.items()} == {k: type(v) for k, v in general.items()}
                    seen[entity] = seen.get(entity, 0) + 1
            customers = {c["id"]: c for c in pull._snapshot_rows(conn, "customer", select(t.customer))}
            cases = {c["id"]: c for c in pull._snapshot_rows(conn, "case", select(t.support_case))}
    finally:
        db.dispose()
    assert not isinstance(cases[odd]["fields"], msgspec.Raw)  # the general way
    assert _sent(cases[odd]["fields"])["opened_at"] == "2026-01-02T03:04:05+00:00"
    assert isinstance(customers[precise]["fields"], msgspec.Raw)  # built in SQL
    assert _sent(customers[precise]["fields"])["lifetime_value"] == 1234.5678901234567
    # booleans, floats and timestamps (customer, case, queue), JSON lists (user_directory.roles)
    assert {"customer", "case", "queue", "user_directory"} <= seen.keys()
