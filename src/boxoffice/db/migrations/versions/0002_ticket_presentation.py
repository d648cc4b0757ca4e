"""ticket presentation: event signing keys, mail outbox, events.rotating_qr

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boxoffice.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rotating_qr", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "event_keys",
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_keys_event_id_events")
        ),
        sa.PrimaryKeyConstraint("event_id", "key_id", name=op.f("pk_event_keys")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        sa.Column("lease_until", boxoffice.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", boxoffice.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_outbox_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_sent_at_next_attempt_at", ["sent_at", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_order_id"))
    op.drop_table("outbox")
    op.drop_table("event_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("rotating_qr")
