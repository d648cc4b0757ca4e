"""Settling a pending order: confirm (paid, tickets issued) or give its holds back.

Each transition is one transaction that starts with a conditional update
`WHERE status = 'pending'`. Whoever wins that update (the purchase request
itself, a reconciler in this process or in another worker) does the rest;
everyone else sees zero rows and reads the outcome instead. That is what
makes the purchase path, the reconciler and the hold sweeper safe to run
at the same time, any number of times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.db.tables import orders
from boxoffice.errors import CardDeclined, GatewayUnavailable
from boxoffice.mail.outbox import enqueue_ticket_email
from boxoffice.sales import allowance, inventory, responses
from boxoffice.sales.contention import with_retries
from boxoffice.sales.context import SalesContext
from boxoffice.sales.responses import PurchaseAnswer
from boxoffice.sales.rules import OrderStatus
from boxoffice.tickets.issuance import insert_tickets, plan_tickets

log = logging.getLogger("boxoffice.sales")
o = orders.c


class _LostRace(Exception):
    """Another settler changed the order first; roll back and read what it decided."""


@dataclass(frozen=True, slots=True)
class PendingOrder:
    id: str
    event_id: str
    buyer_email: str
    buyer_name: str
    lines: list[tuple[str, int]]  # (ticket_type_id, quantity), sorted by id
    total: int
    currency: str
    has_limit: bool
    allocations: dict[str, str]  # ticket_type_id -> encoded bucket allocation


# The one transition out of `pending`, built once (it runs on every purchase). It records
# the answer only if none was given yet: the first answer is what a retry replays.
_SETTLE = (
    update(orders)
    .where(o.id == bindparam("order_id"), o.status == OrderStatus.PENDING)
    .values(
        status=bindparam("to"),
        gateway_intent_id=func.coalesce(bindparam("intent", type_=String), o.gateway_intent_id),
        decline_code=bindparam("code", type_=String),
        updated_at=bindparam("now", type_=orders.c.updated_at.type),
        response_status=func.coalesce(o.response_status, bindparam("rs", type_=Integer)),
        response_body=case(
            (o.response_status.is_(None), bindparam("rb", type_=Text)), else_=o.response_body
        ),
    )
)


async def confirm(ctx: SalesContext, order: PendingOrder, *, intent_id: str) -> PurchaseAnswer:
    """The card was captured: mark paid and issue the tickets, in one transaction."""

    serials = await ctx.serials.take(sum(quantity for _, quantity in order.lines))

    async def attempt() -> PurchaseAnswer | None:
        now = ctx.clock()
        planned = plan_tickets(
            serials=serials,
            code_book=ctx.code_book,
            lines=order.lines,
            holder_name=order.buyer_name,
        )
        answer = responses.paid(
            order_id=order.id,
            total=order.total,
            currency=order.currency,
            tickets=[
                {
                    "id": t.id,
                    "code": t.code,
                    "ticket_type_id": t.ticket_type_id,
                    "holder_name": t.holder_name,
                }
                for t in planned
            ],
        )
        if ctx.hot_path is not None:
            won = await ctx.hot_path.confirm(
                order_id=order.id,
                intent_id=intent_id,
                holder_name=order.buyer_name,
                planned=planned,
                answer_status=answer.status,
                answer_body=answer.dump(),
                now=now,
            )
            return answer if won else None
        try:
            async with ctx.engine.begin() as conn:
                won_row = await conn.execute(
                    _SETTLE,
                    {
                        "order_id": order.id,
                        "to": OrderStatus.PAID,
                        "intent": intent_id,
                        "code": None,
                        "now": now,
                        "rs": answer.status,
                        "rb": answer.dump(),
                    },
                )
                if won_row.rowcount != 1:
                    raise _LostRace
                # The seats stay taken in their buckets: paid or pending, they are gone
                # from sale, so confirming never touches the contended inventory rows.
                await insert_tickets(
                    conn, order_id=order.id, event_id=order.event_id, planned=planned, now=now
                )
                # The tickets e-mail, queued in this transaction: sent iff the order is paid.
                await enqueue_ticket_email(conn, order_id=order.id, now=now)
                return answer
        except _LostRace:
            return None

    answer = await with_retries(attempt, what=f"confirm {order.id}")
    if answer is not None:
        return answer
    return await _after_lost_race(ctx, order, intent_id=intent_id)


async def give_back(
    ctx: SalesContext,
    order: PendingOrder,
    *,
    status: OrderStatus,
    answer: PurchaseAnswer,
    decline_code: str | None = None,
) -> PurchaseAnswer:
    """Declined or never charged: return the holds and the buyer's allowance."""

    async def attempt() -> bool:
        async with ctx.engine.begin() as conn:
            won = await conn.execute(
                _SETTLE,
                {
                    "order_id": order.id,
                    "to": status,
                    "intent": None,
                    "code": decline_code,
                    "now": ctx.clock(),
                    "rs": answer.status,
                    "rb": answer.dump(),
                },
            )
            if won.rowcount != 1:
                return False
            await _return_holds(conn, order)
            return True

    if await with_retries(attempt, what=f"release {order.id}"):
        return answer
    return await current_answer(ctx, order.id)


