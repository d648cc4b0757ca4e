"""The payment gateway port, and its adapter on the official `stripe` SDK.

The service charges a card once per order and must never sell a ticket it was
not paid for nor charge twice. Three rules make that hold:

- **The order id is the idempotency key** (`charge:{order_id}`): however often
  a charge for an order is retried, by us or by a reconciler in another
  process, the gateway executes it at most once and replays its answer.
- **Only a definite answer is an answer.** `Approved` and `Declined` come from
  the gateway's own verdict. A timeout, a dropped connection, a 5xx, a request
  still in progress (409) or anything unexpected is `Unknown`: the charge may
  or may not have happened, so the order stays pending and is settled later by
  `lookup`, never released as if declined.
- **We decide retries.** The SDK's own retries are off (`max_network_retries=0`);
  a retry is a policy of the purchase flow and the reconciler, not of a socket.

`lookup` finds an order's intents with Stripe's search. The sandbox answers
search from its ledger (strongly consistent); real Stripe's search index lags
writes by up to a minute (occasionally more during incidents), so against real
Stripe a reconciler must not trust `NotCharged` for an order younger than that.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import stripe

logger = logging.getLogger(__name__)

# No client telemetry to the gateway: the SDK would otherwise describe this host (its
# platform string) and report each request's timings on the next one.
stripe.enable_telemetry = False

_PENDING_STATUSES = frozenset(
    {"processing", "requires_action", "requires_capture", "requires_confirmation"}
)


@dataclass(frozen=True, slots=True)
class Approved:
    """The gateway captured `amount` (minor units) in `currency` (upper-case ISO 4217)."""

    intent_id: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class Declined:
    """A definite no: nothing was charged. `code` is the decline code, else the error code."""

    code: str
    message: str
    intent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unknown:
    """The outcome is not known (timeout, network error, 5xx, in progress): never a decline."""

    reason: str


@dataclass(frozen=True, slots=True)
class NotCharged:
    """Lookup: the gateway holds no charge, successful or failed, for this order."""


@dataclass(frozen=True, slots=True)
class Refunded:
    refund_id: str


ChargeOutcome = Approved | Declined | Unknown
LookupOutcome = Approved | Declined | NotCharged | Unknown
RefundOutcome = Refunded | Declined | Unknown


class PaymentGateway(Protocol):
    """What the sales flow needs from a card gateway; outcomes are values, never exceptions."""

    async def charge(
        self, *, order_id: str, amount: int, currency: str, payment_method: str
    ) -> ChargeOutcome: ...

    async def lookup(self, order_id: str) -> LookupOutcome: ...

    async def refund(self, *, order_id: str, intent_id: str) -> RefundOutcome: ...

    async def aclose(self) -> None: ...


def charge_idempotency_key(order_id: str) -> str:
    return f"charge:{order_id}"


def refund_idempotency_key(order_id: str) -> str:
    return f"refund:{order_id}"


class _AIOHTTPClient(stripe.AIOHTTPClient):
    """The SDK's aiohttp client, with one connection pool sized for a flash sale.

    Why aiohttp and not the SDK's httpx client: httpcore scans its whole pool on
    every request and response, which with 200 connections in flight cost 4-5 ms
    of CPU per charge; aiohttp's pool costs a fraction of that (measured in
    docs/benchmarks.md). The session is created lazily, inside the running loop.
    """

    def __init__(self, *, timeout: float, max_connections: int) -> None:
        super().__init__(timeout=aiohttp.ClientTimeout(total=timeout))
        self._max_connections = max_connections

    @property
    def _session(self) -> aiohttp.ClientSession:
        cached: aiohttp.ClientSession | None = self._cached_session
        if cached is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                ssl=ssl.create_default_context(cafile=stripe.ca_bundle_path),
            )
            cached = aiohttp.ClientSession(connector=connector)
            self._cached_session = cached  # type: ignore[assignment]
        return cached


class StripeGateway:
    """`PaymentGateway` over Stripe's API, for real Stripe or the sandbox acquirer.

    One SDK client (and its pools of up to `max_connections` connections) serves
    every call; `timeout_seconds` bounds each phase of a request (connect, write,
    wait for the answer), and is what turns a hung acquirer into `Unknown`
    instead of a stuck buyer.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout_seconds: float = 10.0,
        max_connections: int = 200,
    ) -> None:
        self._http = _AIOHTTPClient(timeout=timeout_seconds, max_connections=max_connections)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base_url.rstrip("/")},
            max_network_retries=0,
            http_client=self._http,
        )

    async def charge(
        self, *, order_id: str, amount: int, currency: str, payment_method: str
    ) -> ChargeOutcome:
        """One charge, through the SDK's raw request: the SDK's authentication, encoding and
        error mapping (a decline still raises `CardError`), without building the response's
        `StripeObject` tree, which cost a third of the SDK's CPU per charge (~110 of ~400 µs,
        docs/benchmarks.md). The answer is read as the plain JSON object it is."""
        try:
            response = await self._client.raw_request_async(
                "post",
                "/v1/payment_intents",
                amount=amount,
                currency=currency.lower(),
                payment_method=payment_method,
                # Cards only, no redirects: real Stripe then needs no return_url.
                automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
                confirm=True,
                metadata={"order_id": order_id},
                idempotency_key=charge_idempotency_key(order_id),
            )
            # Inside the guard: an answer we cannot read is unknown, never a crash after a
            # charge may have happened.
            return _intent_outcome(response.data)
        except stripe.CardError as error:
            details = error.error
            intent_id = details.payment_intent.id if details and details.payment_intent else None
            code = (details.decline_code if details else None) or error.code or "card_declined"
            return Declined(code=code, message=error.user_message or "", intent_id=intent_id)
        except Exception as error:
            return _failure(error, action="charge", order_id=order_id)

    async def lookup(self, order_id: str) -> LookupOutcome:
        try:
            result = await self._client.v1.payment_intents.search_async(
                {"query": order_query(order_id), "limit": 100}
            )
        except Exception as error:
            return _unknown(error, action="lookup", order_id=order_id)
        intents = list(result.data)
        succeeded = [intent for intent in intents if intent.status == "succeeded"]
        if len(succeeded) > 1:
            logger.error("order %s has %d captured intents", order_id, len(succeeded))
        if succeeded:
            return _intent_outcome(succeeded[0].to_dict())
        if not intents:
            return NotCharged()
        if any(intent.status in _PENDING_STATUSES for intent in intents):
            return Unknown(f"an intent for order {order_id} is still in progress")
        outcome = _intent_outcome(intents[0].to_dict())
        return NotCharged() if isinstance(outcome, Unknown) else outcome

    async def refund(self, *, order_id: str, intent_id: str) -> RefundOutcome:
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": intent_id},
                {"idempotency_key": refund_idempotency_key(order_id)},
            )
        except stripe.InvalidRequestError as error:
            if error.code == "charge_already_refunded":
                return await self._existing_refund(intent_id)
            return _failure(error, action="refund", order_id=order_id)
        except Exception as error:
            return _failure(error, action="refund", order_id=order_id)
        if refund.status in ("failed", "canceled"):
            return Declined(code=f"refund_{refund.status}", message="", intent_id=intent_id)
        return Refunded(refund.id)

    async def _existing_refund(self, intent_id: str) -> RefundOutcome:
        """Refunding twice is refunded: find the refund that already exists."""
        try:
            refunds = await self._client.v1.refunds.list_async(
                {"payment_intent": intent_id, "limit": 1}
            )
        except Exception as error:
            return _unknown(error, action="refund lookup", order_id=intent_id)
        if not refunds.data:
            return Unknown(f"intent {intent_id} is refunded but its refund was not found")
        return Refunded(refunds.data[0].id)

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]


