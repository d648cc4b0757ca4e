"""The composition root: settings in, a running ASGI application out.

Nothing connects at import time. The lifespan builds the engine and the
gateway client, starts the background workers (the reconciler, which is
also the hold sweeper) and closes everything on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice import __version__, collector, metrics
from boxoffice.checkin.context import build_checkin  # checkin (issue 6)
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.ids import derive_key
from boxoffice.mail import worker as mail_worker  # tickets (issue 5)
from boxoffice.payments.gateway import PaymentGateway, StripeGateway
from boxoffice.sales import reconciler
from boxoffice.sales.commands import PlaceOrder
from boxoffice.sales.context import SalesContext, utc_now
from boxoffice.sales.hotpath import PostgresHotPath
from boxoffice.services import Services
from boxoffice.tickets.codes import CodeBook
from boxoffice.tickets.issuance import SerialBlocks
from boxoffice.tickets.presentation import build_tickets  # tickets (issue 5)
from boxoffice.waitingroom.service import WaitingRoom
from boxoffice.waitingroom.store import MemoryQueue, QueueStore, RedisQueue
from boxoffice.web import problems
from boxoffice.web.api import bodies, catalog, health, orders
from boxoffice.web.api import checkin as checkin_api  # checkin (issue 6)
from boxoffice.web.api import tickets as tickets_api  # tickets (issue 5)
from boxoffice.web.api import waitingroom as waitingroom_api
from boxoffice.web.middleware import RequestContext
from boxoffice.web.pages import gate as gate_pages  # checkin (issue 6)
from boxoffice.web.pages import queue as queue_page
from boxoffice.web.pages import site as pages_site  # pages (issue 7)
from boxoffice.web.pages import tickets as ticket_pages  # tickets (issue 5)


def build_gateway(settings: Settings) -> PaymentGateway:
    if not settings.gateway_url:
        raise RuntimeError("no gateway URL: set BOXOFFICE_GATEWAY_URL or run `boxoffice demo`")
    return StripeGateway(
        api_key=settings.gateway_key,
        base_url=settings.gateway_url,
        timeout_seconds=settings.gateway_timeout_seconds,
    )


def build_waiting_room(settings: Settings) -> WaitingRoom:
    """Redis when configured (shared by all workers); memory for the one-process demo."""
    store: QueueStore = (
        RedisQueue(settings.redis_url, default_rate=settings.admission_rate)
        if settings.redis_url
        else MemoryQueue(default_rate=settings.admission_rate)
    )
    return WaitingRoom(
        store=store,
        key=derive_key(settings.resolved_secret_key, "waiting-room"),
        clock=utc_now,
        pass_ttl=timedelta(seconds=settings.admission_pass_seconds),
    )


def build_sales(
    settings: Settings,
    engine: AsyncEngine,
    gateway: PaymentGateway,
    waiting_room: WaitingRoom | None = None,
) -> SalesContext:
    secret = settings.resolved_secret_key
    return SalesContext(
        engine=engine,
        gateway=gateway,
        code_book=CodeBook(derive_key(secret, "ticket-codes")),
        serials=SerialBlocks(engine),
        access_key=derive_key(secret, "order-access"),
        charge_deadline=timedelta(seconds=settings.resolved_charge_deadline_seconds),
        hold_ttl=timedelta(seconds=settings.hold_seconds),
        waiting_room=waiting_room,
        hot_path=(
            PostgresHotPath(
                settings.resolved_database_url,
                pool_size=settings.db_pool_size,
                lock_timeout_ms=settings.db_lock_timeout_ms,
            )
            if engine.dialect.name == "postgresql"
            else None
        ),
    )


def create_app(
    settings: Settings | None = None, *, run_workers: bool = True, serving: bool = False
) -> FastAPI:
    """The app; `serving` marks a `boxoffice serve` worker (its collector is tuned at startup)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            lock_timeout_ms=settings.db_lock_timeout_ms,
        )
        gateway = build_gateway(settings)
        waiting_room = build_waiting_room(settings)
        sales = build_sales(settings, engine, gateway, waiting_room)
        app.state.services = Services(
            settings=settings, engine=engine, gateway=gateway, sales=sales
        )
        # --- tickets: presentation context and mail outbox worker (issue 5)
        app.state.tickets = build_tickets(
            engine=engine,
            root_secret=settings.resolved_secret_key,
            access_token=sales.access_token,
            clock=sales.clock,
            display_zone=settings.display_timezone,
            default_locale=settings.default_locale,
        )
        app.state.mail = mail_worker.build_mail(settings, app.state.tickets)
        # ---
        # --- pages: sessions, magic links, rate limits (issue 7)
        app.state.pages = pages_site.build_pages(settings)
        # ---
        # --- checkin: device keys, redemption, offline bundles (issue 6)
        app.state.checkin = build_checkin(app.state.tickets)
        # ---
        workers: list[asyncio.Task[None]] = []
        if run_workers:
            workers.append(
                asyncio.create_task(
                    reconciler.run_forever(
                        sales, interval_seconds=settings.reconcile_interval_seconds
                    ),
                    name="reconciler",
                )
            )
            # --- tickets: mail outbox worker (issue 5)
            workers.append(
                asyncio.create_task(
                    mail_worker.run_forever(app.state.mail, selling=sales.pressure.selling),
                    name="mail",
                )
            )
            # ---
        if serving:
            collector.tune_for_serving()
            # How late the loop runs: saturation and long steps, per worker (docs/deployment.md).
            workers.append(asyncio.create_task(metrics.watch_event_loop(), name="loop-lag"))
        try:
            yield
        finally:
            for task in workers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.pages.aclose()  # pages (issue 7)
            await gateway.aclose()
            await waiting_room.store.aclose()
            if sales.hot_path is not None:
                await sales.hot_path.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Boxoffice",
        version=__version__,
        summary="Ticket sales for live events",
        lifespan=lifespan,
    )
    problems.install(app)
    # Routes are matched in order, one pattern after another: the doors of a flash sale
    # (the purchase, the queue) come first, ahead of the catalog's many partner routes.
    app.include_router(orders.router)
    app.include_router(waitingroom_api.router)
    app.include_router(health.router)
    app.include_router(catalog.router)
    app.include_router(queue_page.router)
    # --- tickets: API, ticket page, static files (issue 5)
    app.include_router(tickets_api.router)
    app.include_router(ticket_pages.router)
    app.mount(ticket_pages.STATIC_URL, ticket_pages.static_files(), name="ticket-static")
    # ---
    # --- checkin: gate API and the scanner page (issue 6)
    app.include_router(checkin_api.router)
    app.include_router(gate_pages.router)
    # ---
    # --- pages: storefront, console, support, security headers (issue 7)
    pages_site.install(app, settings)
    # ---
    if settings.mount_sandbox:
        from boxoffice.payments.sandbox import SandboxSettings, create_sandbox_app

        sandbox_settings = SandboxSettings(data_dir=settings.data_dir)
        app.mount("/gateway", create_sandbox_app(sandbox_settings))
    app.add_middleware(RequestContext)
    bodies.install_schemas(app, [PlaceOrder, waitingroom_api.JoinQueue])
    return app


def create_served_app() -> FastAPI:
    """`boxoffice serve`'s factory: one per worker process, configured from the environment."""
    return create_app(serving=True)
