"""SQLAlchemy Core tables of the offline cache (schema version 7: see `migrations.py`).

- one mirror table per synced entity (named as the entity), with `id`, `version`, the wire fields
  of `wire.records` and `extra` (JSON of fields this build does not know). The `conflict` mirror is
  SYNC.md's client-side `sync_conflict`. A row created locally and not yet pulled back has version 0;
- `row_scope` (`WITHOUT ROWID`, clustered on its key `(entity, id, scope)`): which subscribed
  scopes hold each row (`stale` marks memberships of a scope being re-primed, dropped when its
  snapshot completes). `ix_row_scope_stale` is a partial index of the stale memberships only
  (empty unless a scope is re-priming): finding a scope's stale rows when its snapshot completes
  reads it instead of every membership of the scope;
- SYNC.md §2 client tables: `outbox`, `acked_log`, `server_shadow` (NULL `values_json`: deleted
  on the server), `rejected_log`;
- `sync_state` (one row: epoch, client id, last success/error) and `sync_scope` (cursor, primed,
  `verified_at`: when its checksum last equalled the server's, for the daily integrity check);
- the search index: `search_key` maps a customer to the rowid of its documents in the FTS5 tables
  `search_words` (prefix search, with a prefix index for 1-8 characters) and `search_digits`
  (trigram: substring search for digits);
  `search_dirty` lists the customers whose documents a snapshot page changed and that are not
  rebuilt yet (written in the page's transaction, so a crash keeps them: `search_index.py`);
- `interaction` has `ix_interaction_customer_timeline (customer_id, occurred_at, id, channel)`: a
  customer's timeline, newest first and by channel, read from the index alone.
"""

from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeEngine

from desktop.services.store.entities import SPECS, ColumnKind

metadata: Final = MetaData()

_TYPES: Final[dict[ColumnKind, type[TypeEngine[Any]]]] = {
    "text": Text,
    "integer": Integer,
    "real": Float,
    "boolean": Boolean,
    "json": JSON,
}


def _mirror(entity: str) -> Table:
    entity_spec = SPECS[entity]
    columns: list[Column[Any]] = [
        Column("id", Text, primary_key=True),
        Column("version", Integer, nullable=False),
    ]
    columns += [Column(c.name, _TYPES[c.kind]()) for c in entity_spec.columns]
    columns.append(Column("extra", JSON, nullable=False, default=dict))
    table = Table(entity, metadata, *columns)
    names = set(entity_spec.field_names)
    if entity == "interaction":
        # leads with customer_id, so it also serves what `ix_<entity>_customer_id` does elsewhere
        Index(
            "ix_interaction_customer_timeline",
            table.c.customer_id,
            table.c.occurred_at,
            table.c.id,
            table.c.channel,
        )
    elif "customer_id" in names:
        Index(f"ix_{entity}_customer_id", table.c.customer_id)
    if entity == "case_note":
        Index("ix_case_note_case_id", table.c.case_id)
    if entity == "contact_point":
        Index("ix_contact_point_kind_value", table.c.kind, table.c.value)
    if entity == "conflict":
        Index("ix_conflict_status", table.c.status)
        Index("ix_conflict_entity", table.c.entity, table.c.entity_id)
    return table


MIRRORS: Final[dict[str, Table]] = {name: _mirror(name) for name in SPECS}

row_scope: Final = Table(
    "row_scope",
    metadata,
    Column("entity", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("stale", Boolean, nullable=False, default=False),
    PrimaryKeyConstraint("entity", "id", "scope"),
    sqlite_with_rowid=False,
)
Index("ix_row_scope_scope", row_scope.c.scope, row_scope.c.entity, row_scope.c.id)
#: queries must say `stale = 1` (the index's own condition) for SQLite to use it
Index("ix_row_scope_stale", row_scope.c.scope, sqlite_where=text("stale = 1"))

outbox: Final = Table(
    "outbox",
    metadata,
    Column("client_seq", Integer, primary_key=True, autoincrement=True),
    Column("mutation_id", Text, nullable=False, unique=True),
    Column("entity", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("op", Text, nullable=False),
    Column("base_version", Integer, nullable=True),
    Column("base_values", Text, nullable=True),
    Column("new_values", Text, nullable=False),
    Column("depends_on", Text, nullable=True),
    Column("created_at_device", Text),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("ack_seq", Integer, nullable=True),
    Column("result", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    CheckConstraint("op IN ('create','update','delete','append','command')", name="ck_outbox_op"),
    CheckConstraint("state IN ('pending','inflight','acked')", name="ck_outbox_state"),
    sqlite_autoincrement=True,
)
Index("ix_outbox_record", outbox.c.entity, outbox.c.entity_id, outbox.c.client_seq)
Index("ix_outbox_state", outbox.c.state)

acked_log: Final = Table(
    "acked_log",
    metadata,
    Column("mutation_id", Text, primary_key=True),
    Column("client_seq", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("acked_at", Text, nullable=False),
)

server_shadow: Final = Table(
    "server_shadow",
    metadata,
    Column("entity", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("values_json", Text, nullable=True),
    PrimaryKeyConstraint("entity", "entity_id"),
)

rejected_log: Final = Table(
    "rejected_log",
    metadata,
    Column("mutation_id", Text, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
)

sync_state: Final = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("epoch", Text, nullable=True),
    Column("client_id", Text, nullable=False),
    Column("last_success_at", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", Text, nullable=True),
    CheckConstraint("id = 1", name="ck_sync_state_singleton"),
)

sync_scope: Final = Table(
    "sync_scope",
    metadata,
    Column("scope", Text, primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("primed", Boolean, nullable=False, default=False),
    Column("updated_at", Text, nullable=True),
    Column("verified_at", Text, nullable=True),
)

search_key: Final = Table(
    "search_key",
    metadata,
    Column("doc", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Text, nullable=False, unique=True),
    sqlite_autoincrement=True,
)

search_dirty: Final = Table(
    "search_dirty",
    metadata,
    Column("customer_id", Text, primary_key=True),
    sqlite_with_rowid=False,
)

#: on-demand `customer:<id>` scopes this client holds (`services/customer_scopes.py`), times ISO
customer_scope_grant: Final = Table(
    "customer_scope_grant",
    metadata,
    Column("scope", Text, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("granted_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("server_expires_at", Text, nullable=True),
)

#: The prefix lengths `search_words` keeps an index for: a prefix of 1-8 characters (`"a"*`,
#: `"robinso"*`, typed keystroke by keystroke) reads one doclist of that index, lazily up to the
#: LIMIT, instead of merging the whole doclists of every term that starts with it. Measured on 1M
#: customers' documents (bench/README.md): word queries p95 5.8 ms with lengths 1-3, 1.6 ms with
#: 1-6, 0.3 ms with 1-8, for an index of 242 / 383 / 511 MiB and 53 / 91 / 104 s to build
WORD_PREFIXES: Final = "1 2 3 4 5 6 7 8"

#: FTS5 tables (no Core equivalent), by name: created by the v1 migration (`search_words` got its
#: prefix index in v5, which recreates it in files made before)
FTS_DDL: Final = {
    "search_words": (
        "CREATE VIRTUAL TABLE search_words USING fts5(terms, "
        f"tokenize='unicode61 remove_diacritics 2', prefix='{WORD_PREFIXES}')"
    ),
    "search_digits": "CREATE VIRTUAL TABLE search_digits USING fts5(digits, tokenize='trigram')",
}
