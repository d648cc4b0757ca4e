"""Typed domain errors, each with its stable public `code`.

Services raise these; one place (boxoffice.web.problems) turns them into
RFC 9457 problem documents, and the CLI into exit messages. The `code`
strings are part of the public contract: never rename one.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BoxofficeError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(BoxofficeError):
    code = "invalid_request"
    status = 422
    title = "Invalid request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **({"field": field} if field else {}), **extra)
        self.field = field


class Unauthorized(BoxofficeError):
    code = "unauthorized"
    status = 401
    title = "Missing or wrong credentials"


class Forbidden(BoxofficeError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class NotFound(BoxofficeError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(BoxofficeError):
    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class NotPublishable(Conflict):
    code = "not_publishable"
    title = "The event cannot be published"


class SoldOut(Conflict):
    code = "sold_out"
    title = "Sold out"


class NotOnSale(Conflict):
    code = "not_on_sale"
    title = "Not on sale"


class NoWaitingRoom(Conflict):
    code = "no_waiting_room"
    title = "The event has no waiting room"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key already used with a different request"


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    title = "A request with this idempotency key is still being processed"


class OrderNotRefundable(Conflict):
    code = "not_refundable"
    title = "The order cannot be refunded"


class BuyerLimitReached(BoxofficeError):
    code = "buyer_limit_reached"
    status = 429
    title = "Per-buyer limit reached"


class RateLimited(BoxofficeError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class CardDeclined(BoxofficeError):
    code = "card_declined"
    status = 402
    title = "The card was declined"


class Busy(BoxofficeError):
    """Contention we could not resolve within our retry budget: try again shortly."""

    code = "busy"
    status = 503
    title = "Temporarily unable to complete the request"


class DatabaseUnavailable(BoxofficeError):
    """The database did not answer or dropped us: down, restarting, failing over, out of
    connections. The same request is safe to send again: a purchase with the same
    Idempotency-Key is never charged twice. (A purchase never gets this once its card may
    have been charged: that is a 202 pending, settled by the reconciler.)"""

    code = "database_unavailable"
    status = 503
    title = "The database is not answering"


class GatewayUnavailable(BoxofficeError):
    code = "gateway_unavailable"
    status = 503
    title = "The card gateway did not answer"


class AdmissionPassRequired(Forbidden):
    code = "waiting_room_pass_required"
    title = "This sale is queued: a valid waiting-room pass is required"


class WaitingRoomUnavailable(BoxofficeError):
    """Fail closed: without the queue's store we cannot tell who was admitted."""

    code = "waiting_room_unavailable"
    status = 503
    title = "The waiting room is unavailable"
