"""Telling a database that is not there from a bug: the first is a 503, the second a 500.

A restart, a failover, a cut network or a full connection table surface as many different
exceptions depending on where they catch us: the socket (`ConnectionRefusedError`), asyncpg
(`ConnectionDoesNotExistError`, `CannotConnectNowError`, `AdminShutdownError`,
`TooManyConnectionsError`), SQLAlchemy around either (an invalidated connection, an
`OperationalError` wrapping them), SQLite (a file that cannot be opened). All of them mean
"not now, try again shortly", and every write of ours is safe to repeat with the same
request (a purchase with its Idempotency-Key is never charged twice; one charged before the
database went away is confirmed by the reconciler), so clients get a `503
database_unavailable` with `Retry-After`, never a 500.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 5

_DRIVER_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    asyncpg.PostgresConnectionError,  # 08xxx: the connection does not exist, failed, …
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
)
_SQLITE_OUTAGES = ("unable to open database file", "disk I/O error")


def is_outage(error: BaseException) -> bool:
    """Whether `error`, or what it wraps, says the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _DRIVER_OUTAGES):
            # 08P01 is filed among the connection errors, but a protocol violation is ours.
            return not isinstance(current, asyncpg.ProtocolViolationError)
        if isinstance(current, sa_exc.DBAPIError):
            if current.connection_invalidated:
                return True
            if isinstance(current, sa_exc.OperationalError) and any(
                text in str(current.orig) for text in _SQLITE_OUTAGES
            ):
                return True
            if isinstance(current.orig, BaseException) and is_outage(current.orig):
                return True
        current = current.__cause__  # what it was raised from, not what it interrupted
    return False
