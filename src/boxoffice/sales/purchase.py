"""The purchase: hold, charge, confirm. The hot path of the product.

1. Hold. One short transaction writes the order as `pending` (its unique
   (buyer, idempotency key) is claimed first, so a duplicate request stops
   here), takes the buyer's allowance, then holds seats in the inventory
   buckets with atomic conditional updates (boxoffice.sales.inventory),
   records the items and commits: seat locks are held for two round trips.
2. Charge. No transaction is open while the card network thinks. The order
   id is the gateway's idempotency key, so no retry can charge twice.
3. Confirm or release (boxoffice.sales.settlement). An unknown answer
   leaves the order pending for the reconciler and tells the buyer so (202).

A request that crashes anywhere leaves either nothing, or a pending order
that the reconciler settles by asking the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import exc as sa_exc

from boxoffice import i18n, metrics
from boxoffice.db.tables import events, order_items, orders, ticket_types
from boxoffice.errors import (
    BoxofficeError,
    BuyerLimitReached,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    NotOnSale,
    SoldOut,
    WaitingRoomUnavailable,
)
from boxoffice.ids import new_id
from boxoffice.money import MAX_ORDER_TOTAL_MINOR
from boxoffice.payments.gateway import Approved, Declined, Unknown
from boxoffice.sales import allowance, hotpath, inventory, responses, settlement
from boxoffice.sales.commands import PlaceOrder
from boxoffice.sales.contention import with_retries
from boxoffice.sales.context import SalesContext
from boxoffice.sales.inventory import Allocation
from boxoffice.sales.responses import PurchaseAnswer
from boxoffice.sales.rules import HoldPlan, OrderStatus, SaleWindow, merge_items, normalise_email
from boxoffice.sales.rules import request_fingerprint as fingerprint_of
from boxoffice.sales.settlement import PendingOrder
from boxoffice.waitingroom import service as waitingroom_service

log = logging.getLogger("boxoffice.sales")
o = orders.c
_e, _tt = events.c, ticket_types.c

# Built once: these run on every purchase (see boxoffice.sales.inventory on why).
EVENT_TERMS = (
    select(
        _e.status,
        _e.starts_at,
        _e.sales_start,
        _e.sales_end,
        _e.per_buyer_limit,
        _tt.id,
        _tt.price,
        _tt.currency,
        _tt.buckets,
        _e.waiting_room,
    )
    .join_from(events, ticket_types, _tt.event_id == _e.id)
    .where(_e.id == bindparam("event_id"))
)
INSERT_ORDER = orders.insert()
_BY_KEY = select(o.id, o.status, o.request_fingerprint, o.response_status, o.response_body).where(
    o.buyer_email == bindparam("buyer"), o.idempotency_key == bindparam("key")
)
INSERT_ITEMS = order_items.insert()


@dataclass(frozen=True, slots=True)
class Purchase:
    """A validated request, with the identity it is idempotent under."""

    command: PlaceOrder
    buyer: str
    idempotency_key: str
    fingerprint: str
    admission_pass: str | None = None  # the waiting room's pass, for queued events
    locale: str | None = None  # the buyer's language (a supported locale id), for the e-mail

    @classmethod
    def of(
        cls,
        command: PlaceOrder,
        idempotency_key: str,
        admission_pass: str | None = None,
        *,
        locale: str | None = None,
    ) -> Purchase:
        """`locale` is the language the request was made in (the storefront's page), used
        when the body names none the site speaks."""
        buyer = normalise_email(str(command.buyer.email))
        body = command.model_dump(mode="json", exclude_none=True)
        body["buyer"]["email"] = buyer
        chosen = i18n.normalise(command.buyer.locale) or locale
        return cls(command, buyer, idempotency_key, fingerprint_of(body), admission_pass, chosen)


class _KeyTaken(Exception):
    """The (buyer, key) pair already has an order: replay it instead."""


class _Refused(Exception):
    def __init__(self, error: BoxofficeError) -> None:
        self.error = error


async def place_order(ctx: SalesContext, purchase: Purchase) -> tuple[str | None, PurchaseAnswer]:
    """Run the whole purchase; returns (order id or None, the answer to give)."""
    buyer, key, fingerprint = purchase.buyer, purchase.idempotency_key, purchase.fingerprint
    first = ctx.in_flight.first(buyer, key, fingerprint)
    if first is not None:  # the same request is being served here: wait for its answer
        deadline = asyncio.get_running_loop().time() + ctx.in_flight_wait.total_seconds()
        await asyncio.wait([first], timeout=ctx.in_flight_wait.total_seconds())
        return await replay(ctx, purchase, deadline=deadline)
    ctx.pressure.started()
    try:
        with ctx.in_flight.running(buyer, key, fingerprint):
            return await _place_order(ctx, purchase)
    finally:
        ctx.pressure.finished()


async def _place_order(ctx: SalesContext, purchase: Purchase) -> tuple[str | None, PurchaseAnswer]:
    order_id = new_id("ord")
    try:
        order = await with_retries(lambda: _hold(ctx, purchase, order_id), what="hold")
    except _KeyTaken:
        return await replay(ctx, purchase)  # answered before: not a purchase of its own
    except _Refused as refused:
        return _counted(await _record_refusal(ctx, purchase, order_id, refused.error))

    charging = time.perf_counter()
    outcome = await ctx.gateway.charge(
        order_id=order.id,
        amount=order.total,
        currency=order.currency,
        payment_method=purchase.command.payment_method,
    )
    took, kind = time.perf_counter() - charging, _CHARGE_OUTCOMES.get(type(outcome), "unknown")
    metrics.record(lambda: metrics.CHARGES.labels(kind).observe(took))
    try:
        if isinstance(outcome, Approved):
            answer = await settlement.confirm(ctx, order, intent_id=outcome.intent_id)
            return _counted((order.id, answer))
        if isinstance(outcome, Declined):
            answer = await settlement.decline(
                ctx, order, code=outcome.code, message=outcome.message
            )
            return _counted((order.id, answer))
    except Exception:
        # The card network has answered, but we could not record it (database down or
        # saturated). Never answer an error once money may have moved: the order is still
        # pending, and the reconciler settles it with the gateway's answer.
        log.exception("could not settle order %s after the gateway answered", order.id)
    return _counted((order.id, await settlement.answer_pending(ctx, order)))


_CHARGE_OUTCOMES = {Approved: "approved", Declined: "declined", Unknown: "unknown"}


def _counted(result: tuple[str | None, PurchaseAnswer]) -> tuple[str | None, PurchaseAnswer]:
    """Count a purchase's first answer (paid, pending, declined, or the refusal's code)."""
    answer = result[1]
    body = answer.body
    outcome = str(body.get("code") if answer.is_problem else body.get("status"))
    metrics.record(lambda: metrics.PURCHASES.labels(outcome).inc())
    if outcome == OrderStatus.PAID:
        metrics.record(lambda: metrics.TICKETS.inc(len(body.get("tickets", ()))))
    return result


async def _hold(ctx: SalesContext, purchase: Purchase, order_id: str) -> PendingOrder:
    plan = await _plan(ctx, purchase, order_id)
    if ctx.hot_path is not None:
        try:
            first = [random.randrange(plan.buckets[tt]) for tt, _ in plan.lines]
            allocations = await ctx.hot_path.hold(plan, first_buckets=first)
        except hotpath.DuplicateKey as duplicate:
            raise _KeyTaken from duplicate
        except hotpath.BuyerLimitReached as refused:
            raise _Refused(_limit_error(plan.limit or 0)) from refused
        if allocations is not None:
            return _pending(plan, allocations)
    return await _hold_in_transaction(ctx, plan)


async def _plan(ctx: SalesContext, purchase: Purchase, order_id: str) -> HoldPlan:
    """Every check that needs no lock: the event's terms, the queue, prices, window, limit."""
    command = purchase.command
    lines = merge_items([(item.ticket_type_id, item.quantity) for item in command.items])
    window, limit, prices, buckets, queued = await _event_terms(ctx, command.event_id)
    if queued:
        await _check_admission(ctx, purchase)
    for index, (ticket_type_id, _) in enumerate(lines):
        if ticket_type_id not in prices:
            raise InvalidRequest(
                f"ticket type {ticket_type_id!r} is not part of this event",
                field=f"items[{index}].ticket_type_id",
            )
    currencies = {currency for _, currency in prices.values()}
    total = sum(prices[tt][0] * q for tt, q in lines)
    if total > MAX_ORDER_TOTAL_MINOR:
        raise InvalidRequest("the order total is too large", field="items")
    plan = HoldPlan(
        order_id=order_id,
        event_id=command.event_id,
        buyer_email=purchase.buyer,
        buyer_name=command.buyer.name,
        lines=lines,
        unit_prices={tt: prices[tt][0] for tt, _ in lines},
        buckets={tt: buckets[tt] for tt, _ in lines},
        total=total,
        currency=currencies.pop() if len(currencies) == 1 else "XXX",
        payment_method=command.payment_method,
        idempotency_key=purchase.idempotency_key,
        fingerprint=purchase.fingerprint,
        limit=limit,
        now=ctx.clock(),
        locale=purchase.locale,
    )
    if (reason := window.refusal(plan.now)) is not None:
        raise _Refused(NotOnSale(reason))
    if limit is not None and plan.quantity > limit:
        raise _Refused(_limit_error(limit))
    return plan


