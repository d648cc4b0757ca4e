"""purchase hot path: the hold as one PostgreSQL function call

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 20:40:00

On PostgreSQL a hold (seats, the buyer's allowance, the pending order and its items) is one
call of `boxoffice_hold`, so one round trip and one implicit transaction instead of six round
trips (boxoffice.sales.hotpath explains why and what it returns). SQLite has no stored
functions and keeps the general path in boxoffice.sales.purchase; nothing changes there.

The rules are those of the general path, in the same lock order (seats, then the allowance):
- seats only by the conditional update `taken + n <= capacity`, first in the bucket the caller
  chose, else in a random bucket that still has room for the whole line;
- if the first line finds no bucket, nothing was written: it returns NULL and the caller runs
  the general path (which can split a line across buckets, or answer sold out);
- anything that fails after a write raises, so the statement's implicit transaction rolls it
  all back: BX001 (buyer limit), BX002 (a later line found no bucket), 23505 (the buyer's
  idempotency key is taken).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLD = """
CREATE OR REPLACE FUNCTION boxoffice_hold(
    p_order_id text, p_event_id text, p_buyer text, p_buyer_name text,
    p_total bigint, p_currency text, p_payment_method text, p_idempotency_key text,
    p_fingerprint text, p_now timestamptz, p_limit integer,
    p_ticket_types text[], p_quantities integer[], p_unit_prices bigint[], p_buckets integer[]
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
                        created_at, updated_at)
    VALUES (p_order_id, p_event_id, p_buyer, p_buyer_name, 'pending', p_total, p_currency,
            p_payment_method, p_idempotency_key, p_fingerprint, p_now, p_now);
    INSERT INTO order_items (order_id, ticket_type_id, quantity, unit_price, buckets)
    SELECT p_order_id, t, q, p, b || ':' || q
      FROM unnest(p_ticket_types, p_quantities, p_unit_prices, taken_from) AS u(t, q, p, b);
    RETURN taken_from;
END
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(HOLD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS boxoffice_hold(text, text, text, text, bigint, text, text, "
            "text, text, timestamptz, integer, text[], integer[], bigint[], integer[])"
        )
