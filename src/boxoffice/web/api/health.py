"""Liveness, readiness and the metrics an operator scrapes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select, text

from boxoffice import metrics
from boxoffice.db.tables import orders, outbox
from boxoffice.errors import NotFound, Unauthorized
from boxoffice.ids import tokens_match
from boxoffice.web.api.deps import ServicesDep, bearer_token
from boxoffice.web.problems import problem

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
    async with svc.engine.connect() as conn:
        pending = int(await conn.scalar(_PENDING_ORDERS) or 0)
        waiting = int(await conn.scalar(_MAIL_WAITING) or 0)
    body = metrics.exposition(metrics.gauges(orders_pending=pending, mail_waiting=waiting))
    return Response(
        body,
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
