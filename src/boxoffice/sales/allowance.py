"""The per-buyer limit: one counter row per (event, buyer), moved by a conditional upsert.

    INSERT ... VALUES (:event, :buyer, :q)
    ON CONFLICT (event_id, buyer) DO UPDATE SET taken = taken + :q
     WHERE taken + :q <= :limit

Concurrent orders of one buyer serialise on that row (and on its unique
key when it does not exist yet), so the sum of all their tickets can never
pass the limit, whichever order they commit in. Declines, releases and
refunds give the allowance back.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import buyer_allowances

ba = buyer_allowances.c


async def take(
    conn: AsyncConnection, *, event_id: str, buyer: str, quantity: int, limit: int
) -> bool:
    if quantity > limit:
        return False
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(buyer_allowances).values(
        event_id=event_id, buyer=buyer, taken=quantity
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[ba.event_id, ba.buyer],
        set_={"taken": ba.taken + statement.excluded.taken},
        where=ba.taken + statement.excluded.taken <= limit,
    ).returning(ba.taken)
    taken = (await conn.execute(upsert)).scalar_one_or_none()
    return taken is not None


async def give_back(conn: AsyncConnection, *, event_id: str, buyer: str, quantity: int) -> None:
    await conn.execute(
        update(buyer_allowances)
        .where(ba.event_id == event_id, ba.buyer == buyer)
        .values(taken=ba.taken - quantity)
    )
