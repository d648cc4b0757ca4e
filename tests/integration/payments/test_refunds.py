"""Refunding a captured order: once, and idempotently."""

from __future__ import annotations

import pytest
import stripe

from boxoffice.payments.gateway import Approved, Declined, Refunded, StripeGateway
from tests.integration.payments.helpers import GENERIC_DECLINE, card_payment_method, new_order_id

pytestmark = pytest.mark.asyncio


async def paid_order(gateway: StripeGateway, client: stripe.StripeClient) -> tuple[str, Approved]:
    order_id = new_order_id()
    method = await card_payment_method(client)
    outcome = await gateway.charge(
        order_id=order_id, amount=2500, currency="brl", payment_method=method
    )
    assert isinstance(outcome, Approved)
    return order_id, outcome


async def test_a_captured_order_is_refunded_in_full(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id, paid = await paid_order(gateway, stripe_client)
    outcome = await gateway.refund(order_id=order_id, intent_id=paid.intent_id)
    assert isinstance(outcome, Refunded)
    refunds = await stripe_client.v1.refunds.list_async({"payment_intent": paid.intent_id})
    assert [(r.id, r.amount, r.status) for r in refunds.data] == [
        (outcome.refund_id, 2500, "succeeded")
    ]


async def test_a_second_refund_of_an_intent_is_refused_as_already_refunded(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id, paid = await paid_order(gateway, stripe_client)
    await gateway.refund(order_id=order_id, intent_id=paid.intent_id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await stripe_client.v1.refunds.create_async(
            {"payment_intent": paid.intent_id}, {"idempotency_key": "another-key"}
        )
    assert refused.value.code == "charge_already_refunded"


async def test_refunding_again_through_the_gateway_reports_the_same_refund(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id, paid = await paid_order(gateway, stripe_client)
    first = await gateway.refund(order_id=order_id, intent_id=paid.intent_id)
    # A retry with the same key replays; a refund made under another key is found.
    again = await gateway.refund(order_id=order_id, intent_id=paid.intent_id)
    other_order = await gateway.refund(order_id=new_order_id(), intent_id=paid.intent_id)
    assert first == again == other_order
    refunds = await stripe_client.v1.refunds.list_async({"payment_intent": paid.intent_id})
    assert len(refunds.data) == 1


async def test_an_order_that_was_never_captured_cannot_be_refunded(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    order_id = new_order_id()
    method = await card_payment_method(stripe_client, GENERIC_DECLINE)
    declined = await gateway.charge(
        order_id=order_id, amount=100, currency="brl", payment_method=method
    )
    assert isinstance(declined, Declined)
    assert declined.intent_id is not None
    outcome = await gateway.refund(order_id=order_id, intent_id=declined.intent_id)
    assert isinstance(outcome, Declined)
