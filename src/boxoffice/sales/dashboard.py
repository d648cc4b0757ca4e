"""The partner's live figures: `catalog.service.sales_figures` plus revenue per ticket type and
the sales over time, for the console's dashboard and its chart. Reads only.

Revenue is summed from what each paid order was charged per ticket (``order_items.unit_price``),
not from today's price, so a figure never drifts from the money actually taken. The timeline
is one row per paid order; the console polls it every few seconds, which is fine up to some
hundred thousand orders per event. Beyond that it should become a per-minute counter written
at confirmation (noted in docs/pages.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.catalog.service import sales_figures
from boxoffice.db.tables import order_items, orders

o, oi = orders.c, order_items.c


@dataclass(frozen=True, slots=True)
class LiveFigures:
    figures: dict[str, Any]  # sales_figures: per type capacity/sold/held/available, revenue
    revenue_by_type: dict[str, int]
    timeline: list[tuple[datetime, int]]  # (when a paid order was placed, tickets in it)

    @property
    def sold(self) -> int:
        return sum(t["sold"] for t in self.figures["ticket_types"])


async def live_figures(engine: AsyncEngine, *, partner_id: str, event_id: str) -> LiveFigures:
    """Exact figures for the owner of the event (404 for anyone else)."""
    figures = await sales_figures(engine, partner_id=partner_id, event_id=event_id)
    paid = (o.event_id == event_id) & (o.status == "paid")
    async with engine.connect() as conn:
        revenue = await conn.execute(
            select(oi.ticket_type_id, func.sum(oi.quantity * oi.unit_price))
            .join(orders, o.id == oi.order_id)
            .where(paid)
            .group_by(oi.ticket_type_id)
        )
        by_type = {tt: int(total) for tt, total in revenue}
        rows = await conn.execute(
            select(o.created_at, func.sum(oi.quantity))
            .join(order_items, oi.order_id == o.id)
            .where(paid)
            .group_by(o.id, o.created_at)
            .order_by(o.created_at)
        )
        timeline = [(created_at, int(quantity)) for created_at, quantity in rows]
    return LiveFigures(figures=figures, revenue_by_type=by_type, timeline=timeline)
