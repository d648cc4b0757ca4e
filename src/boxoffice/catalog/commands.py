"""What a partner may ask of the catalog, validated before anything is written.

These models are the single place where catalog input rules live: the HTTP
API, the CLI and the demo seed all go through them, so a rule cannot be
enforced in one door and forgotten in another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from boxoffice.email_address import EmailAddress
from boxoffice.money import MAX_PRICE_MINOR, is_known_currency

MAX_CAPACITY = 10_000_000
MAX_PER_BUYER_LIMIT = 100


def _known_currency(code: str) -> str:
    upper = code.upper()
    if not is_known_currency(upper):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return upper


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("must include a time zone offset (RFC 3339)")
    return moment.astimezone(UTC)


Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_known_currency)]
Moment = Annotated[datetime, AfterValidator(_aware)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewPartner(Strict):
    name: Name
    email: EmailAddress


class NewTicketType(Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    price: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR, strict=True)]
    currency: Currency
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY, strict=True)]


class NewEvent(Strict):
    name: Name
    venue: Name
    starts_at: Moment
    per_buyer_limit: Annotated[int, Field(ge=1, le=MAX_PER_BUYER_LIMIT, strict=True)] | None = None
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    waiting_room: bool = False
    # Show a QR code that changes every 30 s (boxoffice.tickets.rotating): screenshots expire.
    rotating_qr: bool = False
    ticket_types: Annotated[list[NewTicketType], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.sales_start and self.sales_end and self.sales_end <= self.sales_start:
            raise ValueError("sales_end must be after sales_start")
        currencies = {tt.currency for tt in self.ticket_types}
        if len(currencies) > 1:
            raise ValueError("all ticket types of an event must share one currency")
        names = [tt.name.casefold() for tt in self.ticket_types]
        if len(set(names)) != len(names):
            raise ValueError("ticket type names must be unique within the event")
        return self
