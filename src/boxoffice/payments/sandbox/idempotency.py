"""Stripe's idempotency semantics, so that retrying a charge can never charge twice.

- The same `Idempotency-Key` with the same parameters replays the first answer
  (status and body) with `Idempotent-Replayed: true`.
- The same key with different parameters is refused (400 `idempotency_error`).
- A request whose key is held by one still executing waits for it, then
  replays its answer (see `KeyGuard`); it is never executed a second time.
- Answers are stored only once execution began: a parameter error stores
  nothing, a card decline is stored (it is the answer), and an injected 5xx or
  timeout stores nothing (the request never reached the ledger).
- Keys are scoped by API key, as Stripe scopes them by account.

Two mechanisms, one per race: `KeyGuard` serialises duplicates within this
process before they touch the ledger; the check-then-insert on the primary key
`(scope, key)`, inside the same `BEGIN IMMEDIATE` transaction as the charge,
serialises duplicates from another process sharing the ledger file (and the
key's uniqueness refuses any that slipped through, as a 409).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias
from urllib.parse import urlencode

from boxoffice.payments.sandbox import errors
from boxoffice.payments.sandbox.store import Store, StoredResponse

Execute: TypeAlias = Callable[[Store], tuple[int, dict[str, Any]]]
"""Work that returns the status and body to store; raising `ApiError` stores nothing."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    replayed: bool = False


KEY_WAIT_SECONDS = 10.0
"""How long a request waits for another one holding its key before answering 409."""


@dataclass(slots=True)
class _Claim:
    lock: asyncio.Lock
    users: int = 0


class KeyGuard:
    """An asyncio lock per idempotency key in use in this process.

    A second request with a key whose first request is executing waits for it
    and then replays its stored answer, so concurrent retries of one charge all
    see its outcome. The wait is short: the first request holds the key only
    for its latency and one ledger job (a `timeout` fault never takes the key).
    Should it exceed `wait_seconds`, the answer is Stripe's 409, and nothing runs.
    """

    def __init__(self, wait_seconds: float = KEY_WAIT_SECONDS) -> None:
        self._wait_seconds = wait_seconds
        self._claims: dict[tuple[str, str], _Claim] = {}

    @asynccontextmanager
    async def hold(self, scope: str, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        name = (scope, key)
        claim = self._claims.setdefault(name, _Claim(asyncio.Lock()))
        claim.users += 1
        try:
            try:
                async with asyncio.timeout(self._wait_seconds):
                    await claim.lock.acquire()
            except TimeoutError:
                raise errors.idempotency_in_progress(key) from None
            try:
                yield
            finally:
                claim.lock.release()
        finally:
            claim.users -= 1
            if claim.users == 0:
                del self._claims[name]


@lru_cache(maxsize=1024)
def scope_of(api_key: str) -> str:
    """Keys are scoped per API key; the ledger keeps a digest, never the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def fingerprint(secret: bytes, *, path: str, pairs: list[tuple[str, str]]) -> str:
    """Order-insensitive digest of a request's parameters, keyed (see `Store`)."""
    canonical = f"POST {path}\n{urlencode(sorted(pairs))}".encode()
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


def run_idempotent(
    store: Store,
    *,
    scope: str,
    key: str | None,
    path: str,
    pairs: list[tuple[str, str]],
    execute: Execute,
) -> Answer:
    """Replay, refuse or execute, as one ledger job (atomic: see `ledger.py`)."""
    digest = fingerprint(store.fingerprint_secret, path=path, pairs=pairs) if key else ""
    try:
        if key is not None:
            stored = store.stored_response(scope, key)
            if stored is not None:
                if not hmac.compare_digest(stored.fingerprint, digest):
                    raise errors.idempotency_mismatch(key)
                return Answer(stored.status, stored.body, replayed=True)
        status, body = execute(store)
        text = json.dumps(body, separators=(",", ":"))
        if key is not None:
            store.store_response(
                scope=scope,
                key=key,
                response=StoredResponse(digest, status, text),
                now=int(time.time()),
            )
    except sqlite3.IntegrityError:
        if key is None:
            raise
        raise errors.idempotency_in_progress(key) from None
    return Answer(status, text)
