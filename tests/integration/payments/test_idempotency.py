"""The order id as idempotency key: retries and races never charge an order twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import stripe

from boxoffice.payments.gateway import Approved, StripeGateway, Unknown
from tests.integration.payments.helpers import (
    card_payment_method,
    intents_for,
    new_order_id,
    sdk_client,
)
from tests.support.sandbox_process import SandboxProcess, running_sandbox

pytestmark = pytest.mark.asyncio


async def test_retrying_a_charge_replays_it_instead_of_charging_again(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client)
    first = await gateway.charge(
        order_id=order_id, amount=900, currency="brl", payment_method=method
    )
    again = await gateway.charge(
        order_id=order_id, amount=900, currency="brl", payment_method=method
    )
    assert isinstance(first, Approved)
    assert again == first
    assert len(await intents_for(stripe_client, order_id)) == 1


async def test_a_replay_has_the_same_status_and_body_and_says_it_is_a_replay(
    sandbox: SandboxProcess, stripe_client: stripe.StripeClient
) -> None:
    method = await card_payment_method(stripe_client)
    form = {"amount": "100", "currency": "brl", "payment_method": method, "confirm": "true"}
    headers = {"Authorization": f"Bearer {sandbox.secret_key}", "Idempotency-Key": new_order_id()}
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        first = await http.post("/v1/payment_intents", data=form, headers=headers)
        replay = await http.post("/v1/payment_intents", data=form, headers=headers)
    assert (replay.status_code, replay.content) == (first.status_code, first.content)
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"


async def test_two_concurrent_charges_for_one_order_capture_once(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client)
    outcomes = await asyncio.gather(
        *(
            gateway.charge(order_id=order_id, amount=500, currency="brl", payment_method=method)
            for _ in range(2)
        )
    )
    approved = [o for o in outcomes if isinstance(o, Approved)]
    assert approved, outcomes
    assert all(isinstance(o, Approved | Unknown) for o in outcomes)
    assert len({o.intent_id for o in approved}) == 1
    assert len(await intents_for(stripe_client, order_id)) == 1


async def test_a_request_whose_key_is_still_executing_waits_and_replays_its_answer(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with running_sandbox(data_dir=tmp_path_factory.mktemp("slow"), latency_ms=500) as sandbox:
        form = {
            "amount": "100",
            "currency": "brl",
            "payment_method": "pm_card_visa",
            "confirm": "true",
        }
        headers = {"Authorization": f"Bearer {sandbox.secret_key}", "Idempotency-Key": "same"}
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            first, second = await asyncio.gather(
                http.post("/v1/payment_intents", data=form, headers=headers),
                http.post("/v1/payment_intents", data=form, headers=headers),
            )
        async with sdk_client(sandbox) as client:
            intents = await client.v1.payment_intents.list_async()
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content
    replayed = [a.headers.get("idempotent-replayed") for a in (first, second)]
    assert sorted(replayed, key=str) == [None, "true"]
    assert len(intents.data) == 1


async def test_one_key_with_different_parameters_is_an_idempotency_error(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client)
    await gateway.charge(order_id=order_id, amount=100, currency="brl", payment_method=method)
    with pytest.raises(stripe.IdempotencyError):
        await stripe_client.v1.payment_intents.create_async(
            {
                "amount": 101,
                "currency": "brl",
                "payment_method": method,
                "confirm": True,
                "metadata": {"order_id": order_id},
            },
            {"idempotency_key": f"charge:{order_id}"},
        )
    changed = await gateway.charge(
        order_id=order_id, amount=101, currency="brl", payment_method=method
    )
    assert isinstance(changed, Unknown)
    assert len(await intents_for(stripe_client, order_id)) == 1


async def test_idempotency_keys_are_scoped_per_api_key(sandbox: SandboxProcess) -> None:
    form = {"amount": "100", "currency": "brl", "payment_method": "pm_card_visa", "confirm": "true"}
    key = new_order_id()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        answers = [
            await http.post(
                "/v1/payment_intents",
                data=form,
                headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": key},
            )
            for api_key in ("sk_test_merchant_a", "sk_test_merchant_b")
        ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["id"] != answers[1].json()["id"]
