"""The sandbox mounted under a prefix inside another app, as the demo runs it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from boxoffice.payments.sandbox import SandboxApp, SandboxSettings, create_sandbox_app
from boxoffice.payments.sandbox._drop import ConnectionDropped

pytestmark = pytest.mark.asyncio

SECRET = {"Authorization": "Bearer sk_test_host"}


@pytest.fixture
async def mounted(tmp_path: Path) -> AsyncIterator[tuple[SandboxApp, httpx.AsyncClient]]:
    sandbox = create_sandbox_app(SandboxSettings(data_dir=tmp_path))
    host = Starlette(routes=[Mount("/gateway", app=sandbox)])
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://host.test") as client:
        yield sandbox, client
    await sandbox.aclose()


async def test_the_api_answers_under_the_mount_prefix(
    mounted: tuple[SandboxApp, httpx.AsyncClient],
) -> None:
    _, client = mounted
    intent = await client.post(
        "/gateway/v1/payment_intents",
        data={
            "amount": "100",
            "currency": "BRL",
            "payment_method": "pm_card_visa",
            "confirm": "true",
            "metadata[order_id]": "ord_mounted",
        },
        headers=SECRET,
    )
    listed = await client.get("/gateway/v1/payment_intents", headers=SECRET)
    found = await client.get(
        "/gateway/v1/payment_intents/search",
        params={"query": "metadata['order_id']:'ord_mounted'"},
        headers=SECRET,
    )
    assert intent.status_code == 200
    assert intent.json()["currency"] == "brl"
    assert listed.json()["url"] == "/v1/payment_intents"
    assert [i["id"] for i in listed.json()["data"]] == [intent.json()["id"]]
    assert [i["id"] for i in found.json()["data"]] == [intent.json()["id"]]


async def test_a_mounted_sandbox_keeps_its_ledger_in_the_data_folder(
    mounted: tuple[SandboxApp, httpx.AsyncClient], tmp_path: Path
) -> None:
    _, client = mounted
    await client.get("/gateway/v1/payment_intents", headers=SECRET)
    assert (tmp_path / "acquirer.sqlite3").exists()


async def test_a_dropped_answer_reaches_an_in_process_client_as_a_failure(
    mounted: tuple[SandboxApp, httpx.AsyncClient],
) -> None:
    _, client = mounted
    await client.post(
        "/gateway/_sandbox/faults", json={"faults": {"drop_after_capture": 1.0}}, headers=SECRET
    )
    with pytest.raises(ConnectionDropped):
        await client.post(
            "/gateway/v1/payment_intents",
            data={
                "amount": "100",
                "currency": "brl",
                "payment_method": "pm_card_visa",
                "confirm": "true",
                "metadata[order_id]": "ord_dropped",
            },
            headers=SECRET,
        )
    listed = await client.get("/gateway/v1/payment_intents", headers=SECRET)
    assert [i["metadata"]["order_id"] for i in listed.json()["data"]] == ["ord_dropped"]


async def test_unknown_paths_answer_in_stripes_error_shape(
    mounted: tuple[SandboxApp, httpx.AsyncClient],
) -> None:
    _, client = mounted
    answer = await client.get("/gateway/v1/charges", headers=SECRET)
    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "invalid_request_error"
