"""Signing in to the console and the support view with a key, and signing out.

One form for both doors: a partner's API key opens the console and the support view for
that partner's events; ``BOXOFFICE_ADMIN_KEY`` opens the support view for every event.
Attempts are rate limited per client before the key is even looked at, so guessing keys
costs a guesser minutes per handful of tries (and keys are 256-bit random anyway).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from boxoffice.catalog.service import authenticate_partner
from boxoffice.errors import Unauthorized
from boxoffice.ids import tokens_match
from boxoffice.web.pages import sessions
from boxoffice.web.pages.context import pages_of
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect, render
from boxoffice.web.ratelimit import enforce

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login")
async def login_form(request: Request, next: str = "") -> Response:
    return render(request, "site/login.html", next=sessions.safe_next(next, ""), failed=False)


@router.post("/login")
async def login(request: Request) -> Response:
    pages = pages_of(request)
    await enforce(pages.limiter, f"login:{sessions.client_key(request)}", pages.login_rate)
    form = await read_form(request)
    sessions.check_csrf(request, form)
    key = form.get("key", "")
    target = sessions.safe_next(form.get("next"), "")
    admin_key = pages.settings.admin_key
    if admin_key and key and tokens_match(key, admin_key):
        sessions.start(request, subject=sessions.ADMIN, key=key)
        return redirect(request, target or "/support")
    try:
        partner_id = await authenticate_partner(request.app.state.services.engine, key)
    except Unauthorized:
        return render(request, "site/login.html", status=401, next=target, failed=True)
    sessions.start(request, subject=partner_id, key=key)
    return redirect(request, target or "/console")


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    sessions.check_csrf(request, form)
    sessions.end(request)
    return redirect(request, "/")
