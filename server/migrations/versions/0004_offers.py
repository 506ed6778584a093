"""offers: region signals, contract renewals, blocked affinity pairs, the queue of an offer response

- `region_signal`: a synced reference table (scope `ref`), a region's weather or season signal;
- `holding.renews_at`: the contract's renewal date (None for a one-off purchase);
- `offer_response.queue_id`: the queue of the contact the offer was made in (acceptance per queue);
- `affinity_block`: server-only, the product pairs an admin ruled out of the affinity model;
- `offer_model_state`: server-only, when the affinity model was last claimed and computed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _timestamp() -> server.db.types.Timestamp:
    return server.db.types.Timestamp(timezone=True)


def upgrade() -> None:
    op.create_table(
        "region_signal",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_modified_seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", _timestamp(), nullable=True),
        sa.Column("updated_at", _timestamp(), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("boost", sa.Float(), nullable=False),
        sa.Column("valid_from", _timestamp(), nullable=True),
        sa.Column("valid_to", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_signal")),
    )
    op.create_table(
        "affinity_block",
        sa.Column("antecedent_product_id", sa.String(length=36), nullable=False),
        sa.Column("consequent_product_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint(
            "antecedent_product_id", "consequent_product_id", name=op.f("pk_affinity_block")
        ),
    )
    op.create_table(
        "offer_model_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_at", _timestamp(), nullable=True),
        sa.Column("computed_at", _timestamp(), nullable=True),
        sa.Column("baskets", sa.BigInteger(), nullable=False),
        sa.Column("rules", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_model_state")),
    )
    with op.batch_alter_table("holding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renews_at", _timestamp(), nullable=True))
    with op.batch_alter_table("offer_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer_response", schema=None) as batch_op:
        batch_op.drop_column("queue_id")
    with op.batch_alter_table("holding", schema=None) as batch_op:
        batch_op.drop_column("renews_at")
    op.drop_table("offer_model_state")
    op.drop_table("affinity_block")
    op.drop_table("region_signal")