async def _hold_in_transaction(ctx: SalesContext, plan: HoldPlan) -> PendingOrder:
    """The general hold, on every backend: one transaction of conditional statements.

    Lock order: seats, then the buyer's allowance (as boxoffice_hold on PostgreSQL).
    """
    async with ctx.engine.begin() as conn:
        try:
            await conn.execute(
                INSERT_ORDER,
                {
                    "id": plan.order_id,
                    "event_id": plan.event_id,
                    "buyer_email": plan.buyer_email,
                    "buyer_name": plan.buyer_name,
                    "status": OrderStatus.PENDING,
                    "total": plan.total,
                    "currency": plan.currency,
                    "payment_method": plan.payment_method,
                    "idempotency_key": plan.idempotency_key,
                    "request_fingerprint": plan.fingerprint,
                    "created_at": plan.now,
                    "updated_at": plan.now,
                    "locale": plan.locale,
                },
            )
        except sa_exc.IntegrityError as duplicate:
            raise _KeyTaken from duplicate
        allocations: dict[str, Allocation] = {}
        for ticket_type_id, q in plan.lines:
            buckets = plan.buckets[ticket_type_id]
            taken = await ctx.inventory.hold(
                conn, ticket_type_id=ticket_type_id, quantity=q, buckets=buckets
            )
            if taken is None:
                raise _Refused(SoldOut("not enough tickets left", ticket_type_id=ticket_type_id))
            allocations[ticket_type_id] = taken
        if plan.limit is not None and not await allowance.take(
            conn,
            event_id=plan.event_id,
            buyer=plan.buyer_email,
            quantity=plan.quantity,
            limit=plan.limit,
        ):
            raise _Refused(_limit_error(plan.limit))
        await conn.execute(
            INSERT_ITEMS,
            [
                {
                    "order_id": plan.order_id,
                    "ticket_type_id": tt,
                    "quantity": q,
                    "unit_price": plan.unit_prices[tt],
                    "buckets": inventory.encode(allocations[tt]),
                }
                for tt, q in plan.lines
            ],
        )
    return _pending(plan, allocations)


