"""customer_term without a composite primary key: a unique index instead

Bulk loads append to the table and build the (term, customer_id) index once, instead of inserting
every row at a random place of a primary-key B-tree.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("territory_id", sa.String(length=36), nullable=False),
    )


def upgrade() -> None:
    _create("customer_term_new")
    op.execute(
        "INSERT INTO customer_term_new (term, customer_id, territory_id) "
        "SELECT term, customer_id, territory_id FROM customer_term"
    )
    op.drop_table("customer_term")
    op.rename_table("customer_term_new", "customer_term")
    op.create_index("ix_customer_term_term", "customer_term", ["term", "customer_id"], unique=True)
    op.create_index("ix_customer_term_customer", "customer_term", ["customer_id"], unique=False)


def downgrade() -> None:
    op.create_table(
        "customer_term_old",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("territory_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("term", "customer_id", name="pk_customer_term"),
    )
    op.execute(
        "INSERT INTO customer_term_old (term, customer_id, territory_id) "
        "SELECT term, customer_id, territory_id FROM customer_term"
    )
    op.drop_table("customer_term")
    op.rename_table("customer_term_old", "customer_term")
    op.create_index("ix_customer_term_customer", "customer_term", ["customer_id"], unique=False)
