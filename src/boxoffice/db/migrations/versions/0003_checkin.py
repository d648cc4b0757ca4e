"""check-in: gate devices, the scan log, first admissions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boxoffice.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=40)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, boxoffice.db.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "gate_devices",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_gate_devices_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_devices")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_gate_devices_key_hash")),
    )
    with op.batch_alter_table("gate_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_devices_event_id"), ["event_id"], unique=False)

    op.create_table(
        "checkin_scans",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=True),
        sa.Column("gate", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("ticket_id", ID, nullable=True),
        sa.Column("code", sa.String(length=7), nullable=True),
        _time("scanned_at"),
        _time("recorded_at"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["gate_devices.id"], name=op.f("fk_checkin_scans_device_id_gate_devices")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_checkin_scans_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_checkin_scans_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_scans")),
        sa.UniqueConstraint("device_id", "nonce", name="uq_checkin_scans_device_id_nonce"),
    )
    with op.batch_alter_table("checkin_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_scans_event_id_recorded_at", ["event_id", "recorded_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_checkin_scans_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_admissions",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("scan_id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("gate", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        _time("admitted_at"),
        _time("changed_at"),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["gate_devices.id"],
            name=op.f("fk_ticket_admissions_device_id_gate_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_ticket_admissions_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["checkin_scans.id"],
            name=op.f("fk_ticket_admissions_scan_id_checkin_scans"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_admissions_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_admissions")),
    )
    with op.batch_alter_table("ticket_admissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_admissions_event_id_changed_at", ["event_id", "changed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_admissions", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_admissions_event_id_changed_at")
    op.drop_table("ticket_admissions")
    with op.batch_alter_table("checkin_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_scans_ticket_id"))
        batch_op.drop_index("ix_checkin_scans_event_id_recorded_at")
    op.drop_table("checkin_scans")
    with op.batch_alter_table("gate_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_devices_event_id"))
    op.drop_table("gate_devices")
