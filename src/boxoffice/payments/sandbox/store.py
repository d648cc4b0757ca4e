"""The ledger's SQL, run only on the ledger thread (see `ledger.py`).

Objects are kept as the JSON Stripe would return (`body`) beside the few
columns that are queried, so reads serve stored text and a replayed response
is byte-for-byte the first one. Intents and refunds carry an increasing `seq`
that orders lists newest first and serves as the pagination cursor.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: str


@dataclass(frozen=True, slots=True)
class PaymentMethodRow:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    outcome: str


@dataclass(frozen=True, slots=True)
class ChargeRow:
    id: str
    amount: int
    currency: str
    amount_refunded: int


@dataclass(frozen=True, slots=True)
class Page:
    bodies: list[str]
    has_more: bool
    last_seq: int | None


_NO_CURSOR = 1 << 62

_INTENTS_DESC = "SELECT seq, body FROM payment_intents WHERE seq < ? ORDER BY seq DESC LIMIT ?"
_INTENTS_ASC = "SELECT seq, body FROM payment_intents WHERE seq > ? ORDER BY seq ASC LIMIT ?"
_INTENTS_BY_ORDER = (
    "SELECT seq, body FROM payment_intents WHERE order_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
)
_REFUNDS_DESC = (
    "SELECT seq, body FROM refunds WHERE (? IS NULL OR payment_intent = ?) AND seq < ?"
    " ORDER BY seq DESC LIMIT ?"
)
_REFUNDS_ASC = (
    "SELECT seq, body FROM refunds WHERE (? IS NULL OR payment_intent = ?) AND seq > ?"
    " ORDER BY seq ASC LIMIT ?"
)


class Store:
    """Typed access to one SQLite connection; not thread-safe by design (one thread owns it)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.fingerprint_secret = self._fingerprint_secret()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The ledger thread's transaction around a batch of work (see `ledger.py`).

        `BEGIN IMMEDIATE` takes the write lock up front, so every read-then-write
        inside is atomic, even against another process sharing the file.
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One job inside the batch: undone alone if it raises."""
        self._conn.execute("SAVEPOINT work")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO work")
            self._conn.execute("RELEASE work")
            raise
        self._conn.execute("RELEASE work")

    def _fingerprint_secret(self) -> bytes:
        """A random key for fingerprinting request parameters, created once per ledger.

        Payment-method requests carry card numbers; a plain hash of a PAN can be
        reversed by enumerating numbers, so fingerprints are keyed with this secret.
        """
        self._conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('fingerprint_secret', ?)",
            (secrets.token_bytes(32),),
        )
        row = self._conn.execute(
            "SELECT value FROM meta WHERE name = 'fingerprint_secret'"
        ).fetchone()
        return bytes(row[0])

    # idempotency ---------------------------------------------------------------------------

    def stored_response(self, scope: str, key: str) -> StoredResponse | None:
        row = self._conn.execute(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        return StoredResponse(row[0], row[1], row[2]) if row else None

    def store_response(self, *, scope: str, key: str, response: StoredResponse, now: int) -> None:
        self._conn.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (scope, key, response.fingerprint, response.status, response.body, now),
        )

    # payment methods -----------------------------------------------------------------------

    def insert_payment_method(self, row: PaymentMethodRow, *, created: int) -> None:
        self._conn.execute(
            "INSERT INTO payment_methods (id, brand, last4, exp_month, exp_year, outcome, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.brand, row.last4, row.exp_month, row.exp_year, row.outcome, created),
        )

    def payment_method(self, pm_id: str) -> PaymentMethodRow | None:
        row = self._conn.execute(
            "SELECT id, brand, last4, exp_month, exp_year, outcome FROM payment_methods"
            " WHERE id = ?",
            (pm_id,),
        ).fetchone()
        return PaymentMethodRow(*row) if row else None

    # intents and charges -------------------------------------------------------------------

    def insert_intent(
        self,
        *,
        intent_id: str,
        order_id: str | None,
        status: str,
        amount: int,
        currency: str,
        created: int,
        body: str,
    ) -> None:
        self._conn.execute(
            "INSERT INTO payment_intents (id, order_id, status, amount, currency, created, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (intent_id, order_id, status, amount, currency, created, body),
        )

    def insert_charge(
        self, *, charge_id: str, intent_id: str, amount: int, currency: str, created: int
    ) -> None:
        self._conn.execute(
            "INSERT INTO charges (id, payment_intent, amount, currency, created)"
            " VALUES (?, ?, ?, ?, ?)",
            (charge_id, intent_id, amount, currency, created),
        )

    def intent_body(self, intent_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT body FROM payment_intents WHERE id = ?", (intent_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def charge_for_intent(self, intent_id: str) -> ChargeRow | None:
        row = self._conn.execute(
            "SELECT id, amount, currency, amount_refunded FROM charges WHERE payment_intent = ?",
            (intent_id,),
        ).fetchone()
        return ChargeRow(*row) if row else None

    def intent_seq(self, intent_id: str) -> int | None:
        row = self._conn.execute(
            "SELECT seq FROM payment_intents WHERE id = ?", (intent_id,)
        ).fetchone()
        return int(row[0]) if row else None

    def page_intents(self, *, limit: int, after: int | None, before: int | None) -> Page:
        if before is not None:
            rows = self._conn.execute(_INTENTS_ASC, (before, limit + 1)).fetchall()
            return _page(rows, limit, reverse=True)
        cursor = _NO_CURSOR if after is None else after
        return _page(self._conn.execute(_INTENTS_DESC, (cursor, limit + 1)).fetchall(), limit)

    def intents_for_order(self, order_id: str, *, limit: int, after: int | None) -> Page:
        cursor = _NO_CURSOR if after is None else after
        rows = self._conn.execute(_INTENTS_BY_ORDER, (order_id, cursor, limit + 1)).fetchall()
        return _page(rows, limit)

    # refunds -------------------------------------------------------------------------------

    def insert_refund(
        self, *, refund_id: str, charge: ChargeRow, intent_id: str, created: int, body: str
    ) -> None:
        self._conn.execute(
            "INSERT INTO refunds (id, charge, payment_intent, created, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (refund_id, charge.id, intent_id, created, body),
        )
        self._conn.execute("UPDATE charges SET amount_refunded = amount WHERE id = ?", (charge.id,))

    def refund_seq(self, refund_id: str) -> int | None:
        row = self._conn.execute("SELECT seq FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        return int(row[0]) if row else None

    def page_refunds(
        self, *, limit: int, after: int | None, before: int | None, intent_id: str | None
    ) -> Page:
        if before is not None:
            rows = self._conn.execute(
                _REFUNDS_ASC, (intent_id, intent_id, before, limit + 1)
            ).fetchall()
            return _page(rows, limit, reverse=True)
        cursor = _NO_CURSOR if after is None else after
        rows = self._conn.execute(
            _REFUNDS_DESC, (intent_id, intent_id, cursor, limit + 1)
        ).fetchall()
        return _page(rows, limit)


def _page(rows: list[tuple[int, str]], limit: int, *, reverse: bool = False) -> Page:
    has_more = len(rows) > limit
    rows = rows[:limit]
    if reverse:
        rows.reverse()
    return Page([body for _, body in rows], has_more, rows[-1][0] if rows else None)
