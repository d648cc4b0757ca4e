"""orders: the buyer's language, recorded at checkout for the tickets e-mail and PDF

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00

The storefront speaks the reader's language (Brazilian Portuguese by default), but the tickets
e-mail and PDF were English: nothing recorded which language the buyer bought in, and the
e-mail is rendered later, by the mail worker, from the order alone. `orders.locale` keeps it
(NULL for orders placed before: the site's default language). On PostgreSQL the purchase's
hold writes the order inside `boxoffice_hold` (migration 0004), so the function takes the
language as a sixteenth argument; its body is 0004's with that one column added, written out
in full because a migration is a snapshot of the schema it leaves, not a reference to code
that may change.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SIGNATURE = (
    "boxoffice_hold(text, text, text, text, bigint, text, text, "
    "text, text, timestamptz, integer, text[], integer[], bigint[], integer[])"
)
NEW_SIGNATURE = OLD_SIGNATURE.replace("integer[])", "integer[], text)")

HOLD = """
CREATE OR REPLACE FUNCTION boxoffice_hold(
    p_order_id text, p_event_id text, p_buyer text, p_buyer_name text,
    p_total bigint, p_currency text, p_payment_method text, p_idempotency_key text,
    p_fingerprint text, p_now timestamptz, p_limit integer,
    p_ticket_types text[], p_quantities integer[], p_unit_prices bigint[], p_buckets integer[],
    p_locale text
) RETURNS integer[]
LANGUAGE plpgsql AS $$
DECLARE
    taken_from integer[] := '{}';
    chosen integer;
    line integer;
BEGIN
    FOR line IN 1 .. cardinality(p_ticket_types) LOOP
        UPDATE inventory_buckets SET taken = taken + p_quantities[line]
         WHERE ticket_type_id = p_ticket_types[line] AND bucket = p_buckets[line]
           AND taken + p_quantities[line] <= capacity
        RETURNING bucket INTO chosen;
        IF NOT FOUND THEN
            UPDATE inventory_buckets SET taken = taken + p_quantities[line]
             WHERE ticket_type_id = p_ticket_types[line]
               AND bucket = (SELECT b.bucket FROM inventory_buckets b
                              WHERE b.ticket_type_id = p_ticket_types[line]
                                AND b.taken + p_quantities[line] <= b.capacity
                              ORDER BY random() LIMIT 1)
               AND taken + p_quantities[line] <= capacity
            RETURNING bucket INTO chosen;
        END IF;
        IF NOT FOUND THEN
            IF line = 1 THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'no single inventory bucket has room for line %', line
                USING ERRCODE = 'BX002';
        END IF;
        taken_from := taken_from || chosen;
    END LOOP;
    IF p_limit IS NOT NULL THEN
        INSERT INTO buyer_allowances AS a (event_id, buyer, taken)
        VALUES (p_event_id, p_buyer, (SELECT sum(q) FROM unnest(p_quantities) AS q))
        ON CONFLICT (event_id, buyer) DO UPDATE SET taken = a.taken + excluded.taken
         WHERE a.taken + excluded.taken <= p_limit;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'buyer limit reached' USING ERRCODE = 'BX001';
        END IF;
    END IF;
    INSERT INTO orders (id, event_id, buyer_email, buyer_name, status, total, currency,
                        payment_method, idempotency_key, request_fingerprint,
                        created_at, updated_at, locale)
    VALUES (p_order_id, p_event_id, p_buyer, p_buyer_name, 'pending', p_total, p_currency,
            p_payment_method, p_idempotency_key, p_fingerprint, p_now, p_now, p_locale);
    INSERT INTO order_items (order_id, ticket_type_id, quantity, unit_price, buckets)
    SELECT p_order_id, t, q, p, b || ':' || q
      FROM unnest(p_ticket_types, p_quantities, p_unit_prices, taken_from) AS u(t, q, p, b);
    RETURN taken_from;
END
$$;
"""


def _hold_of_0004() -> str:
    """The function as migration 0004 left it, to go back to."""
    spec = importlib.util.spec_from_file_location(
        "boxoffice_migration_0004", Path(__file__).with_name("0004_purchase_hot_path.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.HOLD)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(16), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}")
        op.execute(HOLD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {NEW_SIGNATURE}")
        op.execute(_hold_of_0004())
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("locale")
