"""Creating payment methods, payment intents and refunds, as Stripe's API does.

Each operation is two halves: `parse_*` validates the form on the event loop
(pure, and a parameter error costs no trip to the ledger thread), and
`create_*` does the ledger work inside the idempotent transaction, returning
the status and body to answer and to store for replays.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from boxoffice.payments.cards import InvalidCard, Outcome, check_card
from boxoffice.payments.sandbox import errors
from boxoffice.payments.sandbox._forms import Form, get_dict, get_str
from boxoffice.payments.sandbox.store import PaymentMethodRow, Store

PM_ALIASES: dict[str, PaymentMethodRow] = {
    row.id: row
    for row in (
        PaymentMethodRow("pm_card_visa", "visa", "4242", 12, 2034, Outcome.APPROVE),
        PaymentMethodRow("pm_card_mastercard", "mastercard", "4444", 12, 2034, Outcome.APPROVE),
        PaymentMethodRow("pm_card_amex", "amex", "8431", 12, 2034, Outcome.APPROVE),
        PaymentMethodRow(
            "pm_card_chargeDeclined", "visa", "0002", 12, 2034, Outcome.GENERIC_DECLINE
        ),
        PaymentMethodRow(
            "pm_card_chargeDeclinedInsufficientFunds",
            "visa",
            "9995",
            12,
            2034,
            Outcome.INSUFFICIENT_FUNDS,
        ),
        PaymentMethodRow(
            "pm_card_chargeDeclinedProcessingError",
            "visa",
            "0119",
            12,
            2034,
            Outcome.PROCESSING_ERROR,
        ),
    )
}
"""Stripe's well-known test payment methods, so load tests can skip tokenising a card."""

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


# payment methods ---------------------------------------------------------------------------


def parse_payment_method(form: Form, *, today: date) -> PaymentMethodRow:
    """Check the card now, as Stripe does; keep only what may be kept (no PAN, no CVC)."""
    if get_str(form, "type") != "card":
        raise errors.invalid_request(
            "The sandbox supports only type=card.", code="parameter_invalid", param="type"
        )
    card = get_dict(form, "card")
    fields = {name: get_str(card, name) for name in ("number", "exp_month", "exp_year")}
    for name, value in fields.items():
        if not value:
            raise errors.missing_param(f"card[{name}]")
    try:
        checked = check_card(
            number=fields["number"] or "",
            exp_month=fields["exp_month"] or "",
            exp_year=fields["exp_year"] or "",
            cvc=get_str(card, "cvc"),
            today=today,
        )
    except InvalidCard as invalid:
        raise errors.card_error(invalid.code, param=invalid.param) from None
    return PaymentMethodRow(
        new_id("pm"),
        checked.brand,
        checked.last4,
        checked.exp_month,
        checked.exp_year,
        checked.outcome,
    )


def create_payment_method(
    store: Store, row: PaymentMethodRow, *, now: int
) -> tuple[int, dict[str, Any]]:
    store.insert_payment_method(row, created=now)
    return 200, payment_method_body(row, created=now)


def payment_method_body(row: PaymentMethodRow, *, created: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "payment_method",
        "type": "card",
        "card": {
            "brand": row.brand,
            "last4": row.last4,
            "exp_month": row.exp_month,
            "exp_year": row.exp_year,
        },
        "created": created,
        "livemode": False,
        "metadata": {},
    }


# payment intents ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentRequest:
    amount: int
    currency: str
    payment_method: str
    metadata: dict[str, str]
    description: str | None


def parse_intent(form: Form) -> IntentRequest:
    amount_text = get_str(form, "amount")
    if amount_text is None:
        raise errors.missing_param("amount")
    if not amount_text.isdigit() or int(amount_text) <= 0:
        raise errors.invalid_request(
            "Invalid positive integer", code="parameter_invalid_integer", param="amount"
        )
    currency = get_str(form, "currency")
    if currency is None:
        raise errors.missing_param("currency")
    if not _CURRENCY.match(currency):
        raise errors.invalid_request(
            f"Invalid currency: {currency}.", code="parameter_invalid", param="currency"
        )
    payment_method = get_str(form, "payment_method")
    if not payment_method:
        raise errors.missing_param("payment_method")
    if get_str(form, "confirm") != "true":
        raise errors.invalid_request(
            "The sandbox supports only confirm=true (charge at creation).",
            code="parameter_invalid",
            param="confirm",
        )
    metadata = {k: v for k, v in get_dict(form, "metadata").items() if isinstance(v, str)}
    return IntentRequest(
        int(amount_text),
        currency.lower(),
        payment_method,
        metadata,
        get_str(form, "description"),
    )


