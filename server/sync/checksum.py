"""The scope checksum (docs/protocol.md): what a client holds for a scope, in one hash.

sha256 over the lines `entity \\t id \\t version \\n` of every live row in the scope, sorted by
entity name and then by id (bytewise), prefixed "sha256:". A client computes the same over the
rows it holds for the scope and re-primes only that scope on a mismatch.
"""

import hashlib

from sqlalchemy import Connection

from server.db import tables as t
from server.sync.rows import ordered_id
from server.sync.scopes import Scope, scope_entities, snapshot_query


def scope_checksum(conn: Connection, scope: Scope) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    dialect = conn.dialect.name
    for entity in sorted(scope_entities(scope)):
        table = t.ENTITY_TABLES[entity]
        query = (
            snapshot_query(entity, scope)
            .with_only_columns(table.c.id, table.c.version)
            .order_by(None)
            .order_by(ordered_id(table.c.id, dialect))
        )
        for row in conn.execute(query.execution_options(yield_per=5000)):
            digest.update(f"{entity}\t{row.id}\t{row.version}\n".encode())
            count += 1
    return count, "sha256:" + digest.hexdigest()
