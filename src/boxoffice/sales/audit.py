"""An audit of every sales invariant, counted from the database and the gateway's ledger.

Used by the tests after every concurrency and fault run, and by
`boxoffice loadtest` after a simulated sale. It never trusts counters
alone: it recounts them from orders, order items and tickets, and it
matches every capture in the gateway's ledger to exactly one paid order
(or to a refund).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import (
    buyer_allowances,
    events,
    inventory_buckets,
    order_items,
    orders,
    ticket_types,
    tickets,
)


@dataclass
class AuditReport:
    violations: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


async def fetch_ledger(
    base_url: str, api_key: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every payment intent and refund the gateway holds, paging like Stripe's list API."""

    async def list_all(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = (await client.get(path, params=params)).raise_for_status().json()
            found.extend(page["data"])
            if not page["has_more"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]

    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        return await list_all(client, "/v1/payment_intents"), await list_all(client, "/v1/refunds")


async def audit(
    engine: AsyncEngine,
    *,
    intents: list[dict[str, Any]],
    refunds: list[dict[str, Any]],
    event_ids: list[str] | None = None,
    expect_settled: bool = True,
) -> AuditReport:
    report = AuditReport()
    bad = report.violations
    async with engine.connect() as conn:
        scope = [orders.c.event_id.in_(event_ids)] if event_ids else []
        order_rows = {
            r.id: r
            for r in await conn.execute(
                select(
                    orders.c.id,
                    orders.c.status,
                    orders.c.total,
                    orders.c.currency,
                    orders.c.gateway_intent_id,
                    orders.c.event_id,
                    orders.c.buyer_email,
                ).where(*scope)
            )
        }
        items = (await conn.execute(select(order_items))).all()
        ticket_counts = Counter(
            r.order_id for r in await conn.execute(select(tickets.c.order_id, tickets.c.status))
        )
        live_tickets = Counter(
            r.ticket_type_id
            for r in await conn.execute(
                select(tickets.c.ticket_type_id).where(tickets.c.status != "cancelled")
            )
        )
        types = (await conn.execute(select(ticket_types))).all()
        buckets = (await conn.execute(select(inventory_buckets))).all()
        limits = dict((await conn.execute(select(events.c.id, events.c.per_buyer_limit))).all())
        allowances = {
            (r.event_id, r.buyer): r.taken for r in await conn.execute(select(buyer_allowances))
        }
        duplicate_codes = await conn.scalar(
            select(func.count()).select_from(
                select(tickets.c.code).group_by(tickets.c.code).having(func.count() > 1).subquery()
            )
        )

    committed: Counter[str] = Counter()  # seats of pending and paid orders, per ticket type
    paid_seats: Counter[str] = Counter()
    per_order: Counter[str] = Counter()
    per_buyer: Counter[tuple[str, str]] = Counter()
    for item in items:
        order = order_rows.get(item.order_id)
        if order is None:
            continue
        per_order[item.order_id] += item.quantity
        if order.status in ("pending", "paid"):
            committed[item.ticket_type_id] += item.quantity
            per_buyer[(order.event_id, order.buyer_email)] += item.quantity
        if order.status == "paid":
            paid_seats[item.ticket_type_id] += item.quantity

    taken: Counter[str] = Counter()
    bucket_capacity: Counter[str] = Counter()
    for bucket in buckets:
        taken[bucket.ticket_type_id] += bucket.taken
        bucket_capacity[bucket.ticket_type_id] += bucket.capacity
        if not 0 <= bucket.taken <= bucket.capacity:
            bad.append(f"bucket {bucket.ticket_type_id}/{bucket.bucket}: taken {bucket.taken}")
    for tt in types:
        if event_ids and tt.event_id not in event_ids:
            continue
        if bucket_capacity[tt.id] != tt.capacity:
            bad.append(f"ticket type {tt.id}: buckets hold {bucket_capacity[tt.id]} seats")
        if taken[tt.id] != committed[tt.id]:
            bad.append(f"ticket type {tt.id}: taken {taken[tt.id]} != ordered {committed[tt.id]}")
        if committed[tt.id] > tt.capacity:
            bad.append(f"ticket type {tt.id}: {committed[tt.id]} seats > capacity {tt.capacity}")
        if live_tickets[tt.id] != paid_seats[tt.id]:
            bad.append(
                f"ticket type {tt.id}: {live_tickets[tt.id]} tickets, {paid_seats[tt.id]} paid"
            )
        if live_tickets[tt.id] > tt.capacity:
            bad.append(
                f"ticket type {tt.id}: {live_tickets[tt.id]} tickets > capacity {tt.capacity}"
            )

    for (event_id, buyer), quantity in per_buyer.items():
        limit = limits.get(event_id)
        if limit is not None and quantity > limit:
            bad.append(f"buyer {buyer} holds {quantity} tickets for {event_id}, limit {limit}")
        if limit is not None and allowances.get((event_id, buyer), 0) != quantity:
            bad.append(
                f"buyer {buyer}: allowance {allowances.get((event_id, buyer))} != {quantity}"
            )

    captures: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for intent in intents:
        if intent.get("status") == "succeeded":
            captures[intent.get("metadata", {}).get("order_id", "")].append(intent)
    refunded = {r.get("payment_intent") for r in refunds if r.get("status") == "succeeded"}

    for order_id, captured in captures.items():
        if event_ids and order_id not in order_rows:
            continue
        if len(captured) > 1:
            bad.append(f"order {order_id} was captured {len(captured)} times")
        order = order_rows.get(order_id)
        for intent in captured:
            if intent["id"] in refunded:
                continue
            if order is None or order.status != "paid":
                status = order.status if order else "missing"
                bad.append(f"capture {intent['id']} for {status} order {order_id}, not refunded")
            elif intent["amount"] != order.total:
                bad.append(f"capture {intent['id']} amount {intent['amount']} != {order.total}")

    for order in order_rows.values():
        if order.status == "paid":
            if len(captures.get(order.id, [])) != 1:
                bad.append(f"paid order {order.id} has {len(captures.get(order.id, []))} captures")
            if ticket_counts[order.id] != per_order[order.id]:
                bad.append(f"paid order {order.id}: {ticket_counts[order.id]} tickets issued")
        elif order.status != "refunded" and ticket_counts[order.id]:
            bad.append(f"{order.status} order {order.id} has tickets")
        if expect_settled and order.status == "pending":
            bad.append(f"order {order.id} is still pending")

    if duplicate_codes:
        bad.append(f"{duplicate_codes} ticket codes are duplicated")
    statuses = Counter(o.status for o in order_rows.values())
    report.figures = {
        **{f"orders_{k}": v for k, v in sorted(statuses.items())},
        "captures": sum(len(v) for k, v in captures.items() if k in order_rows),
        "refunds": sum(
            1
            for v in captures.values()
            for i in v
            if i["id"] in refunded and i.get("metadata", {}).get("order_id") in order_rows
        ),
        "tickets_live": sum(live_tickets.values()),
    }
    return report
