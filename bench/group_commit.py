"""What a transaction costs the machine, one row at a time against rows in batches.

The case for group commit of confirmations (docs/benchmarks.md): a purchase's
confirmation is a transaction of its own; this measures, on PostgreSQL, a
statement shaped like it (a conditional update and an insert, one
transaction each) against the same rows written 8 or 32 to a statement, as
machine CPU per row from /proc/stat (client and server together).

    python bench/group_commit.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import machine_busy_seconds  # noqa: E402

DSN = "postgresql://postgres@127.0.0.1:5432/test"
ONE = (
    "WITH won AS (UPDATE gc_bench SET status = 'x' WHERE id = $1 RETURNING id) "
    "INSERT INTO gc_bench (id, code, order_id, status) VALUES ($2, $3, $4, 'valid')"
)
MANY = (
    "WITH won AS (UPDATE gc_bench SET status = 'x' WHERE id = ANY($1::text[]) RETURNING id) "
    "INSERT INTO gc_bench (id, code, order_id, status) "
    "SELECT a, b, c, 'valid' FROM unnest($2::text[], $3::text[], $4::text[]) AS t(a, b, c)"
)


async def main() -> None:
    setup = await asyncpg.connect(DSN)
    await setup.execute(
        "DROP TABLE IF EXISTS gc_bench; CREATE TABLE gc_bench (id text PRIMARY KEY, "
        "code text UNIQUE, order_id text, status text); CREATE INDEX ON gc_bench (order_id)"
    )
    pool = await asyncpg.create_pool(DSN, min_size=8, max_size=8)

    def batch_of(size: int) -> Callable[[], Awaitable[None]]:
        async def write() -> None:
            keys = [uuid.uuid4().hex for _ in range(size)]
            async with pool.acquire() as conn:
                if size == 1:
                    k = keys[0]
                    await conn.execute(ONE, "missing" + k, k, "c" + k, "o" + k)
                else:
                    await conn.execute(
                        MANY,
                        ["missing" + k for k in keys],
                        keys,
                        ["c" + k for k in keys],
                        ["o" + k for k in keys],
                    )

        return write

    results = {}
    for size in (1, 8, 32, 1, 8, 32):
        write = batch_of(size)
        statements = 4000 // size
        busy, started = machine_busy_seconds(), time.perf_counter()
        for _ in range(statements // 40):
            await asyncio.gather(*(write() for _ in range(40)))
        rows = statements // 40 * 40 * size
        results.setdefault(f"batch_{size}", []).append(
            {
                "machine_cpu_ms_per_row": round((machine_busy_seconds() - busy) * 1000 / rows, 3),
                "rows_per_second": round(rows / (time.perf_counter() - started)),
            }
        )
    await pool.close()
    await setup.execute("DROP TABLE gc_bench")
    await setup.close()
    print(json.dumps(results))


if __name__ == "__main__":
    uvloop.run(main())