def _pending(plan: HoldPlan, allocations: dict[str, Allocation]) -> PendingOrder:
    return PendingOrder(
        id=plan.order_id,
        event_id=plan.event_id,
        buyer_email=plan.buyer_email,
        buyer_name=plan.buyer_name,
        lines=plan.lines,
        total=plan.total,
        currency=plan.currency,
        has_limit=plan.limit is not None,
        allocations={tt: inventory.encode(taken) for tt, taken in allocations.items()},
    )


def _limit_error(limit: int) -> BuyerLimitReached:
    return BuyerLimitReached(f"at most {limit} tickets per buyer for this event", limit=limit)


EventTerms = tuple[SaleWindow, int | None, dict[str, tuple[int, str]], dict[str, int], bool]
TERMS_TTL_SECONDS = 5.0
TERMS_CACHE_SIZE = 1024


async def _event_terms(ctx: SalesContext, event_id: str) -> EventTerms:
    """What an order for this event must respect: window, limit, prices, buckets, queue.

    Terms of an event on sale are fixed once it is published (prices, capacity split,
    limit, window and queue cannot change after publishing), so each process keeps them
    for a few seconds and saves a query on every purchase. Drafts are never cached.
    """
    cached = ctx.terms_cache.get(event_id)
    if cached is not None and cached[0] > time.monotonic():
        hit: EventTerms = cached[1]
        return hit
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(EVENT_TERMS, {"event_id": event_id})).all()
    if not rows:
        raise NotFound("no such event")
    first = rows[0]
    window = SaleWindow(first.status, first.starts_at, first.sales_start, first.sales_end)
    prices = {r.id: (r.price, r.currency) for r in rows}
    buckets = {r.id: r.buckets for r in rows}
    terms = (window, first.per_buyer_limit, prices, buckets, bool(first.waiting_room))
    if first.status == "on_sale":
        if len(ctx.terms_cache) >= TERMS_CACHE_SIZE:
            ctx.terms_cache.clear()
        ctx.terms_cache[event_id] = (time.monotonic() + TERMS_TTL_SECONDS, terms)
    return terms


