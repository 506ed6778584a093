"""telephony: the phone system's event log, the contact and agent state derived from it,
broadcasts and queue alert thresholds (all server-only, not synced)

- `telephony_event`: every accepted event once (unique event_id), in received order (seq);
- `tel_contact`, `tel_attempt`, `tel_agent`: state rebuilt from the log for the ids a batch touches;
- `broadcast`: what supervisors sent; `queue_threshold`: per-queue overrides of alert thresholds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _timestamp() -> server.db.types.Timestamp:
    return server.db.types.Timestamp(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "telephony_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("received_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_telephony_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_telephony_event_event_id")),
    )
    op.create_index("ix_telephony_event_agent", "telephony_event", ["agent_id", "type", "at"])
    op.create_index("ix_telephony_event_contact", "telephony_event", ["contact_id"])
    op.create_table(
        "tel_contact",
        sa.Column("contact_id", sa.String(length=128), nullable=False),
        sa.Column("queue_id", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("phone_e164", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offered_at", _timestamp(), nullable=False),
        sa.Column("queued_at", _timestamp(), nullable=True),
        sa.Column("routed_at", _timestamp(), nullable=True),
        sa.Column("answered_at", _timestamp(), nullable=True),
        sa.Column("ended_at", _timestamp(), nullable=True),
        sa.Column("acw_ended_at", _timestamp(), nullable=True),
        sa.Column("abandoned_at", _timestamp(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("ring_attempts", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=36), nullable=True),
        sa.Column("last_event_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_tel_contact")),
    )
    op.create_index("ix_tel_contact_offered", "tel_contact", ["offered_at"])
    op.create_index("ix_tel_contact_queue", "tel_contact", ["queue_id", "offered_at"])
    op.create_index("ix_tel_contact_status", "tel_contact", ["status"])
    op.create_table(
        "tel_attempt",
        sa.Column("contact_id", sa.String(length=128), nullable=False),
        sa.Column("attempt", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("queue_id", sa.String(length=128), nullable=True),
        sa.Column("routed_at", _timestamp(), nullable=False),
        sa.Column("answered_at", _timestamp(), nullable=True),
        sa.Column("ended_at", _timestamp(), nullable=True),
        sa.Column("finished_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("contact_id", "attempt", name=op.f("pk_tel_attempt")),
    )
    op.create_index("ix_tel_attempt_agent", "tel_attempt", ["agent_id", "finished_at"])
    op.create_table(
        "tel_agent",
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("chosen_state", sa.String(length=12), nullable=False),
        sa.Column("chosen_reason", sa.String(length=12), nullable=True),
        sa.Column("chosen_at", _timestamp(), nullable=True),
        sa.Column("chosen_event_id", sa.String(length=128), nullable=True),
        sa.Column("queues", _json(), nullable=False),
        sa.Column("queues_at", _timestamp(), nullable=True),
        sa.Column("queues_event_id", sa.String(length=128), nullable=True),
        sa.Column("name_at", _timestamp(), nullable=True),
        sa.Column("name_event_id", sa.String(length=128), nullable=True),
        sa.Column("known_since", _timestamp(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=True),
        sa.Column("state_since", _timestamp(), nullable=False),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_tel_agent")),
    )
    op.create_table(
        "broadcast",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("queue_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sender_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    op.create_table(
        "queue_threshold",
        sa.Column("queue_id", sa.String(length=36), nullable=False),
        sa.Column("service_level_below", sa.Float(), nullable=True),
        sa.Column("oldest_wait_above_s", sa.Float(), nullable=True),
        sa.Column("waiting_above", sa.BigInteger(), nullable=True),
        sa.Column("abandon_rate_above", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("queue_id", name=op.f("pk_queue_threshold")),
    )


def downgrade() -> None:
    op.drop_table("queue_threshold")
    op.drop_table("broadcast")
    op.drop_table("tel_agent")
    op.drop_index("ix_tel_attempt_agent", table_name="tel_attempt")
    op.drop_table("tel_attempt")
    op.drop_index("ix_tel_contact_status", table_name="tel_contact")
    op.drop_index("ix_tel_contact_queue", table_name="tel_contact")
    op.drop_index("ix_tel_contact_offered", table_name="tel_contact")
    op.drop_table("tel_contact")
    op.drop_index("ix_telephony_event_contact", table_name="telephony_event")
    op.drop_index("ix_telephony_event_agent", table_name="telephony_event")
    op.drop_table("telephony_event")
