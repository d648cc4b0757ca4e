"""Events: validation that names the field and writes nothing, publishing rules, listings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.db.tables import events, ticket_types
from tests.support.builders import event_body, new_event, new_partner, ticket_type


async def count_rows(settings: Settings) -> tuple[int, int]:
    engine = create_engine(settings.resolved_database_url)
    async with engine.connect() as conn:
        n_events = await conn.scalar(select(func.count()).select_from(events))
        n_types = await conn.scalar(select(func.count()).select_from(ticket_types))
    await engine.dispose()
    return int(n_events or 0), int(n_types or 0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ticket_types": [ticket_type(capacity=-1)]}, "ticket_types[0].capacity"),
        ({"ticket_types": [ticket_type(currency="XYZ")]}, "ticket_types[0].currency"),
        ({"ticket_types": [ticket_type(price=10**19)]}, "ticket_types[0].price"),
        ({"ticket_types": [ticket_type(price=-5)]}, "ticket_types[0].price"),
        ({"ticket_types": [ticket_type(price=12.5)]}, "ticket_types[0].price"),
        ({"ticket_types": []}, "ticket_types"),
        ({"starts_at": "2027-01-01T20:00:00"}, "starts_at"),
        ({"per_buyer_limit": 0}, "per_buyer_limit"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_event_is_refused_naming_the_field_and_nothing_is_written(
    client: httpx.AsyncClient, settings: Settings, overrides: dict[str, Any], field: str
) -> None:
    partner = await new_partner(client)

    response = await client.post(
        "/api/v1/events", json=event_body(**overrides), headers=partner["headers"]
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "invalid_request"
    assert problem["field"] == field
    assert await count_rows(settings) == (0, 0)


async def test_malformed_json_is_a_422_problem_not_a_500(client: httpx.AsyncClient) -> None:
    partner = await new_partner(client)
    response = await client.post(
        "/api/v1/events",
        content=b"{not json",
        headers={**partner["headers"], "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


async def test_created_event_is_a_draft_with_its_ticket_types(client: httpx.AsyncClient) -> None:
    partner = await new_partner(client)
    event = await new_event(
        client,
        partner,
        publish=False,
        ticket_types=[ticket_type(name="Pista", currency="brl"), ticket_type(name="VIP")],
    )
    assert event["status"] == "draft"
    assert [tt["name"] for tt in event["ticket_types"]] == ["Pista", "VIP"]
    assert event["ticket_types"][0]["currency"] == "BRL"
    assert all(tt["id"] for tt in event["ticket_types"])


async def test_publishing_puts_a_draft_on_sale_once(client: httpx.AsyncClient) -> None:
    partner = await new_partner(client)
    event = await new_event(client, partner, publish=False)
    path = f"/api/v1/events/{event['id']}/publish"

    first = await client.post(path, headers=partner["headers"])
    again = await client.post(path, headers=partner["headers"])

    assert first.status_code == 200
    assert first.json()["status"] == "on_sale"
    assert again.status_code == 409
    assert again.json()["code"] == "not_publishable"


async def test_public_listing_shows_only_published_events(client: httpx.AsyncClient) -> None:
    partner = await new_partner(client)
    published = await new_event(client, partner, name="Published show")
    draft = await new_event(client, partner, publish=False, name="Secret draft")

    listing = await client.get("/api/v1/events")

    assert listing.status_code == 200
    ids = [e["id"] for e in listing.json()]
    assert ids == [published["id"]]
    assert (await client.get(f"/api/v1/events/{draft['id']}")).status_code == 404
    one = (await client.get(f"/api/v1/events/{published['id']}")).json()
    assert one["ticket_types"][0]["available"] == 100
    assert "partner_id" not in one


async def test_sales_figures_start_at_zero(client: httpx.AsyncClient) -> None:
    partner = await new_partner(client)
    event = await new_event(client, partner)

    sales = await client.get(f"/api/v1/events/{event['id']}/sales", headers=partner["headers"])

    assert sales.status_code == 200
    figures = sales.json()
    assert figures["orders_paid"] == 0
    assert figures["revenue"] == 0
    assert figures["ticket_types"][0] | {"id": None, "name": None} == {
        "id": None,
        "name": None,
        "capacity": 100,
        "sold": 0,
        "held": 0,
        "available": 100,
    }
