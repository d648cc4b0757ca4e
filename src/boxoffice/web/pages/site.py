"""The pages people use, wired into the application in one call from the composition root.

    install(app, settings)                      # routers, /static, security headers
    app.state.pages = build_pages(settings)     # in the lifespan; `await ….aclose()` after

Storefront (``/``, ``/events/…``, ``/orders/…``, ``/my-tickets``), sign-in (``/login``),
partner console (``/console``) and support (``/support``). The ticket page and its offline
wallet (``/t/…``) are `boxoffice.web.pages.tickets`.
"""

from __future__ import annotations

from fastapi import FastAPI

from boxoffice.config import Settings
from boxoffice.web.pages import buyers, signin, storefront, support
from boxoffice.web.pages.assets import VersionedStaticFiles
from boxoffice.web.pages.console import dashboard, events, gate, orders, queue
from boxoffice.web.pages.context import build_pages, gateway_origins
from boxoffice.web.security import SecurityHeaders

STATIC_URL = "/static"


def install(app: FastAPI, settings: Settings) -> None:
    for module in (storefront, buyers, signin, events, dashboard, gate, orders, queue, support):
        app.include_router(module.router)
    app.mount(STATIC_URL, VersionedStaticFiles(), name="static")
    app.add_middleware(SecurityHeaders, connect_origins=gateway_origins(settings))


__all__ = ["build_pages", "install"]
