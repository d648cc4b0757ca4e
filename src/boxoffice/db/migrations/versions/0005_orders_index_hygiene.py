"""orders: one index less on the purchase path, and a small one for the reconciler

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:30:00

Every purchase inserts an order and then updates it (pending -> paid). The update changes an
indexed column (`status`), so PostgreSQL writes a new entry in every index of the table, not
only in the ones whose columns changed. Two of the five were more than their queries need:

- `ix_orders_event_id` is the leading column of `ix_orders_event_id_buyer_email`, which
  serves every query the first one could;
- `ix_orders_status_created_at` indexed every order ever sold, for one query: the
  reconciler's "pending orders older than the cutoff, oldest first". A partial index on
  `created_at` of pending orders answers it and holds only the orders in flight; a paid
  order's row version is not entered in it at all.

On a sale of 10,000 tickets the saving is within the noise of the machine's CPU per purchase
(docs/benchmarks.md); what it saves grows with the orders table, which the reconciler's index
no longer does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_event_id")
        batch_op.drop_index("ix_orders_status_created_at")
        batch_op.create_index(
            "ix_orders_pending_created_at",
            ["created_at"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_pending_created_at")
        batch_op.create_index("ix_orders_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_orders_event_id", ["event_id"], unique=False)
