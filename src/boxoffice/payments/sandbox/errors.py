"""Stripe-shaped errors: `{"error": {"type", "code", "message", ...}}` with Stripe's statuses.

The official SDK picks its exception class from the status code and the
`type` (402 → `CardError`, 400 `idempotency_error` → `IdempotencyError`, 401 →
`AuthenticationError`, 5xx → `APIError`), so matching both is what makes the
client code that runs against the sandbox the same code that runs against Stripe.
"""

from __future__ import annotations

from typing import Any

CARD_MESSAGES: dict[str, str] = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "invalid_number": "Your card number is not a valid credit card number.",
    "incorrect_number": "Your card number is incorrect.",
    "invalid_expiry_month": "Your card's expiration month is invalid.",
    "invalid_expiry_year": "Your card's expiration year is invalid.",
    "expired_card": "Your card has expired.",
    "invalid_cvc": "Your card's security code is invalid.",
}


class ApiError(Exception):
    """An error answer; raising it inside an idempotent request stores nothing."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"type": type_, "message": message}
        if code is not None:
            self.error["code"] = code
        if decline_code is not None:
            self.error["decline_code"] = decline_code
        if param is not None:
            self.error["param"] = param
        self.error.update(extra or {})

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid_request(message: str, *, code: str | None = None, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request_error", message, code=code, param=param)


def missing_param(param: str) -> ApiError:
    return invalid_request(
        f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def no_such(kind: str, object_id: str, *, param: str | None = None) -> ApiError:
    """A missing object: 400 when named by a parameter, 404 when named by the URL."""
    status = 400 if param else 404
    return ApiError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def card_error(code: str, *, param: str | None = None) -> ApiError:
    return ApiError(
        402,
        "card_error",
        CARD_MESSAGES.get(code, "Your card was declined."),
        code=code,
        param=param,
    )


def authentication(message: str) -> ApiError:
    return ApiError(401, "invalid_request_error", message)


def idempotency_mismatch(key: str) -> ApiError:
    return ApiError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were"
        f" first used with. Try using a key other than '{key}' if you meant to execute a"
        " different request.",
    )


def idempotency_in_progress(key: str) -> ApiError:
    return ApiError(
        409,
        "idempotency_error",
        f"The request with idempotency key '{key}' is currently being processed;"
        " retry later to see its result.",
        code="idempotency_key_in_use",
    )


def api_error() -> ApiError:
    return ApiError(
        500,
        "api_error",
        "An unexpected error occurred in the (sandbox) card network. It was not charged.",
    )
