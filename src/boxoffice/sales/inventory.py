"""Inventory: capacity split into buckets, each moved only by an atomic conditional update.

    UPDATE inventory_buckets SET taken = taken + :n
     WHERE ticket_type_id = :tt AND bucket = :b AND taken + :n <= capacity

The one concurrency mechanism for seats. The database evaluates the
condition and the increment under the row lock the update takes, so no
interleaving of transactions can push a bucket past its capacity, and the
buckets' capacities add up to the ticket type's. Nothing is read into
Python and written back. A CHECK constraint repeats the invariant.

Why buckets: with one counter row per ticket type, every buyer of a flash
sale queues on that row's lock, and each holds it for a network round trip
plus the time until its COMMIT. Split into B buckets and started at a random
one, B holds proceed at once. When the chosen bucket cannot cover the
order, the hold reads which buckets still have room and takes from them
(several, if needed), each again with a conditional update; so an order is
refused as sold out only when the whole ticket type lacks the seats.
"""

from __future__ import annotations

import random

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import inventory_buckets

ib = inventory_buckets.c

MAX_BUCKETS = 32
SEATS_PER_BUCKET = 50
FALLBACK_ROUNDS = 4

Allocation = list[tuple[int, int]]  # (bucket, seats)

# Built once: statements on the hot path are reused, so SQLAlchemy compiles them once
# (a statement rebuilt per call costs about 2.5 times the CPU; docs/benchmarks.md).
TAKE = (
    update(inventory_buckets)
    .where(
        ib.ticket_type_id == bindparam("tt"),
        ib.bucket == bindparam("b"),
        ib.taken + bindparam("n") <= ib.capacity,
    )
    .values(taken=ib.taken + bindparam("n"))
)
GIVE_BACK = (
    update(inventory_buckets)
    .where(ib.ticket_type_id == bindparam("tt"), ib.bucket == bindparam("b"))
    .values(taken=ib.taken - bindparam("n"))
)
ROOMS = (
    select(ib.bucket, ib.capacity - ib.taken)
    .where(ib.ticket_type_id == bindparam("tt"), ib.taken < ib.capacity)
    .order_by(ib.bucket)
)


def bucket_capacities(capacity: int) -> list[int]:
    """Split `capacity` into near-equal buckets: enough to spread a rush, few enough to scan."""
    count = max(1, min(MAX_BUCKETS, capacity // SEATS_PER_BUCKET))
    base, extra = divmod(capacity, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def encode(allocation: Allocation) -> str:
    return ",".join(f"{bucket}:{seats}" for bucket, seats in allocation)


def decode(text: str) -> Allocation:
    if not text:
        return []
    pairs = (part.split(":") for part in text.split(","))
    return [(int(bucket), int(seats)) for bucket, seats in pairs]


class InventoryGuard:
    """The production guard. Tests swap in an unguarded twin to prove the race exists."""

    async def take(
        self, conn: AsyncConnection, *, ticket_type_id: str, bucket: int, seats: int
    ) -> bool:
        result = await conn.execute(TAKE, {"tt": ticket_type_id, "b": bucket, "n": seats})
        return result.rowcount == 1

    async def hold(
        self, conn: AsyncConnection, *, ticket_type_id: str, quantity: int, buckets: int
    ) -> Allocation | None:
        """Hold `quantity` seats; returns where they came from, or None when sold out.

        A None leaves partial takes behind: the caller rolls its transaction back.
        """
        first = random.randrange(buckets)
        if await self.take(conn, ticket_type_id=ticket_type_id, bucket=first, seats=quantity):
            return [(first, quantity)]
        taken: dict[int, int] = {}
        remaining = quantity
        for _ in range(FALLBACK_ROUNDS):
            rooms = (await conn.execute(ROOMS, {"tt": ticket_type_id})).all()
            if sum(room for _, room in rooms) < remaining:
                return None
            for bucket, room in rooms:
                seats = min(room, remaining)
                if await self.take(conn, ticket_type_id=ticket_type_id, bucket=bucket, seats=seats):
                    taken[bucket] = taken.get(bucket, 0) + seats
                    remaining -= seats
                    if remaining == 0:
                        return sorted(taken.items())
        return None


async def give_back(conn: AsyncConnection, *, ticket_type_id: str, allocation: Allocation) -> None:
    if allocation:
        await conn.execute(
            GIVE_BACK,
            [{"tt": ticket_type_id, "b": bucket, "n": seats} for bucket, seats in allocation],
        )
