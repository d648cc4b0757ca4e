"""Partners sign up, authenticate with their key, and only ever see their own events."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.db.tables import partners
from tests.support.builders import event_body, new_event, new_partner


async def test_partner_key_is_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    partner = await new_partner(client)

    engine = create_engine(settings.resolved_database_url)
    async with engine.connect() as conn:
        stored = (await conn.execute(select(partners))).one()._mapping
    await engine.dispose()
    assert partner["api_key"] not in str(dict(stored))
    assert stored["api_key_hash"] != partner["api_key"]


async def test_a_wrong_key_is_refused_with_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/events", json=event_body(), headers={"Authorization": "Bearer bxk_wrong"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"


async def test_a_missing_key_is_refused_with_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/events", json=event_body())
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_another_partners_event_is_not_found(client: httpx.AsyncClient) -> None:
    owner, stranger = await new_partner(client, "Owner"), await new_partner(client, "Stranger")
    event = await new_event(client, owner, publish=False)

    for method, path in [
        ("POST", f"/api/v1/events/{event['id']}/publish"),
        ("GET", f"/api/v1/events/{event['id']}/sales"),
        ("GET", f"/api/v1/events/{event['id']}"),
    ]:
        response = await client.request(method, path, headers=stranger["headers"])
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "not_found"

    mine = await client.get("/api/v1/partner/events", headers=stranger["headers"])
    assert mine.json() == []
    still_draft = await client.get(f"/api/v1/events/{event['id']}", headers=owner["headers"])
    assert still_draft.json()["status"] == "draft"


async def test_admin_key_gates_partner_sign_up_when_set(
    settings: Settings, database_url: str
) -> None:
    from boxoffice.app import create_app

    gated = create_app(settings.model_copy(update={"admin_key": "adm_secret"}), run_workers=False)
    async with gated.router.lifespan_context(gated):
        transport = httpx.ASGITransport(app=gated)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = {"name": "Gated", "email": "gated@example.com"}
            refused = await client.post("/api/v1/partners", json=body)
            wrong = await client.post(
                "/api/v1/partners", json=body, headers={"Authorization": "Bearer nope"}
            )
            allowed = await client.post(
                "/api/v1/partners", json=body, headers={"Authorization": "Bearer adm_secret"}
            )
    assert refused.status_code == 401
    assert wrong.status_code == 401
    assert allowed.status_code == 201

    engine = create_engine(settings.resolved_database_url)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(partners)) == 1
    await engine.dispose()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "email": "a@example.com"},
        {"name": "X", "email": "not-an-email"},
        {"name": "X"},
    ],
)
async def test_invalid_partner_sign_up_is_a_422_problem(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/api/v1/partners", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["field"] in ("name", "email")
