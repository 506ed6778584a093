"""Recomputing the affinity model and writing it as `affinity` rows (synced to every desktop in `ref`).

`compute_rules` reads: the catalog's usable products and offers, the admin's blocked pairs and the
basket counts, all in one read transaction (the counting may take seconds on a million customers
and must not hold the write lock). `write_rules` then diffs the rules against the live `affinity`
rows inside one short write transaction, through the ChangeWriter: changed rows are updated, new
ones inserted and vanished ones deleted, so a desktop's next pull gets exactly the difference.
"""

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow
from server.offers.baskets import count_baskets
from server.offers.catalog import blocked_pairs, load_catalog
from server.offers.rules import Rule, rules_from_counts
from server.offers.settings import ModelSettings
from server.sync.changes import ChangeWriter

STATE_ID: Final = 1
_VALUES: Final = ("support", "confidence", "lift")


@dataclass(frozen=True, slots=True)
class ComputedModel:
    baskets: int
    rules: list[Rule]
    excluded_products: int
    excluded_offers: int
    blocked: int


@dataclass(frozen=True, slots=True)
class ModelReport:
    """What a recomputation found and changed."""

    baskets: int
    rules: int
    inserted: int
    updated: int
    deleted: int
    excluded_products: int
    excluded_offers: int
    blocked: int
    seconds: float

    def summary(self) -> str:
        return (
            f"offer model: {self.rules} rules from {self.baskets:,} baskets "
            f"(+{self.inserted} ~{self.updated} -{self.deleted}); {self.excluded_products} products and "
            f"{self.excluded_offers} offers left out as sensitive, {self.blocked} blocked pairs; "
            f"{self.seconds:.2f} s"
        )


def compute_rules(conn: Connection, settings: ModelSettings) -> ComputedModel:
    """The rules the current holdings, accepted offers, catalog and blocks give (reads only)."""
    catalog = load_catalog(conn, settings.sensitive_categories)
    blocked = blocked_pairs(conn)
    counts = count_baskets(conn, catalog.antecedents, catalog.consequents)
    rules = rules_from_counts(counts, catalog.offers, catalog.antecedents, blocked, settings)
    return ComputedModel(
        counts.baskets, rules, len(catalog.excluded_products), len(catalog.excluded_offers), len(blocked)
    )


def lock_state(conn: Connection) -> dict[str, Any]:
    """The model's bookkeeping row, created if missing and row-locked on PostgreSQL.

    Holding it serializes the writers of the model (two recomputations never both insert a rule).
    """
    s = t.offer_model_state
    query = select(s).where(s.c.id == STATE_ID)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        values = {"id": STATE_ID, "claimed_at": None, "computed_at": None, "baskets": 0, "rules": 0}
        conn.execute(insert(s).values(**values))
        return values
    return dict(row._mapping)


def _live_rows(conn: Connection) -> list[dict[str, Any]]:
    a = t.affinity
    query = select(a).where(a.c.deleted_at.is_(None)).order_by(a.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def write_rules(conn: Connection, rules: Sequence[Rule], baskets: int) -> tuple[int, int, int]:
    """Make the live `affinity` rows equal `rules`; returns (inserted, updated, deleted)."""
    lock_state(conn)
    writer = ChangeWriter(conn)
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    deleted = 0
    for row in _live_rows(conn):
        key = (row["antecedent_product_id"], row["offer_id"])
        if key in existing:  # a duplicate: keep one
            writer.delete("affinity", row["id"])
            deleted += 1
        else:
            existing[key] = row
    inserted = updated = 0
    for rule in rules:
        values = {"support": rule.support, "confidence": rule.confidence, "lift": rule.lift}
        current = existing.pop((rule.antecedent_product_id, rule.offer_id), None)
        if current is None:
            writer.insert(
                "affinity",
                {
                    "id": str(uuid.uuid4()),
                    "antecedent_product_id": rule.antecedent_product_id,
                    "offer_id": rule.offer_id,
                    **values,
                },
            )
            inserted += 1
        elif any(current[k] != values[k] for k in _VALUES):
            writer.update("affinity", current["id"], values)
            updated += 1
    for row in existing.values():
        writer.delete("affinity", row["id"])
        deleted += 1
    conn.execute(
        update(t.offer_model_state)
        .where(t.offer_model_state.c.id == STATE_ID)
        .values(computed_at=iso(utcnow()), baskets=baskets, rules=len(rules))
    )
    writer.notify()
    return inserted, updated, deleted


def recompute(db: Database, settings: ModelSettings) -> ModelReport:
    """Compute the model from the data now and write the difference (any time, any process)."""
    started = time.perf_counter()
    with db.read() as conn:
        model = compute_rules(conn, settings)
    with db.write() as conn:
        inserted, updated, deleted = write_rules(conn, model.rules, model.baskets)
    return ModelReport(
        baskets=model.baskets,
        rules=len(model.rules),
        inserted=inserted,
        updated=updated,
        deleted=deleted,
        excluded_products=model.excluded_products,
        excluded_offers=model.excluded_offers,
        blocked=model.blocked,
        seconds=time.perf_counter() - started,
    )
