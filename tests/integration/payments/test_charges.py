"""Charging and looking up orders through our gateway client on the sandbox acquirer."""

from __future__ import annotations

import asyncio

import pytest
import stripe

from boxoffice.payments.gateway import Approved, Declined, NotCharged, StripeGateway
from tests.integration.payments.helpers import (
    APPROVE,
    GENERIC_DECLINE,
    INSUFFICIENT_FUNDS,
    PROCESSING_ERROR,
    card_payment_method,
    new_order_id,
    sdk_client,
)
from tests.support.sandbox_process import SandboxProcess

pytestmark = pytest.mark.asyncio

VISA = "pm_card_visa"


async def test_the_approving_test_card_is_captured(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    method = await card_payment_method(stripe_client, APPROVE)
    outcome = await gateway.charge(
        order_id=new_order_id(), amount=12000, currency="BRL", payment_method=method
    )
    assert isinstance(outcome, Approved)
    assert (outcome.amount, outcome.currency) == (12000, "BRL")
    intent = await stripe_client.v1.payment_intents.retrieve_async(outcome.intent_id)
    assert intent.status == "succeeded"
    assert intent.amount_received == 12000
    assert intent.currency == "brl"
    assert intent.latest_charge


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (GENERIC_DECLINE, "generic_decline"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        (PROCESSING_ERROR, "processing_error"),
    ],
)
async def test_declining_test_cards_are_declined_with_their_code(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, number: str, code: str
) -> None:
    method = await card_payment_method(stripe_client, number)
    outcome = await gateway.charge(
        order_id=new_order_id(), amount=5000, currency="brl", payment_method=method
    )
    assert isinstance(outcome, Declined)
    assert outcome.code == code
    assert outcome.intent_id is not None
    intent = await stripe_client.v1.payment_intents.retrieve_async(outcome.intent_id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None


async def test_a_decline_is_a_402_card_error_carrying_the_failed_intent(
    stripe_client: stripe.StripeClient,
) -> None:
    method = await card_payment_method(stripe_client, GENERIC_DECLINE)
    with pytest.raises(stripe.CardError) as declined:
        await stripe_client.v1.payment_intents.create_async(
            {"amount": 100, "currency": "brl", "payment_method": method, "confirm": True}
        )
    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error is not None
    assert declined.value.error.decline_code == "generic_decline"
    assert declined.value.error.payment_intent is not None
    assert declined.value.error.payment_intent.status == "requires_payment_method"


async def test_any_other_valid_card_approves(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    method = await card_payment_method(stripe_client, "378282246310005", cvc="1234")
    outcome = await gateway.charge(
        order_id=new_order_id(), amount=100, currency="usd", payment_method=method
    )
    assert isinstance(outcome, Approved)


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "4242424242424241"}, "incorrect_number"),
        ({"number": "1234567812345670"}, "invalid_number"),
        ({"exp_year": 2020}, "expired_card"),
        ({"cvc": "12"}, "invalid_cvc"),
    ],
)
async def test_bad_cards_are_refused_when_tokenised(
    stripe_client: stripe.StripeClient, card: dict[str, object], code: str
) -> None:
    with pytest.raises(stripe.CardError) as refused:
        await card_payment_method(stripe_client, **card)  # type: ignore[arg-type]
    assert refused.value.code == code


async def test_a_payment_method_keeps_brand_last4_and_expiry_only(
    stripe_client: stripe.StripeClient,
) -> None:
    method = await stripe_client.v1.payment_methods.create_async(
        {"type": "card", "card": {"number": "5555555555554444", "exp_month": 3, "exp_year": 2031}}
    )
    assert method.id.startswith("pm_")
    assert method.card is not None
    assert (method.card.brand, method.card.last4) == ("mastercard", "4444")
    assert (method.card.exp_month, method.card.exp_year) == (3, 2031)


async def test_an_unknown_payment_method_is_a_definite_decline(gateway: StripeGateway) -> None:
    outcome = await gateway.charge(
        order_id=new_order_id(), amount=100, currency="brl", payment_method="pm_does_not_exist"
    )
    assert isinstance(outcome, Declined)
    assert outcome.code == "invalid_payment_method"


async def test_a_non_positive_amount_is_refused_without_charging(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    method = await card_payment_method(stripe_client)
    order_id = new_order_id()
    outcome = await gateway.charge(
        order_id=order_id, amount=0, currency="brl", payment_method=method
    )
    assert isinstance(outcome, Declined)
    assert isinstance(await gateway.lookup(order_id), NotCharged)


async def test_lookup_finds_the_capture_for_an_order(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client)
    charged = await gateway.charge(
        order_id=order_id, amount=700, currency="BRL", payment_method=method
    )
    assert await gateway.lookup(order_id) == charged


async def test_lookup_reports_a_declined_order_as_declined(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client, INSUFFICIENT_FUNDS)
    await gateway.charge(order_id=order_id, amount=700, currency="BRL", payment_method=method)
    found = await gateway.lookup(order_id)
    assert isinstance(found, Declined)
    assert found.code == "insufficient_funds"


async def test_lookup_of_an_order_never_charged_is_not_charged(gateway: StripeGateway) -> None:
    assert isinstance(await gateway.lookup(new_order_id()), NotCharged)


async def test_lookup_handles_order_ids_with_quotes(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = f"o'brien\\{new_order_id()}"
    method = await card_payment_method(stripe_client)
    await gateway.charge(order_id=order_id, amount=100, currency="brl", payment_method=method)
    assert isinstance(await gateway.lookup(order_id), Approved)


async def test_the_publishable_key_tokenises_cards_but_cannot_charge(
    sandbox: SandboxProcess,
) -> None:
    async with sdk_client(sandbox, key=sandbox.publishable_key) as browser:
        method = await card_payment_method(browser)
        with pytest.raises(stripe.AuthenticationError):
            await browser.v1.payment_intents.create_async(
                {"amount": 100, "currency": "brl", "payment_method": method, "confirm": True}
            )
        with pytest.raises(stripe.AuthenticationError):
            await browser.v1.payment_intents.list_async()


async def test_keys_that_are_not_test_secret_keys_are_refused(sandbox: SandboxProcess) -> None:
    async with sdk_client(sandbox, key="sk_live_nope") as client:
        with pytest.raises(stripe.AuthenticationError) as refused:
            await client.v1.payment_intents.list_async()
    assert refused.value.http_status == 401


async def test_hundreds_of_concurrent_charges_are_each_captured_once(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    orders = [new_order_id() for _ in range(250)]
    outcomes = await asyncio.gather(
        *(
            gateway.charge(order_id=order, amount=100, currency="brl", payment_method=VISA)
            for order in orders
        )
    )
    assert all(isinstance(outcome, Approved) for outcome in outcomes)
    assert len({outcome.intent_id for outcome in outcomes if isinstance(outcome, Approved)}) == 250
