"""The acquirer's durable ledger: one SQLite connection owned by one thread.

Every read and write runs on a single dedicated thread, so the event loop never
blocks on disk and SQLite never sees two writers from this process; each intent
is one short `BEGIN IMMEDIATE … COMMIT`. WAL with `synchronous=NORMAL` makes a
commit an append to the log without an fsync: a crash of the machine may lose
the last commits, a crash of the process loses nothing, which is the right
price for a sandbox that must sustain hundreds of intents a second on the same
two cores as the service it serves. The connection opens lazily on first use,
so the app also works mounted inside another app whose lifespan it never sees.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from boxoffice.payments.sandbox.settings import MEMORY
from boxoffice.payments.sandbox.store import Store

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS payment_methods (
    id TEXT PRIMARY KEY,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payment_intents (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_intents_by_order ON payment_intents (order_id, seq);
CREATE TABLE IF NOT EXISTS charges (
    id TEXT PRIMARY KEY,
    payment_intent TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    charge TEXT NOT NULL UNIQUE,
    payment_intent TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_by_intent ON refunds (payment_intent, seq);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
"""

IDEMPOTENCY_RETENTION_SECONDS = 7 * 24 * 3600
"""Stripe keeps keys at least 24 hours; a week is generous and keeps the table bounded."""


class Ledger:
    """Runs `Store` work on the ledger thread: `await ledger.run(lambda store: …)`."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._store: Store | None = None

    @property
    def path(self) -> str:
        return self._path

    async def run(self, work: Callable[[Store], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acquirer-ledger")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    async def open(self) -> None:
        """Open now rather than on the first request (fails fast on a bad path)."""
        await self.run(lambda store: None)

    async def aclose(self) -> None:
        """Close the connection and stop the thread; a later `run` opens them again."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(executor, self._close_store)
        executor.shutdown(wait=False)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _call(self, work: Callable[[Store], T]) -> T:
        if self._store is None:
            self._store = Store(_connect(self._path))
        return work(self._store)


def _connect(path: str) -> sqlite3.Connection:
    if path != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(SCHEMA)
    conn.execute(
        "DELETE FROM idempotency_keys WHERE created < strftime('%s', 'now') - ?",
        (IDEMPOTENCY_RETENTION_SECONDS,),
    )
    return conn
