"""outbox: the mail worker's due rows in a partial index, in the order it takes them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:55:00

The mail worker asks every second for the oldest due rows (`boxoffice.mail.outbox.DUE_MAIL`:
unsent, not failed, due, not leased, oldest first, a handful). During a sale the e-mails
trickle out a few a second while orders are confirmed hundreds a second, so the unsent rows
pile up by the thousand. Through `(sent_at, next_attempt_at)`, and with statistics that still
said "a few unsent rows", PostgreSQL read every unsent row, sorted them and kept ten: 8.2 ms
for a backlog of 9,779 rows, one claim a second per worker, growing with the sale. A partial
index of the unsent, unfailed rows on `next_attempt_at` is read in order and stopped after the
handful wanted (0.08 ms for the same backlog), holds only mail in flight, and replaces the
old index, which held every e-mail ever sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_sent_at_next_attempt_at")
        batch_op.create_index(
            "ix_outbox_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=DUE,
            sqlite_where=DUE,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index(
            "ix_outbox_sent_at_next_attempt_at", ["sent_at", "next_attempt_at"], unique=False
        )
