"""The schema, as SQLAlchemy Core tables.

Core rather than ORM: the purchase path issues a handful of hand-written
conditional updates and bulk inserts, and object identity maps would only
add work there. Constraints in the database are the last line of defence
behind the service layer's guards (capacity, allowance, unique codes,
one idempotency key per buyer).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from boxoffice.db.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(40)
EMAIL = String(320)

partners = Table(
    "partners",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", EMAIL, nullable=False),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", ID, ForeignKey("partners.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("venue", String(200), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("per_buyer_limit", Integer, nullable=True),
    Column("sales_start", UtcDateTime(), nullable=True),
    Column("sales_end", UtcDateTime(), nullable=True),
    Column("waiting_room", Boolean, nullable=False, default=False),
    # tickets: QR codes carry a time-based suffix (boxoffice.tickets.rotating); migration 0002
    Column("rotating_qr", Boolean, nullable=False, default=False, server_default=false()),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Index("ix_events_status_starts_at", "status", "starts_at"),
)

ticket_types = Table(
    "ticket_types",
    metadata,
    Column("id", ID, primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capacity", Integer, nullable=False),
    # How many inventory_buckets rows split the capacity (fixed at creation).
    Column("buckets", Integer, nullable=False),
    CheckConstraint("price >= 0 AND capacity >= 0", name="price_capacity_not_negative"),
)

inventory_buckets = Table(
    "inventory_buckets",
    metadata,
    # A ticket type's capacity, split into buckets so that thousands of buyers
    # do not queue on one row; see boxoffice.sales.inventory. `taken` counts
    # seats held by pending orders and sold to paid ones.
    Column("ticket_type_id", ID, ForeignKey("ticket_types.id"), primary_key=True),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("capacity", Integer, nullable=False),
    Column("taken", Integer, nullable=False),
    CheckConstraint("taken >= 0", name="taken_not_negative"),
    CheckConstraint("taken <= capacity", name="within_capacity"),
)

buyer_allowances = Table(
    "buyer_allowances",
    metadata,
    Column("event_id", ID, ForeignKey("events.id"), primary_key=True),
    Column("buyer", EMAIL, primary_key=True),
    Column("taken", Integer, nullable=False),
    CheckConstraint("taken >= 0", name="taken_not_negative"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False),
    Column("buyer_email", EMAIL, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    # pending -> paid | declined | released ; paid -> refunded ; rejected (never held)
    Column("status", String(16), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_method", String(255), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("request_fingerprint", String(64), nullable=False),
    # The first answer given for this idempotency key, replayed verbatim
    # (without the access token, which is derived, never stored).
    Column("response_status", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("decline_code", String(64), nullable=True),
    Column("gateway_intent_id", String(255), nullable=True),
    Column("refund_id", String(255), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The buyer's language (a supported locale id such as pt_BR), chosen at checkout: the
    # tickets e-mail and PDF speak it, however late they are sent. NULL on orders placed
    # before it was recorded: the site's default language.
    Column("locale", String(16), nullable=True),
    UniqueConstraint("buyer_email", "idempotency_key", name="uq_orders_buyer_idempotency_key"),
    # The reconciler's "pending orders older than the cutoff": only orders in flight are in it
    # (migration 0005 on why the purchase path keeps its indexes few).
    Index(
        "ix_orders_pending_created_at",
        "created_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index("ix_orders_event_id_buyer_email", "event_id", "buyer_email"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", ID, ForeignKey("orders.id"), primary_key=True),
    Column("ticket_type_id", ID, ForeignKey("ticket_types.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    # Which inventory buckets the seats came from ("bucket:count,..."), to give them back.
    Column("buckets", String(400), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

ticket_serial = Sequence("ticket_serial", start=1, metadata=metadata)

tickets = Table(
    "tickets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=False, index=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False, index=True),
    Column("ticket_type_id", ID, ForeignKey("ticket_types.id"), nullable=False),
    Column("serial", BigInteger, nullable=False, unique=True),
    Column("code", String(7), nullable=False, unique=True),
    Column("holder_name", String(200), nullable=False),
    # valid -> used ; valid -> cancelled
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


# --- tickets: event signing keys and the mail outbox (migration 0002) ---------------------

event_keys = Table(
    "event_keys",
    metadata,
    # Ed25519 keys that sign an event's QR payloads (boxoffice.tickets.keys). The primary key
    # is what makes lazy get-or-create and rotation safe under concurrency: two creators of
    # the same key id cannot both commit. Retired keys still verify; they only stop signing.
    Column("event_id", ID, ForeignKey("events.id"), primary_key=True),
    Column("key_id", Integer, primary_key=True, autoincrement=False),
    Column("public_key", String(64), nullable=False),
    # AES-256-GCM under a key derived from the root secret: base64(nonce || ciphertext).
    Column("private_key", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("retired_at", UtcDateTime(), nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    # Mail to send, written in the transaction that caused it (boxoffice.mail.outbox), so a
    # paid order always has its e-mail queued and a rolled-back one never does.
    Column("id", ID, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=False, index=True),
    # One row per cause: "tickets:<order id>" for the confirmation, one per re-send.
    Column("dedupe_key", String(120), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("lease_owner", String(40), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("failed_at", UtcDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    # The mail worker's "due rows, oldest first": only unsent, unfailed rows are in it, in the
    # order the worker takes them (migration 0006).
    Index(
        "ix_outbox_due",
        "next_attempt_at",
        postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
    ),
)


# --- checkin: gate devices, first admissions and the scan log (migration 0003) ------------

gate_devices = Table(
    "gate_devices",
    metadata,
    # A scanner at the gate, allowed to check in the tickets of one event only. Only the
    # SHA-256 of its key is kept (boxoffice.ids.hash_secret); revoking is immediate.
    Column("id", ID, primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

checkin_scans = Table(
    "checkin_scans",
    metadata,
    # Every scan attempt, online or uploaded from an offline gate, with what the gate showed.
    # (device_id, nonce) is unique so that a re-uploaded or retried scan is recorded once.
    Column("id", ID, primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False),
    Column("device_id", ID, ForeignKey("gate_devices.id"), nullable=False),
    Column("nonce", String(64), nullable=True),
    Column("gate", String(60), nullable=True),
    Column("source", String(8), nullable=False),  # online | offline
    Column("result", String(16), nullable=False),  # what the gate told the holder
    Column("reason", String(40), nullable=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=True, index=True),
    Column("code", String(7), nullable=True),
    Column("scanned_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("device_id", "nonce", name="uq_checkin_scans_device_id_nonce"),
    Index("ix_checkin_scans_event_id_recorded_at", "event_id", "recorded_at"),
)

ticket_admissions = Table(
    "ticket_admissions",
    metadata,
    # The first admission of a ticket (boxoffice.checkin.redemption): one row per ticket,
    # written in the transaction that moved the ticket from valid to used. An offline scan
    # that turns out earlier replaces it (earliest wins); `changed_at` feeds bundle deltas.
    Column("ticket_id", ID, ForeignKey("tickets.id"), primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False),
    Column("scan_id", ID, ForeignKey("checkin_scans.id"), nullable=False),
    Column("device_id", ID, ForeignKey("gate_devices.id"), nullable=False),
    Column("gate", String(60), nullable=True),
    Column("source", String(8), nullable=False),
    Column("admitted_at", UtcDateTime(), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
    Index("ix_ticket_admissions_event_id_changed_at", "event_id", "changed_at"),
)
