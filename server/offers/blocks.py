"""The admin's blocked product pairs: the affinity model never pairs them (server only, not synced)."""

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from server.db import tables as t
from server.db.types import iso, utcnow
from wire.offers import AffinityBlockIn, AffinityBlockOut


class UnknownProducts(LookupError):
    """A block named products that do not exist (a typo would silently block nothing)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


def _out(row: Any) -> AffinityBlockOut:
    return AffinityBlockOut(
        antecedent_product_id=row.antecedent_product_id,
        consequent_product_id=row.consequent_product_id,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _key(antecedent: str, consequent: str) -> Any:
    b = t.affinity_block
    return (b.c.antecedent_product_id == antecedent) & (b.c.consequent_product_id == consequent)


def list_blocks(conn: Connection) -> list[AffinityBlockOut]:
    b = t.affinity_block
    query = select(b).order_by(b.c.antecedent_product_id, b.c.consequent_product_id)
    return [_out(r) for r in conn.execute(query)]


def put_block(conn: Connection, block: AffinityBlockIn, user_id: str) -> AffinityBlockOut:
    """Add the block, or update its reason; raises UnknownProducts for ids not in the catalog."""
    wanted = {block.antecedent_product_id, block.consequent_product_id}
    known = set(conn.execute(select(t.product.c.id).where(t.product.c.id.in_(sorted(wanted)))).scalars())
    if wanted - known:
        raise UnknownProducts(sorted(wanted - known))
    b = t.affinity_block
    key = _key(block.antecedent_product_id, block.consequent_product_id)
    if conn.execute(select(b.c.reason).where(key)).first() is None:
        conn.execute(
            insert(b).values(
                antecedent_product_id=block.antecedent_product_id,
                consequent_product_id=block.consequent_product_id,
                reason=block.reason,
                created_by=user_id,
                created_at=iso(utcnow()),
            )
        )
    else:
        conn.execute(update(b).where(key).values(reason=block.reason))
    row = conn.execute(select(b).where(key)).one()
    return _out(row)


def delete_block(conn: Connection, antecedent: str, consequent: str) -> AffinityBlockOut | None:
    """Remove the block; None when there was none."""
    b = t.affinity_block
    row = conn.execute(select(b).where(_key(antecedent, consequent))).first()
    if row is None:
        return None
    conn.execute(delete(b).where(_key(antecedent, consequent)))
    return _out(row)
