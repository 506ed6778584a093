"""Every table of the reference server (SQLAlchemy Core; the same shape on SQLite and PostgreSQL).

Synced tables share the columns `id, version, last_modified_seq, deleted_at, updated_at` (SYNC.md
section 1). `ENTITY_TABLES` maps each wire entity to its table; the wire field names are the
column names, except `case` whose table is `support_case`.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from server.db.types import JsonType, Timestamp

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = 36  # a UUID in text form


def _synced(name: str, *columns: Column[object] | Index | UniqueConstraint) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        Column("version", Integer, nullable=False, default=1),
        Column("last_modified_seq", BigInteger, nullable=False, default=0),
        Column("deleted_at", Timestamp, nullable=True),
        Column("updated_at", Timestamp, nullable=True),
        *columns,
    )


# ---- sync machinery (SYNC.md sections 1 and 2) ---------------------------------------------

sync_counter = Table(
    "sync_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)

server_meta = Table(
    "server_meta",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("epoch", String(ID), nullable=False),
    Column("min_retained_seq", BigInteger, nullable=False, default=0),
    Column("protocol_min", Integer, nullable=False),
    Column("protocol_max", Integer, nullable=False),
    Column("token_secret", String(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("epoch_changed_at", Timestamp, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_group", BigInteger, nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    Column("op", String(12), nullable=False),
    Column("origin_client", String(64), nullable=True),
    Column("origin_mutation", String(64), nullable=True),
    Column("committed_at", Timestamp, nullable=False),
    Index("ix_change_log_entity", "entity", "entity_id"),
    Index("ix_change_log_committed_at", "committed_at"),
)

#: which scopes each change-log row is visible in (one row per scope): the pull's index
change_scope = Table(
    "change_scope",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_group", BigInteger, nullable=False),
)

sync_client = Table(
    "sync_client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False, index=True),
    Column("last_client_seq", BigInteger, nullable=False, default=0),
    Column("created_at", Timestamp, nullable=False),
    Column("last_seen_at", Timestamp, nullable=False),
)

client_mutation = Table(
    "client_mutation",
    metadata,
    Column("mutation_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("client_seq", BigInteger, nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("result_json", JsonType, nullable=False),
    Column("server_seq", BigInteger, nullable=True),
    Column("processed_at", Timestamp, nullable=False),
    Index("ix_client_mutation_client", "client_id", "server_seq"),
)

rejected_mutation = Table(
    "rejected_mutation",
    metadata,
    Column("mutation_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("user_id", String(ID), nullable=True),
    Column("payload", JsonType, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Timestamp, nullable=False),
)

#: on-demand scopes (customer:<id>) a client was granted, with their expiry
scope_grant = Table(
    "scope_grant",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("scope", String(80), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("expires_at", Timestamp, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False, index=True),
    Column("user_id", String(ID), nullable=True, index=True),
    Column("client_id", String(64), nullable=True),
    Column("address", String(64), nullable=True),
    Column("action", String(40), nullable=False),
    Column("entity", String(40), nullable=True),
    Column("entity_id", String(ID), nullable=True),
    Column("detail", JsonType, nullable=True),
    Index("ix_audit_log_entity", "entity", "entity_id"),
)

# ---- auth -----------------------------------------------------------------------------------

app_user = _synced(
    "app_user",
    Column("username", String(150), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(400), nullable=False),
    Column("roles", JsonType, nullable=False),
    Column("queue_ids", JsonType, nullable=False),
    Column("territory_ids", JsonType, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
)

refresh_token = Table(
    "refresh_token",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("family_id", String(ID), nullable=False, index=True),
    Column("user_id", String(ID), ForeignKey("app_user.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("device_name", String(200), nullable=False, default=""),
    Column("issued_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
    Column("revoked_at", Timestamp, nullable=True),
)

login_failure = Table(
    "login_failure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", Timestamp, nullable=False),
    Index("ix_login_failure_user", "username", "at"),
    Index("ix_login_failure_address", "address", "at"),
)

integration_key = Table(
    "integration_key",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp, nullable=True),
)

# ---- reference data (scope `ref`) ------------------------------------------------------------

territory = _synced(
    "territory",
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False, default=""),
)

queue = _synced(
    "queue",
    Column("name", String(200), nullable=False),
    Column("channel", String(20), nullable=False, default="phone"),
    Column("sl_threshold_s", Integer, nullable=False, default=20),
    Column("sl_target", Float, nullable=False, default=0.8),
)

product = _synced(
    "product",
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category", String(100), nullable=False, default=""),
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("list_price", Float, nullable=False, default=0.0),
    Column("margin", Float, nullable=False, default=0.0),
)

offer = _synced(
    "offer",
    Column("product_id", String(ID), nullable=False),
    Column("title", String(200), nullable=False),
    Column("pitch", Text, nullable=False, default=""),
    Column("price", Float, nullable=False),
    Column("currency", String(3), nullable=False, default="EUR"),
    Column("category", String(100), nullable=False, default=""),
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("regions", JsonType, nullable=False),
    Column("segments", JsonType, nullable=False),
    Column("valid_from", Timestamp, nullable=True),
    Column("valid_to", Timestamp, nullable=True),
    Column("margin", Float, nullable=False, default=0.0),
)

affinity = _synced(
    "affinity",
    Column("antecedent_product_id", String(ID), nullable=False),
    Column("offer_id", String(ID), nullable=False),
    Column("support", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("lift", Float, nullable=False),
)

#: a region's context signal (weather outlook, season) raising offer categories there
region_signal = _synced(
    "region_signal",
    Column("region", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("label", String(200), nullable=False),
    Column("categories", JsonType, nullable=False),
    Column("boost", Float, nullable=False, default=1.5),
    Column("valid_from", Timestamp, nullable=True),
    Column("valid_to", Timestamp, nullable=True),
)

#: product pairs an admin ruled out of the affinity model (server only: the model just omits them)
affinity_block = Table(
    "affinity_block",
    metadata,
    Column("antecedent_product_id", String(ID), primary_key=True),
    Column("consequent_product_id", String(ID), primary_key=True),
    Column("reason", Text, nullable=False, default=""),
    Column("created_by", String(ID), nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

#: the affinity model's one bookkeeping row (id 1): who is computing it and when it was last computed
offer_model_state = Table(
    "offer_model_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("claimed_at", Timestamp, nullable=True),
    Column("computed_at", Timestamp, nullable=True),
    Column("baskets", BigInteger, nullable=False, default=0),
    Column("rules", Integer, nullable=False, default=0),
)

disposition_code = _synced(
    "disposition_code",
    Column("queue_id", String(ID), nullable=True),
    Column("code", String(64), nullable=False),
    Column("label", String(200), nullable=False),
)

# ---- customers and their history --------------------------------------------------------------

customer = _synced(
    "customer",
    Column("kind", String(20), nullable=False, default="person"),
    Column("display_name", String(300), nullable=False),
    Column("given_name", String(150), nullable=True),
    Column("family_name", String(150), nullable=True),
    Column("organisation", String(300), nullable=True),
    Column("segment", String(40), nullable=False, default="consumer"),
    Column("tier", String(40), nullable=False, default="standard"),
    Column("language", String(20), nullable=False, default="en"),
    Column("country", String(2), nullable=False, default=""),
    Column("region", String(100), nullable=False, default=""),
    Column("postcode", String(20), nullable=True),
    Column("territory_id", String(ID), nullable=False, index=True),
    Column("account_number", String(40), nullable=False, default="", index=True),
    Column("lifetime_value", Float, nullable=False, default=0.0),
    Column("consent_marketing", Boolean, nullable=False, default=False),
    Column("consent_contact", Boolean, nullable=False, default=True),
    Column("do_not_contact", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=True),
)

#: search terms of a customer (lower-cased words, account numbers, email, phone digits): prefix
#: search through the B-tree index on (term, customer_id), the same on SQLite and PostgreSQL.
#: No primary key of its own: inserts append (the seed drops and rebuilds the indexes).
customer_term = Table(
    "customer_term",
    metadata,
    Column("term", String(200), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("territory_id", String(ID), nullable=False),
    Index("ix_customer_term_term", "term", "customer_id", unique=True),
    Index("ix_customer_term_customer", "customer_id"),
)

contact_point = _synced(
    "contact_point",
    Column("customer_id", String(ID), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("value", String(320), nullable=False),
    Column("label", String(100), nullable=True),
    Column("verified", Boolean, nullable=False, default=False),
    Column("is_primary", Boolean, nullable=False, default=False),
    Index("ix_contact_point_value", "kind", "value"),
)

external_ref = _synced(
    "external_ref",
    Column("customer_id", String(ID), nullable=False, index=True),
    Column("system", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("display_name", String(300), nullable=True),
    Index("ix_external_ref_key", "system", "key"),
)

interaction = _synced(
    "interaction",
    Column("customer_id", String(ID), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("direction", String(10), nullable=False, default="inbound"),
    Column("occurred_at", Timestamp, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("agent_id", String(ID), nullable=True),
    Column("agent_name", String(200), nullable=True),
    Column("partner", String(200), nullable=True),
    Column("outcome", String(100), nullable=True),
    Column("case_id", String(ID), nullable=True, index=True),
    Column("duration_s", Integer, nullable=True),
    Column("queue_id", String(ID), nullable=True),
    Index("ix_interaction_customer", "customer_id", "occurred_at"),
)

support_case = _synced(
    "support_case",
    Column("number", String(40), nullable=False, unique=True),
    Column("customer_id", String(ID), nullable=False, index=True),
    Column("subject", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False, default="new"),
    Column("priority", String(10), nullable=False, default="normal"),
    Column("queue_id", String(ID), nullable=True),
    Column("owner_id", String(ID), nullable=True, index=True),
    Column("sla_due_at", Timestamp, nullable=True),
    Column("origin_channel", String(20), nullable=False, default="phone"),
    Column("opened_at", Timestamp, nullable=True),
    Column("resolved_at", Timestamp, nullable=True),
    Index("ix_support_case_queue", "queue_id", "status"),
)

case_note = _synced(
    "case_note",
    Column("case_id", String(ID), nullable=False, index=True),
    Column("author_id", String(ID), nullable=True),
    Column("author_name", String(200), nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("visibility", String(10), nullable=False, default="internal"),
    Column("created_at", Timestamp, nullable=True),
)

holding = _synced(
    "holding",
    Column("customer_id", String(ID), nullable=False, index=True),
    Column("product_id", String(ID), nullable=False, index=True),
    Column("channel", String(20), nullable=False, default="store"),
    Column("price_paid", Float, nullable=False, default=0.0),
    Column("since", Timestamp, nullable=True),
    Column("renews_at", Timestamp, nullable=True),
)

offer_response = _synced(
    "offer_response",
    Column("customer_id", String(ID), nullable=False, index=True),
    Column("offer_id", String(ID), nullable=False, index=True),
    Column("agent_id", String(ID), nullable=True),
    Column("channel", String(20), nullable=False, default="phone"),
    Column("response", String(10), nullable=False),
    Column("reason", Text, nullable=True),
    Column("at", Timestamp, nullable=True),
    Column("queue_id", String(ID), nullable=True),
)

sync_conflict = _synced(
    "sync_conflict",
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(ID), nullable=False),
    Column("field", String(80), nullable=False),
    Column("kind", String(24), nullable=False, default="field"),
    Column("base_value", JsonType, nullable=True),
    Column("server_value", JsonType, nullable=True),
    Column("client_value", JsonType, nullable=True),
    Column("user_id", String(ID), nullable=True, index=True),
    Column("owner_id", String(ID), nullable=True, index=True),
    Column("mutation_id", String(64), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("status", String(12), nullable=False, default="open"),
    Column("resolution", JsonType, nullable=True),
    Column("created_at", Timestamp, nullable=True),
    Column("resolved_at", Timestamp, nullable=True),
    Index("ix_sync_conflict_entity", "entity", "entity_id"),
)

#: wire entity name → table
ENTITY_TABLES: Final[dict[str, Table]] = {
    "customer": customer,
    "contact_point": contact_point,
    "external_ref": external_ref,
    "case": support_case,
    "interaction": interaction,
    "case_note": case_note,
    "offer_response": offer_response,
    "holding": holding,
    "offer": offer,
    "affinity": affinity,
    "region_signal": region_signal,
    "conflict": sync_conflict,
    "disposition_code": disposition_code,
    "queue": queue,
    "product": product,
    "user_directory": app_user,
    "territory": territory,
}
