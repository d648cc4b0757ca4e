"""Engine factory: one place that knows how PostgreSQL and SQLite differ.

SQLite serialises writers. Every transaction starts with `BEGIN IMMEDIATE`
so that two writers never both read a snapshot and then fail to upgrade
their lock (SQLITE_BUSY mid-transaction); they queue on the busy timeout
instead. PostgreSQL runs READ COMMITTED and relies on the conditional
updates in boxoffice.sales.inventory for correctness.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 20, lock_timeout_ms: int = 5000, echo: bool = False
) -> AsyncEngine:
    """Build the async engine for `url` (already mapped by `config.async_database_url`)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo)
    kwargs: dict[str, Any] = {
        # A fixed pool, no overflow: overflow connections are closed as soon as they are
        # returned to a full pool, and under a rush that meant a new connection (a new
        # PostgreSQL backend, TLS, type introspection) every few requests: PostgreSQL's CPU
        # per purchase doubled. Requests beyond the pool wait their turn (pool_timeout).
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_pre_ping": False,
        "pool_timeout": 10,
        "echo": echo,
    }
    if make_url(url).get_driver_name() == "asyncpg":
        # A lock we wait on longer than this is contention, not progress:
        # give up and let the service layer retry or refuse (never hang).
        kwargs["connect_args"] = {
            "server_settings": {
                "lock_timeout": str(lock_timeout_ms),
                "application_name": "boxoffice",
            },
            "command_timeout": 30,
        }
    return create_async_engine(url, **kwargs)


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        pool_size=8,
        max_overflow=8,
        pool_timeout=60,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
