"""The migrations build exactly the schema that server/db/tables.py declares, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.db.engine import Database
from server.db.tables import metadata


def test_migrated_schema_equals_the_declared_one(backend: str) -> None:
    db = Database(backend)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        db.dispose()
    assert diff == []