async def decline(
    ctx: SalesContext, order: PendingOrder, *, code: str, message: str
) -> PurchaseAnswer:
    error = CardDeclined(message or "the card was declined", decline_code=code)
    return await give_back(
        ctx, order, status=OrderStatus.DECLINED, answer=responses.refusal(error), decline_code=code
    )


async def release(ctx: SalesContext, order: PendingOrder) -> PurchaseAnswer:
    error = GatewayUnavailable(
        "the card network never confirmed this payment; nothing was charged, please try again"
    )
    return await give_back(ctx, order, status=OrderStatus.RELEASED, answer=responses.refusal(error))


async def answer_pending(ctx: SalesContext, order: PendingOrder) -> PurchaseAnswer:
    """The gateway's answer is unknown: say so (202) and leave the order to the reconciler."""
    answer = responses.pending(order_id=order.id, total=order.total, currency=order.currency)

    async def attempt() -> None:
        async with ctx.engine.begin() as conn:
            await conn.execute(
                update(orders)
                .where(o.id == order.id, o.response_status.is_(None))
                .values(response_status=answer.status, response_body=answer.dump())
            )

    try:
        await with_retries(attempt, what=f"answer pending {order.id}")
    except Exception:  # the reconciler settles it either way; the buyer still gets a 202
        log.exception("could not record the pending answer for %s", order.id)
    return answer


async def current_answer(ctx: SalesContext, order_id: str) -> PurchaseAnswer:
    async def read() -> Any:
        async with ctx.engine.connect() as conn:
            return (
                await conn.execute(
                    select(o.status, o.response_status, o.response_body, o.total, o.currency).where(
                        o.id == order_id
                    )
                )
            ).one()

    row = await with_retries(read, what=f"read {order_id}")
    if row.response_status is not None:
        return responses.stored(row.response_status, row.response_body)
    return responses.pending(order_id=order_id, total=row.total, currency=row.currency)


async def _return_holds(conn: AsyncConnection, order: PendingOrder) -> None:
    if order.has_limit:
        await allowance.give_back(
            conn,
            event_id=order.event_id,
            buyer=order.buyer_email,
            quantity=sum(q for _, q in order.lines),
        )
    for ticket_type_id, encoded in sorted(order.allocations.items()):
        await inventory.give_back(
            conn, ticket_type_id=ticket_type_id, allocation=inventory.decode(encoded)
        )


async def _after_lost_race(
    ctx: SalesContext, order: PendingOrder, *, intent_id: str
) -> PurchaseAnswer:
    """Someone settled the order first. If it was released, this capture must be refunded."""
    async with ctx.engine.connect() as conn:
        status = await conn.scalar(select(o.status).where(o.id == order.id))
    if status != OrderStatus.PAID:
        log.error("capture %s arrived for %s order %s: refunding", intent_id, status, order.id)
        outcome = await ctx.gateway.refund(order_id=order.id, intent_id=intent_id)
        async with ctx.engine.begin() as conn:
            await conn.execute(
                update(orders)
                .where(o.id == order.id)
                .values(gateway_intent_id=intent_id, refund_id=getattr(outcome, "refund_id", None))
            )
    return await current_answer(ctx, order.id)