async def _check_admission(ctx: SalesContext, purchase: Purchase) -> None:
    """A queued event sells only to buyers the waiting room admitted (fail closed)."""
    if ctx.waiting_room is None:
        raise WaitingRoomUnavailable("this sale is queued but no waiting room is configured")
    await waitingroom_service.check_pass(
        ctx.waiting_room,
        event_id=purchase.command.event_id,
        buyer=purchase.buyer,
        text=purchase.admission_pass,
    )


async def _record_refusal(
    ctx: SalesContext, purchase: Purchase, order_id: str, error: BoxofficeError
) -> tuple[str | None, PurchaseAnswer]:
    """Remember a refusal under its key, so that a retry gets the same answer."""
    answer = responses.refusal(error)
    command = purchase.command
    now = ctx.clock()

    async def attempt() -> None:
        async with ctx.engine.begin() as conn:
            await conn.execute(
                INSERT_ORDER,
                {
                    "id": order_id,
                    "event_id": command.event_id,
                    "buyer_email": purchase.buyer,
                    "buyer_name": command.buyer.name,
                    "status": OrderStatus.REJECTED,
                    "total": 0,
                    "currency": "XXX",
                    "payment_method": command.payment_method,
                    "idempotency_key": purchase.idempotency_key,
                    "request_fingerprint": purchase.fingerprint,
                    "response_status": answer.status,
                    "response_body": answer.dump(),
                    "created_at": now,
                    "updated_at": now,
                    "locale": purchase.locale,
                },
            )

    try:
        await with_retries(attempt, what="record refusal")
    except sa_exc.IntegrityError:
        return await replay(ctx, purchase)
    return None, answer


# While the first request with a key is still running in another process, a repeat asks the
# database for its answer after 50 ms, then ever less often: a second of charging under load
# costs five reads, not twenty.
REPLAY_FIRST_WAIT_SECONDS = 0.05
REPLAY_LONGEST_WAIT_SECONDS = 0.4


async def replay(
    ctx: SalesContext, purchase: Purchase, *, deadline: float | None = None
) -> tuple[str | None, PurchaseAnswer]:
    """The key was used before: the same request gets the first answer, another one a 409.

    While the first request is still running, wait for its answer until `deadline` (the
    event loop's clock; by default `in_flight_wait` from now).
    """
    if deadline is None:
        deadline = asyncio.get_running_loop().time() + ctx.in_flight_wait.total_seconds()
    params = {"buyer": purchase.buyer, "key": purchase.idempotency_key}
    wait = REPLAY_FIRST_WAIT_SECONDS

    async def read() -> Any:
        async with ctx.engine.connect() as conn:
            return (await conn.execute(_BY_KEY, params)).one()

    while True:
        row = await with_retries(read, what="replay")
        if row.request_fingerprint != purchase.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body"
            )
        order_id = None if row.status == OrderStatus.REJECTED else row.id
        if row.response_status is not None:
            return order_id, responses.stored(row.response_status, row.response_body)
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise IdempotencyKeyInProgress(
                "the first request with this Idempotency-Key is still being processed; "
                "retry shortly with the same key",
                order_id=row.id,
            )
        await asyncio.sleep(min(wait, left))
        wait = min(wait * 2, REPLAY_LONGEST_WAIT_SECONDS)
