"""Bounded retries for transient database contention, then a clear refusal.

Lock timeouts, deadlocks, serialization failures, a busy SQLite file and an
exhausted connection pool are all "try again shortly", never a 500 and
never an indefinite wait: a few jittered retries, then `Busy` (503).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import exc as sa_exc

from boxoffice.errors import Busy

log = logging.getLogger("boxoffice.sales")

T = TypeVar("T")

# serialization failure, deadlock, lock timeout, statement cancelled (timeout), too many
# connections, server starting up: all "try again shortly".
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014", "53300", "57P03"})


def is_transient(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # pool exhausted
        return True
    if getattr(error, "sqlstate", None) in TRANSIENT_SQLSTATES:  # asyncpg, used directly
        return True
    if not isinstance(error, sa_exc.DBAPIError) or isinstance(error, sa_exc.IntegrityError):
        return False
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    cause = getattr(original, "__cause__", None)
    if getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(original) or "database table is locked" in str(original)


async def with_retries(
    operation: Callable[[], Awaitable[T]], *, attempts: int = 4, what: str = "transaction"
) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except Exception as error:
            if not is_transient(error):
                raise
            if attempt == attempts:
                log.warning("giving up on %s after %d attempts: %s", what, attempts, error)
                raise Busy(
                    "the system is too busy to complete this safely right now; try again"
                ) from error
            await asyncio.sleep(random.uniform(0.02, 0.08) * 2**attempt)
    raise AssertionError("unreachable")