def order_query(order_id: str) -> str:
    """Stripe's search query for an order's intents, with the value quoted safely."""
    escaped = order_id.replace("\\", "\\\\").replace("'", "\\'")
    return f"metadata['order_id']:'{escaped}'"


def _intent_outcome(intent: Mapping[str, Any]) -> ChargeOutcome:
    """An intent's verdict, from its JSON (a charge's raw answer, or `PaymentIntent.to_dict()`)."""
    status = intent.get("status")
    if status == "succeeded":
        return Approved(intent["id"], intent["amount"], str(intent["currency"]).upper())
    error = intent.get("last_payment_error")
    if status in ("requires_payment_method", "canceled") and error is not None:
        code = error.get("decline_code") or error.get("code") or "card_declined"
        return Declined(code=code, message=error.get("message") or "", intent_id=intent["id"])
    return Unknown(f"payment intent {intent.get('id')} is {status}")


def _failure(error: Exception, *, action: str, order_id: str) -> Declined | Unknown:
    """A 400 the gateway refused before doing anything is a definite no; the rest is unknown.

    An idempotency error is unknown too: the key was used before with other
    parameters, so a charge for this order may exist.
    """
    if (
        isinstance(error, stripe.InvalidRequestError)
        and not isinstance(error, stripe.IdempotencyError)
        and error.http_status == 400
    ):
        code = error.code or "invalid_request"
        if code == "resource_missing" and error.param == "payment_method":
            code = "invalid_payment_method"
        return Declined(code=code, message=error.user_message or "")
    return _unknown(error, action=action, order_id=order_id)


def _unknown(error: Exception, *, action: str, order_id: str) -> Unknown:
    status = getattr(error, "http_status", None)
    reason = f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")
    logger.warning("gateway %s for order %s has no answer: %s", action, order_id, reason)
    return Unknown(reason)
