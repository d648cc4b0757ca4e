"""What a buyer may ask for, validated before anything is held or charged."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.email_address import EmailAddress

MAX_TICKETS_PER_LINE = 50
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(Strict):
    ticket_type_id: Annotated[str, Field(min_length=1, max_length=40)]
    quantity: Annotated[int, Field(ge=1, le=MAX_TICKETS_PER_LINE, strict=True)]


class Buyer(Strict):
    email: EmailAddress
    name: Annotated[str, Field(min_length=1, max_length=200)]


class PlaceOrder(Strict):
    event_id: Annotated[str, Field(min_length=1, max_length=40)]
    items: Annotated[list[Item], Field(min_length=1, max_length=20)]
    buyer: Buyer
    # Only the gateway's token ever reaches us: never a card number.
    payment_method: Annotated[str, Field(pattern=r"^pm_[A-Za-z0-9_]{1,250}$")]
