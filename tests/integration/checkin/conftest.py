"""Fixtures for check-in: a partner's event with sold tickets, gate devices, and DB counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import checkin_scans, ticket_admissions, tickets
from boxoffice.tickets.codes import parse_code
from boxoffice.tickets.presentation import TicketsContext
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox


@dataclass
class Gate:
    """A gate device as the partner created it: its id, key and ready-made headers."""

    id: str
    key: str
    event_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> dict[str, Any]:
    return await new_partner(client)


@pytest.fixture
async def event(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    return await new_event(
        client,
        partner,
        name="Final do Campeonato",
        ticket_types=[ticket_type(name="Arquibancada", capacity=50), ticket_type(name="VIP")],
    )


@pytest.fixture
def engine(app: FastAPI) -> AsyncEngine:
    composed: AsyncEngine = app.state.services.engine
    return composed


@pytest.fixture
def app_tickets(app: FastAPI) -> TicketsContext:
    context: TicketsContext = app.state.tickets
    return context


@pytest.fixture
async def gate(client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]) -> Gate:
    return await new_gate(client, partner, event["id"])


async def new_gate(
    client: httpx.AsyncClient, partner: dict[str, Any], event_id: str, name: str = "phone"
) -> Gate:
    response = await client.post(
        f"/api/v1/events/{event_id}/devices", json={"name": name}, headers=partner["headers"]
    )
    assert response.status_code == 201, response.text
    return Gate(id=response.json()["id"], key=response.json()["key"], event_id=event_id)


async def sell(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    *,
    quantity: int = 1,
    type_index: int = 0,
) -> dict[str, Any]:
    """A paid order (tickets, access token) bought through the public API."""
    body = order_body(event, tokenise(sandbox.url), quantity=quantity, type_index=type_index)
    response = await buy(client, body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    order["headers"] = {"Authorization": f"Bearer {order['access_token']}"}
    return order


async def qr_payload(client: httpx.AsyncClient, order: dict[str, Any], code: str) -> str:
    """The QR text the buyer's phone shows for one of the order's tickets."""
    response = await client.get(f"/api/v1/tickets/{code}", headers=order["headers"])
    assert response.status_code == 200, response.text
    return str(response.json()["qr"])


async def check_in(client: httpx.AsyncClient, device: Gate, /, **body: Any) -> dict[str, Any]:
    """POST /api/v1/checkin with the device's key; `body` is the scan (payload or code, gate)."""
    response = await client.post("/api/v1/checkin", json=body, headers=device.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def ticket_state(engine: AsyncEngine, code: str) -> tuple[str, int, int]:
    """(status, admission rows, scan log rows) of a ticket, counted in the database."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(tickets.c.id, tickets.c.status).where(tickets.c.code == parse_code(code))
            )
        ).one()
        admitted = await conn.scalar(
            select(func.count()).where(ticket_admissions.c.ticket_id == row.id)
        )
        scans = await conn.scalar(select(func.count()).where(checkin_scans.c.ticket_id == row.id))
    return str(row.status), int(admitted or 0), int(scans or 0)


async def count_rows(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)
