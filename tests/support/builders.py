"""Builders for test data, through the public API (so tests exercise the real doors)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

_counter = itertools.count(1)


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Concert {next(_counter)}",
        "venue": "Allianz Parque",
        "starts_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "ticket_types": [
            {"name": "Pista", "price": 12000, "currency": "BRL", "capacity": 100},
        ],
    }
    body.update(overrides)
    return body


def ticket_type(**overrides: Any) -> dict[str, Any]:
    return {"name": "Pista", "price": 12000, "currency": "BRL", "capacity": 100, **overrides}


async def new_partner(client: httpx.AsyncClient, name: str = "Live Nation BR") -> dict[str, Any]:
    email = f"partner{next(_counter)}@example.com"
    response = await client.post("/api/v1/partners", json={"name": name, "email": email})
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    partner["headers"] = {"Authorization": f"Bearer {partner['api_key']}"}
    return partner


async def new_event(
    client: httpx.AsyncClient, partner: dict[str, Any], *, publish: bool = True, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/events", json=event_body(**overrides), headers=partner["headers"]
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    if publish:
        published = await client.post(
            f"/api/v1/events/{event['id']}/publish", headers=partner["headers"]
        )
        assert published.status_code == 200, published.text
        event = published.json()
    return event
