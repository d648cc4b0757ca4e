"""The answers a purchase gives, stored once and replayed for the same idempotency key.

Stored bodies never contain the order's access token: it is derived from
the order id and the secret key (`SalesContext.access_token`) and added at
the door, so the database holds nothing that opens an order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from boxoffice.errors import BoxofficeError
from boxoffice.tickets.codes import format_code


@dataclass(frozen=True, slots=True)
class PurchaseAnswer:
    status: int
    body: dict[str, Any]

    @property
    def is_problem(self) -> bool:
        return self.status >= 400

    def dump(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))


def problem_body(error: BoxofficeError) -> dict[str, Any]:
    return {
        "type": f"https://boxoffice.dev/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        **error.extra,
    }


def refusal(error: BoxofficeError) -> PurchaseAnswer:
    return PurchaseAnswer(error.status, problem_body(error))


def paid(
    *, order_id: str, total: int, currency: str, tickets: list[dict[str, Any]]
) -> PurchaseAnswer:
    return PurchaseAnswer(
        201,
        {
            "id": order_id,
            "status": "paid",
            "total": total,
            "currency": currency,
            "tickets": tickets,
        },
    )


def pending(*, order_id: str, total: int, currency: str) -> PurchaseAnswer:
    return PurchaseAnswer(
        202, {"id": order_id, "status": "pending", "total": total, "currency": currency}
    )


def stored(status: int, body: str) -> PurchaseAnswer:
    return PurchaseAnswer(status, json.loads(body))


def with_access(answer: PurchaseAnswer, token: str) -> dict[str, Any]:
    """The body as the buyer sees it: with the access token and ticket links."""
    if answer.is_problem:
        return answer.body
    body = dict(answer.body)
    body["access_token"] = token
    if "tickets" in body:
        body["tickets"] = [ticket_view(t, token) for t in body["tickets"]]
    return body


def ticket_view(ticket: dict[str, Any], token: str) -> dict[str, Any]:
    code = format_code(ticket["code"])
    return {**ticket, "code": code, "url": f"/t/{code}?token={token}"}
