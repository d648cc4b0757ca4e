"""Inventory: one concurrency mechanism, the atomic conditional update.

    UPDATE ticket_types SET held = held + :q
     WHERE id = :id AND held + sold + :q <= capacity

The database evaluates the condition and the increment under the row lock
it takes for the update, so no interleaving of transactions can push
`held + sold` past `capacity`; a transaction that finds no room changes no
row and the purchase is refused as sold out. Nothing is read into Python
and written back. A CHECK constraint on the table repeats the invariant as
a last line of defence. Rows are always touched in ticket-type id order
(`rules.merge_items`), so concurrent orders cannot deadlock.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import ticket_types

tt = ticket_types.c


class InventoryGuard:
    """The production guard. Tests swap in an unguarded twin to prove the race exists."""

    async def hold(self, conn: AsyncConnection, *, ticket_type_id: str, quantity: int) -> bool:
        result = await conn.execute(
            update(ticket_types)
            .where(tt.id == ticket_type_id, tt.held + tt.sold + quantity <= tt.capacity)
            .values(held=tt.held + quantity)
        )
        return result.rowcount == 1


async def release_held(conn: AsyncConnection, lines: list[tuple[str, int]]) -> None:
    for ticket_type_id, quantity in lines:
        await conn.execute(
            update(ticket_types).where(tt.id == ticket_type_id).values(held=tt.held - quantity)
        )


async def convert_held_to_sold(conn: AsyncConnection, lines: list[tuple[str, int]]) -> None:
    for ticket_type_id, quantity in lines:
        await conn.execute(
            update(ticket_types)
            .where(tt.id == ticket_type_id)
            .values(held=tt.held - quantity, sold=tt.sold + quantity)
        )


async def return_sold(conn: AsyncConnection, lines: list[tuple[str, int]]) -> None:
    for ticket_type_id, quantity in lines:
        await conn.execute(
            update(ticket_types).where(tt.id == ticket_type_id).values(sold=tt.sold - quantity)
        )
