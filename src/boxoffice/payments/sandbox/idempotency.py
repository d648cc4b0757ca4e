"""Stripe's idempotency semantics, so that retrying a charge can never charge twice.

- The same `Idempotency-Key` with the same parameters replays the first answer
  (status and body) with `Idempotent-Replayed: true`.
- The same key with different parameters is refused (400 `idempotency_error`).
- A key whose first request is still executing is refused (409, as Stripe does)
  rather than executed again: the caller learns nothing new by waiting, and a
  hung first request (the `timeout` fault) must not pin the second.
- Answers are stored only once execution began: a parameter error stores
  nothing, a card decline is stored (it is the answer), and an injected 5xx or
  timeout stores nothing (the request never reached the ledger).
- Keys are scoped by API key, as Stripe scopes them by account.

Two mechanisms, one per race: `KeyGuard` refuses a concurrent duplicate in this
process before it touches the ledger, and the primary key on
`(scope, key)` inside the same `BEGIN IMMEDIATE` transaction as the charge
refuses one from another process sharing the ledger file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class KeyGuard:
    """The keys being executed right now in this process.

    A try-lock per key: the check and the claim happen with no `await` between
    them, so on one event loop two requests cannot both claim a key.
    """

    def __init__(self) -> None:
        self._busy: set[tuple[str, str]] = set()

    @contextmanager
    def hold(self, scope: str, key: str | None) -> Iterator[None]:
        if key is None:
            yield
            return
        claim = (scope, key)
        if claim in self._busy:
            raise errors.idempotency_in_progress(key)
        self._busy.add(claim)
        try:
            yield
        finally:
            self._busy.discard(claim)


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
    """Replay, refuse or execute; runs on the ledger thread, in one transaction."""
    digest = fingerprint(store.fingerprint_secret, path=path, pairs=pairs) if key else ""
    try:
        with store.transaction():
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