def create_intent(store: Store, request: IntentRequest, *, now: int) -> tuple[int, dict[str, Any]]:
    """Charge at once: `succeeded` with a charge, or a 402 carrying the failed intent."""
    method = PM_ALIASES.get(request.payment_method) or store.payment_method(request.payment_method)
    if method is None:
        raise errors.no_such("PaymentMethod", request.payment_method, param="payment_method")
    intent_id = new_id("pi")
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": request.amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": request.currency,
        "description": request.description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": request.metadata,
        "payment_method": method.id,
        "payment_method_types": ["card"],
        "status": "succeeded",
    }
    answer: tuple[int, dict[str, Any]]
    if method.outcome == Outcome.APPROVE:
        charge_id = new_id("ch")
        intent.update(amount_received=request.amount, latest_charge=charge_id)
        store.insert_charge(
            charge_id=charge_id,
            intent_id=intent_id,
            amount=request.amount,
            currency=request.currency,
            created=now,
        )
        answer = (200, intent)
    else:
        failure = _card_failure(method.outcome)
        intent.update(status="requires_payment_method", last_payment_error=dict(failure.error))
        failure.error["payment_intent"] = intent
        answer = (failure.status, failure.body())
    store.insert_intent(
        intent_id=intent_id,
        order_id=request.metadata.get("order_id"),
        status=intent["status"],
        amount=request.amount,
        currency=request.currency,
        created=now,
        body=json.dumps(intent, separators=(",", ":")),
    )
    return answer


def _card_failure(outcome: str) -> errors.ApiError:
    if outcome == Outcome.PROCESSING_ERROR:
        return errors.card_error("processing_error")
    failure = errors.card_error("card_declined")
    failure.error["decline_code"] = outcome
    failure.error["message"] = errors.CARD_MESSAGES.get(outcome, "Your card was declined.")
    return failure


# refunds -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_intent: str
    amount: int | None
    reason: str | None
    metadata: dict[str, str]


def parse_refund(form: Form) -> RefundRequest:
    intent_id = get_str(form, "payment_intent")
    if not intent_id:
        raise errors.missing_param("payment_intent")
    amount_text = get_str(form, "amount")
    if amount_text is not None and (not amount_text.isdigit() or int(amount_text) <= 0):
        raise errors.invalid_request(
            "Invalid positive integer", code="parameter_invalid_integer", param="amount"
        )
    reason = get_str(form, "reason")
    if reason is not None and reason not in _REFUND_REASONS:
        raise errors.invalid_request("Invalid reason.", code="parameter_invalid", param="reason")
    metadata = {k: v for k, v in get_dict(form, "metadata").items() if isinstance(v, str)}
    return RefundRequest(intent_id, int(amount_text) if amount_text else None, reason, metadata)


def create_refund(store: Store, request: RefundRequest, *, now: int) -> tuple[int, dict[str, Any]]:
    """Refund the whole charge once; a second refund is refused as Stripe refuses it."""
    if store.intent_seq(request.payment_intent) is None:
        raise errors.no_such("payment_intent", request.payment_intent, param="payment_intent")
    charge = store.charge_for_intent(request.payment_intent)
    if charge is None:
        raise errors.invalid_request(
            f"PaymentIntent {request.payment_intent} has no successful charge to refund.",
            code="payment_intent_unexpected_state",
            param="payment_intent",
        )
    if charge.amount_refunded >= charge.amount:
        raise errors.invalid_request(
            f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
        )
    if request.amount is not None and request.amount != charge.amount:
        raise errors.invalid_request(
            "The sandbox refunds only the full amount of a charge.",
            code="parameter_invalid_integer",
            param="amount",
        )
    refund: dict[str, Any] = {
        "id": new_id("re"),
        "object": "refund",
        "amount": charge.amount,
        "charge": charge.id,
        "created": now,
        "currency": charge.currency,
        "metadata": request.metadata,
        "payment_intent": request.payment_intent,
        "reason": request.reason,
        "status": "succeeded",
    }
    store.insert_refund(
        refund_id=refund["id"],
        charge=charge,
        intent_id=request.payment_intent,
        created=now,
        body=json.dumps(refund, separators=(",", ":")),
    )
    return 200, refund
