"""Health checks, request ids and problem documents for unknown routes."""

from __future__ import annotations

import httpx


async def test_healthz_and_readyz_answer_while_the_database_does(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    mine = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    generated = await client.get("/healthz")
    assert mine.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 16


async def test_unknown_route_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/events" in response.json()["paths"]


async def test_the_purchase_and_the_join_document_their_bodies(client: httpx.AsyncClient) -> None:
    """Both read their body without FastAPI's body parameter (boxoffice.web.api.bodies): the
    document must still describe it, and every schema it points to must be there."""
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    purchase = document["paths"]["/api/v1/orders"]["post"]["requestBody"]
    join = document["paths"]["/api/v1/events/{event_id}/queue"]["post"]["requestBody"]

    assert purchase["content"]["application/json"]["schema"]["$ref"].endswith("/PlaceOrder")
    assert join["content"]["application/json"]["schema"]["$ref"].endswith("/JoinQueue")
    assert set(schemas["PlaceOrder"]["required"]) == {
        "event_id",
        "items",
        "buyer",
        "payment_method",
    }
    refs = {
        value.rsplit("/", 1)[-1]
        for value in _strings_under(document, key="$ref")
        if value.startswith("#/components/schemas/")
    }
    assert refs <= set(schemas), refs - set(schemas)


def _strings_under(node: object, *, key: str) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == key and isinstance(v, str)]
        return found + [s for v in node.values() for s in _strings_under(v, key=key)]
    if isinstance(node, list):
        return [s for v in node for s in _strings_under(v, key=key)]
    return []
