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


# A language tag (BCP 47's shape: "pt-BR", "en", "pt_BR"); one the site does not speak falls
# back to the request's language, then the site's default. Not a free-text field.
LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,4}$"


class Buyer(Strict):
    email: EmailAddress
    name: Annotated[str, Field(min_length=1, max_length=200)]
    # The language the tickets e-mail and PDF are written in.
    locale: Annotated[str | None, Field(max_length=35, pattern=LANGUAGE_TAG_PATTERN)] = None


class PlaceOrder(Strict):
    event_id: Annotated[str, Field(min_length=1, max_length=40)]
    items: Annotated[list[Item], Field(min_length=1, max_length=20)]
    buyer: Buyer
    # Only the gateway's token ever reaches us: never a card number.
    payment_method: Annotated[str, Field(pattern=r"^pm_[A-Za-z0-9_]{1,250}$")]
