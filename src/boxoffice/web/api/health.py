"""Liveness, readiness and the metrics an operator scrapes."""

from __future__ import annotations

import dataclasses
import logging

from fastapi import APIRouter, Request, Response
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from boxoffice import metrics
from boxoffice.db.tables import events, orders, outbox
from boxoffice.errors import NotFound, Unauthorized
from boxoffice.ids import tokens_match
from boxoffice.services import Services
from boxoffice.web.api.deps import ServicesDep, bearer_token
from boxoffice.web.problems import problem

log = logging.getLogger("boxoffice.metrics")

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(svc: ServicesDep) -> object:
    try:
        async with svc.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return problem(503, "not_ready", "Not ready", f"database unreachable: {type(exc).__name__}")
    return {"status": "ready"}


# Counted through the partial indexes the reconciler and the mail worker read (migrations 0005,
# 0006): only orders in flight and mail not yet sent, never the whole tables.
_PENDING_ORDERS = select(func.count()).select_from(orders).where(orders.c.status == "pending")
_MAIL_WAITING = (
    select(func.count())
    .select_from(outbox)
    .where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
)
# The lines worth a gauge: events selling now behind a waiting room (a handful at a time).
_QUEUED_ON_SALE = (
    select(events.c.id)
    .where(events.c.status == "on_sale", events.c.waiting_room.is_(True))
    .order_by(events.c.id)
    .limit(100)
)


@router.get("/metrics", include_in_schema=False)
async def metrics_text(request: Request, svc: ServicesDep) -> Response:
    """Prometheus' text format (docs/deployment.md, Metrics); the bearer token is
    `BOXOFFICE_METRICS_TOKEN`, and without one set there is nothing here."""
    expected = svc.settings.metrics_token
    if not expected:
        raise NotFound("metrics are off: set BOXOFFICE_METRICS_TOKEN to scrape them")
    given = bearer_token(request)
    if given is None or not tokens_match(given, expected):
        raise Unauthorized("send the metrics token as `Authorization: Bearer <token>`")
    body = metrics.exposition(metrics.gauges(await _scrape(svc)))
    return Response(
        body,
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def _scrape(svc: Services) -> metrics.Scraped:
    """The database's and the queue's figures, each left out (and said to be down) when it
    cannot be read: the process's own metrics are worth most when those are failing. Redis
    is asked even when no queued event is on sale (a ping), so that an alert on
    `boxoffice_queue_store_up` sees it go down before the sale that needs it opens."""
    scraped, queued = metrics.Scraped(), []
    try:
        async with svc.engine.connect() as conn:
            pending = int(await conn.scalar(_PENDING_ORDERS) or 0)
            waiting = int(await conn.scalar(_MAIL_WAITING) or 0)
            queued = list((await conn.scalars(_QUEUED_ON_SALE)).all())
        scraped = metrics.Scraped(orders_pending=pending, mail_waiting=waiting)
    except (SQLAlchemyError, OSError):
        log.warning("metrics: the database did not answer")
    room = svc.sales.waiting_room
    if room is None:
        return scraped
    try:
        lines = {event_id: (await room.store.stats(event_id)).waiting for event_id in queued}
        if not queued:
            await room.store.ping()
    except (RedisError, OSError):
        log.warning("metrics: the waiting rooms' store did not answer")
        return dataclasses.replace(scraped, queue_store_up=False)
    return dataclasses.replace(scraped, queues=lines, queue_store_up=True)
