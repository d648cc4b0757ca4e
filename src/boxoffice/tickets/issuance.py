"""Issuing tickets for a paid order: serials from the database, codes from the permutation.

A serial is handed out once (`SerialBlocks`: blocks reserved from a
PostgreSQL sequence, which takes no row lock, or from a counter row on
SQLite, then handed out from memory). The keyed permutation in `codes`
turns it into a short code, so codes are unique by construction: no
"generate, collide, retry" loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from boxoffice.db.tables import counters, tickets
from boxoffice.ids import new_id
from boxoffice.tickets.codes import CodeBook

INSERT_TICKETS = tickets.insert()


@dataclass(frozen=True, slots=True)
class NewTicket:
    id: str
    code: str
    serial: int
    ticket_type_id: str
    holder_name: str


class SerialBlocks:
    """Hands out ticket serials from blocks reserved in the database (hi/lo).

    Each block of `block_size` serials is reserved with one round trip in its
    own short transaction (a PostgreSQL sequence, or a counter row on SQLite),
    and this process then hands its serials out from memory. Serials are
    therefore unique across processes and hosts without a round trip per
    ticket; a restart only skips the rest of a block, and codes need no order.
    """

    def __init__(self, engine: AsyncEngine, *, block_size: int = 1024) -> None:
        self._engine = engine
        self._block_size = block_size
        self._blocks: list[range] = []
        self._refill: asyncio.Task[None] | None = None

    async def take(self, count: int) -> list[int]:
        taken: list[int] = []
        while len(taken) < count:
            if not self._blocks:
                await self._refilled()
                continue
            block = self._blocks[0]
            grab = block[: count - len(taken)]
            taken.extend(grab)
            self._blocks[0] = block[len(grab) :]
            if not self._blocks[0]:
                self._blocks.pop(0)
        if sum(len(b) for b in self._blocks) < self._block_size // 2:
            self._start_refill()  # reserve the next block before this one runs dry
        return taken

    def _start_refill(self) -> None:
        if self._refill is None or self._refill.done():
            self._refill = asyncio.create_task(self._add_block())

    async def _refilled(self) -> None:
        self._start_refill()
        assert self._refill is not None
        await asyncio.shield(self._refill)

    async def _add_block(self) -> None:
        block = await self._reserve_block()
        self._blocks.append(range(block * self._block_size, (block + 1) * self._block_size))

    async def _reserve_block(self) -> int:
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                return int((await conn.execute(select(func.nextval("ticket_serial")))).scalar_one())
            return int(
                (
                    await conn.execute(
                        update(counters)
                        .where(counters.c.name == "ticket_serial")
                        .values(value=counters.c.value + 1)
                        .returning(counters.c.value)
                    )
                ).scalar_one()
            )


def plan_tickets(
    *,
    serials: list[int],
    code_book: CodeBook,
    lines: list[tuple[str, int]],
    holder_name: str,
) -> list[NewTicket]:
    """Derive ids and codes for the serials; nothing is written yet."""
    numbers = iter(serials)
    planned = []
    for ticket_type_id, quantity in lines:
        for _ in range(quantity):
            serial = next(numbers)
            planned.append(
                NewTicket(
                    id=new_id("tkt"),
                    code=code_book.issue(serial),
                    serial=serial,
                    ticket_type_id=ticket_type_id,
                    holder_name=holder_name,
                )
            )
    return planned


async def insert_tickets(
    conn: AsyncConnection,
    *,
    order_id: str,
    event_id: str,
    planned: list[NewTicket],
    now: datetime,
) -> None:
    await conn.execute(
        INSERT_TICKETS,
        [
            {
                "id": t.id,
                "order_id": order_id,
                "event_id": event_id,
                "ticket_type_id": t.ticket_type_id,
                "serial": t.serial,
                "code": t.code,
                "holder_name": t.holder_name,
                "status": "valid",
                "created_at": now,
            }
            for t in planned
        ],
    )


async def cancel_tickets(conn: AsyncConnection, order_id: str) -> None:
    await conn.execute(
        update(tickets).where(tickets.c.order_id == order_id).values(status="cancelled")
    )
