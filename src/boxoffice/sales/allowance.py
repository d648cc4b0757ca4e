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

from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import buyer_allowances

ba = buyer_allowances.c


def _upsert(insert: Any) -> Any:
    statement = insert(buyer_allowances).values(
        event_id=bindparam("e"), buyer=bindparam("who"), taken=bindparam("n")
    )
    return statement.on_conflict_do_update(
        index_elements=[ba.event_id, ba.buyer],
        set_={"taken": ba.taken + statement.excluded.taken},
        where=ba.taken + statement.excluded.taken <= bindparam("limit"),
    ).returning(ba.taken)


# Built once per dialect (both speak ON CONFLICT ... DO UPDATE ... WHERE ... RETURNING).
_TAKE = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_GIVE_BACK = (
    update(buyer_allowances)
    .where(ba.event_id == bindparam("e"), ba.buyer == bindparam("who"))
    .values(taken=ba.taken - bindparam("n"))
)


async def take(
    conn: AsyncConnection, *, event_id: str, buyer: str, quantity: int, limit: int
) -> bool:
    if quantity > limit:
        return False
    params = {"e": event_id, "who": buyer, "n": quantity, "limit": limit}
    taken = (await conn.execute(_TAKE[conn.dialect.name], params)).scalar_one_or_none()
    return taken is not None


async def give_back(conn: AsyncConnection, *, event_id: str, buyer: str, quantity: int) -> None:
    await conn.execute(_GIVE_BACK, {"e": event_id, "who": buyer, "n": quantity})
