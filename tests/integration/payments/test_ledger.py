"""The acquirer's ledger: durable, auditable, and free of card numbers."""

from __future__ import annotations

import httpx
import pytest
import stripe

from boxoffice.payments.gateway import Approved, StripeGateway
from tests.integration.payments.helpers import (
    APPROVE,
    card_payment_method,
    intents_for,
    new_order_id,
    sdk_client,
)
from tests.support.sandbox_process import SandboxProcess, running_sandbox, start_sandbox

pytestmark = pytest.mark.asyncio


async def test_the_ledger_survives_a_crash_and_restart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("restart")
    order_id = new_order_id()
    sandbox = start_sandbox(data_dir=data_dir)
    try:
        async with sdk_client(sandbox) as client:
            method = await card_payment_method(client)
        gateway = StripeGateway(api_key=sandbox.secret_key, base_url=sandbox.url)
        charged = await gateway.charge(
            order_id=order_id, amount=4200, currency="brl", payment_method=method
        )
        await gateway.aclose()
    finally:
        sandbox.kill()
    assert isinstance(charged, Approved)

    with running_sandbox(data_dir=data_dir) as restarted:
        gateway = StripeGateway(api_key=restarted.secret_key, base_url=restarted.url)
        try:
            assert await gateway.lookup(order_id) == charged
            replay = await gateway.charge(
                order_id=order_id, amount=4200, currency="brl", payment_method=method
            )
        finally:
            await gateway.aclose()
        async with sdk_client(restarted) as client:
            assert len(await intents_for(client, order_id)) == 1
    assert replay == charged


async def test_the_ledger_never_contains_a_card_number(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("pan")
    pan = "5555555555554444"
    with running_sandbox(data_dir=data_dir) as sandbox:
        async with sdk_client(sandbox) as client:
            method = await card_payment_method(client, pan)
            await card_payment_method(client, APPROVE)
            await client.v1.payment_intents.create_async(
                {"amount": 100, "currency": "brl", "payment_method": method, "confirm": True}
            )
    files = list(data_dir.iterdir())
    assert any(f.name.startswith("acquirer.sqlite3") for f in files)
    for path in files:
        content = path.read_bytes()
        assert pan.encode() not in content, path
        assert APPROVE.encode() not in content, path
        assert b"4444" in content or not path.name.endswith("sqlite3")


async def test_intents_are_listed_newest_first_in_pages(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    method = await card_payment_method(stripe_client)
    created = []
    for _ in range(3):
        outcome = await gateway.charge(
            order_id=new_order_id(), amount=100, currency="brl", payment_method=method
        )
        assert isinstance(outcome, Approved)
        created.append(outcome.intent_id)
    first = await stripe_client.v1.payment_intents.list_async({"limit": 2})
    second = await stripe_client.v1.payment_intents.list_async(
        {"limit": 1, "starting_after": first.data[-1].id}
    )
    newer = await stripe_client.v1.payment_intents.list_async(
        {"limit": 2, "ending_before": second.data[0].id}
    )
    assert [i.id for i in first.data] == created[::-1][:2]
    assert first.has_more
    assert [i.id for i in second.data] == created[:1]
    assert [i.id for i in newer.data] == [i.id for i in first.data]


async def test_every_listed_intent_carries_order_amount_currency_and_status(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client)
    await gateway.charge(order_id=order_id, amount=333, currency="BRL", payment_method=method)
    [intent] = await intents_for(stripe_client, order_id)
    assert (intent.amount, intent.currency, intent.status) == (333, "brl", "succeeded")


async def test_a_browser_on_another_origin_may_tokenise_cards(sandbox: SandboxProcess) -> None:
    origin = "https://shop.example"
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        preflight = await http.options(
            "/v1/payment_methods",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
            },
        )
        created = await http.post(
            "/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": APPROVE,
                "card[exp_month]": "1",
                "card[exp_year]": "2040",
                "card[cvc]": "123",
            },
            headers={"Origin": origin, "Authorization": f"Bearer {sandbox.publishable_key}"},
        )
    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.split(", "))
    assert created.status_code == 200
    assert created.headers["access-control-allow-origin"] in ("*", origin)
    assert created.json()["card"]["last4"] == "4242"
