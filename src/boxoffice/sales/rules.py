"""Pure rules of an order: its states, what may follow what, and what a request means.

No I/O here. The service modules turn these rules into conditional SQL so
that the database, not Python, decides races (`WHERE status = 'pending'`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    PENDING = "pending"  # inventory held, card answer not known yet
    PAID = "paid"  # charged, tickets issued
    DECLINED = "declined"  # the card said no; holds returned
    RELEASED = "released"  # the gateway never charged; holds returned
    REFUNDED = "refunded"  # paid, then refunded; tickets cancelled, capacity returned
    REJECTED = "rejected"  # refused before holding anything (sold out, limit, not on sale)


SETTLED_FROM_PENDING = frozenset({OrderStatus.PAID, OrderStatus.DECLINED, OrderStatus.RELEASED})


def normalise_email(email: str) -> str:
    """The buyer's identity for limits and idempotency scope: trimmed and case-folded.

    Case-folding the local part is stricter than RFC 5321 but matches what every
    mail provider buyers use actually does, and it is what makes
    `Ana@x.com` and `ana@x.com` one buyer for the per-buyer limit.
    """
    return email.strip().lower()


def request_fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a request body: same meaning, same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SaleWindow:
    status: str
    starts_at: datetime
    sales_start: datetime | None
    sales_end: datetime | None

    def refusal(self, now: datetime) -> str | None:
        """Why the event cannot be bought now, or None when it can."""
        if self.status != "on_sale":
            return "the event is not on sale"
        if self.sales_start and now < self.sales_start:
            return f"sales open at {self.sales_start.isoformat()}"
        end = self.sales_end or self.starts_at
        if now >= end:
            return "sales have closed"
        return None


def merge_items(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per ticket type, sorted by id.

    Sorting fixes the order in which rows are locked, so two orders for the
    same ticket types can never deadlock on each other.
    """
    merged: dict[str, int] = {}
    for ticket_type_id, quantity in items:
        merged[ticket_type_id] = merged.get(ticket_type_id, 0) + quantity
    return sorted(merged.items())


@dataclass(frozen=True, slots=True)
class HoldPlan:
    """An order that passed every check needing no lock: exactly what its hold must write."""

    order_id: str
    event_id: str
    buyer_email: str
    buyer_name: str
    lines: list[tuple[str, int]]  # (ticket_type_id, quantity), merged and sorted by id
    unit_prices: dict[str, int]
    buckets: dict[str, int]  # how many inventory buckets each ticket type is split into
    total: int
    currency: str
    payment_method: str
    idempotency_key: str
    fingerprint: str
    limit: int | None  # tickets per buyer for the event, if it has a limit
    now: datetime
    locale: str | None = None  # the buyer's language, for the tickets e-mail and PDF

    @property
    def quantity(self) -> int:
        return sum(quantity for _, quantity in self.lines)
