"""Alembic environment: runs against the connection handed in by `server.db.bootstrap`."""

from alembic import context

import server.db.telephony_tables  # noqa: F401 - registers the telephony tables on `metadata`
from server.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the in-process path is supported
    raise RuntimeError("run migrations through `liaison-server init`, which passes a connection")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
