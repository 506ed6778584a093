"""The seed's affinity model: computed from the seeded baskets and written like the other seeded rows.

The seed writes no change-log rows (version 1, one `last_modified_seq`, then an epoch rotation makes
every client re-prime from snapshots); the model's rows follow the same rule. Later
recomputations diff against these rows through the ChangeWriter like any other.
"""

from collections.abc import Callable

from sqlalchemy import delete, insert

from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow
from server.offers.affinity import STATE_ID, compute_rules
from server.offers.settings import ModelSettings


def write_seed_model(
    db: Database, new_id: Callable[[], str], seq: int, counts: dict[str, int], settings: ModelSettings
) -> int:
    """Compute the model from the seeded rows and insert its `affinity` rows; returns the rule count."""
    with db.read() as conn:
        model = compute_rules(conn, settings)
    now = iso(utcnow())
    rows = [
        {
            "id": new_id(),
            "version": 1,
            "last_modified_seq": seq,
            "deleted_at": None,
            "updated_at": now,
            "antecedent_product_id": rule.antecedent_product_id,
            "offer_id": rule.offer_id,
            "support": rule.support,
            "confidence": rule.confidence,
            "lift": rule.lift,
        }
        for rule in model.rules
    ]
    with db.write() as conn:
        if rows:
            conn.execute(insert(t.affinity), rows)
        conn.execute(delete(t.offer_model_state))  # a server may have recorded an empty model
        conn.execute(
            insert(t.offer_model_state).values(
                id=STATE_ID, claimed_at=None, computed_at=now, baskets=model.baskets, rules=len(rows)
            )
        )
    counts["affinity"] = counts.get("affinity", 0) + len(rows)
    return len(rows)
