"""Fixtures for the pages: a partner with a published event, and browsers-as-clients.

The pages are driven through their real forms (a GET to read the CSRF token, then the
post), with the client's cookie jar playing the browser's.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open the page that holds the form, then post it as a browser would."""
    page = await client.get(page_url)
    return await client.post(action, data={"csrf": csrf_of(page), **fields})


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await post_form(client, "/login", "/login", {"key": key})


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """As the shared client, in English unless a test asks otherwise (the default is pt-BR)."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Accept-Language": "en"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://boxoffice.test", headers=headers
    ) as c:
        yield c


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> dict[str, Any]:
    return await new_partner(client)


@pytest.fixture
async def event(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    return await new_event(
        client,
        partner,
        name="Orquestra Sinfônica — Noite de Estreia",
        venue="Sala São Paulo",
        per_buyer_limit=4,
        ticket_types=[
            ticket_type(name="Plateia", price=12000, capacity=20),
            ticket_type(name="Balcão", price=8000, capacity=10),
        ],
    )


async def paid_order(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    *,
    quantity: int = 1,
    email: str | None = None,
) -> dict[str, Any]:
    body = order_body(event, tokenise(sandbox.url), quantity=quantity, email=email)
    response = await buy(client, body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    order["email"] = body["buyer"]["email"]
    return order


AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def app_with(settings: Settings) -> AppClient:
    """An app with some settings changed (`app_with(admin_key="…")`), and a client for it
    calling from `client_ip` (rate limits count per address)."""

    @asynccontextmanager
    async def start(
        client_ip: str = "127.0.0.1", **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=overrides), run_workers=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://boxoffice.test",
                headers={"Accept-Language": "en"},
            ) as c:
                yield c

    return start
