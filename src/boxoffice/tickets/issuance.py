"""Issuing tickets for a paid order: serials from the database, codes from the permutation.

A serial is handed out once by the database (a PostgreSQL sequence, which
takes no row lock, or a counter row on SQLite, whose writers are serialised
anyway). The keyed permutation in `codes` turns it into a short code, so
codes are unique by construction: no "generate, collide, retry" loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import counters, tickets
from boxoffice.ids import new_id
from boxoffice.tickets.codes import CodeBook


@dataclass(frozen=True, slots=True)
class NewTicket:
    id: str
    code: str
    serial: int
    ticket_type_id: str
    holder_name: str


async def allocate_serials(conn: AsyncConnection, count: int) -> list[int]:
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(
            select(func.nextval("ticket_serial")).select_from(func.generate_series(1, count))
        )
        return [int(r[0]) for r in rows]
    last = (
        await conn.execute(
            update(counters)
            .where(counters.c.name == "ticket_serial")
            .values(value=counters.c.value + count)
            .returning(counters.c.value)
        )
    ).scalar_one()
    return list(range(int(last) - count + 1, int(last) + 1))


async def plan_tickets(
    conn: AsyncConnection,
    *,
    code_book: CodeBook,
    lines: list[tuple[str, int]],
    holder_name: str,
) -> list[NewTicket]:
    """Reserve serials and derive the codes; nothing is written yet."""
    total = sum(quantity for _, quantity in lines)
    serials = iter(await allocate_serials(conn, total))
    planned = []
    for ticket_type_id, quantity in lines:
        for _ in range(quantity):
            serial = next(serials)
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
        tickets.insert(),
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
