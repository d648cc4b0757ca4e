"""The acquirer's durable ledger: one SQLite connection owned by one thread, group commit.

Every read and write runs on a single dedicated thread, so the event loop never
blocks on disk and SQLite never sees two writers from this process. Work that
arrives while the thread is busy is executed as one batch: one `BEGIN
IMMEDIATE … COMMIT` around all of it, each job inside its own savepoint, so a
job that raises is undone alone and a job that returns is atomic; no caller
hears back before the commit. Under a flash
sale that turns many small commits into a few larger ones, which is most of the
sandbox's CPU per intent; alone, an intent is still one short transaction.
WAL with `synchronous=NORMAL` makes a commit an append to the log without an
fsync: a crash of the machine may lose the last commits, a crash of the process
loses nothing, the right price for a sandbox that shares two cores with the
service it serves. The connection opens lazily on first use, so the app also
works mounted inside another app whose lifespan it never sees.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

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


MAX_BATCH = 128

_Job = tuple[Callable[["Store"], Any], "Future[Any]"]


class Ledger:
    """Runs `Store` work on the ledger thread: `await ledger.run(lambda store: …)`."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> str:
        return self._path

    async def run(self, work: Callable[[Store], T]) -> T:
        if self._thread is None:
            # A daemon: a host that never calls `aclose` must still be able to exit.
            self._thread = threading.Thread(target=self._serve, name="acquirer-ledger", daemon=True)
            self._thread.start()
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return await asyncio.wrap_future(future)

    async def open(self) -> None:
        """Open now rather than on the first request (fails fast on a bad path)."""
        await self.run(lambda store: None)

    async def aclose(self) -> None:
        """Finish queued work, close the connection, stop the thread; `run` restarts them."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    def _serve(self) -> None:
        store: Store | None = None
        try:
            while (batch := self._next_batch()) is not None:
                if store is None:
                    try:
                        store = Store(_connect(self._path))
                    except Exception as error:
                        _fail(batch, error)
                        continue
                _execute(store, batch)
        finally:
            if store is not None:
                store.close()

    def _next_batch(self) -> list[_Job] | None:
        """Block for one job, then take whatever else is already waiting (None: stop)."""
        first = self._jobs.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)  # stop after this batch
                break
            batch.append(job)
        return batch


def _execute(store: Store, batch: list[_Job]) -> None:
    """Run every job in one transaction, each in its own savepoint (a job that raises
    leaves no trace); answer only after the commit."""
    done: list[tuple[Future[Any], Any, BaseException | None]] = []
    try:
        with store.batch():
            for work, future in batch:
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    with store.transaction():
                        result = work(store)
                    done.append((future, result, None))
                except Exception as error:
                    done.append((future, None, error))
    except Exception as error:  # BEGIN or COMMIT failed: nothing in the batch happened
        for _, future in batch:
            if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
                future.set_exception(error)
        return
    for future, result, failure in done:
        if failure is None:
            future.set_result(result)
        else:
            future.set_exception(failure)


def _fail(batch: list[_Job], error: Exception) -> None:
    for _, future in batch:
        if future.set_running_or_notify_cancel():
            future.set_exception(error)


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
