"""The event form: what a partner typed, turned into a `NewEvent` or into errors to show.

The catalog's rules live in `boxoffice.catalog.commands.NewEvent` (the API uses the same
model); this module only translates between a web form and it: wall-clock times typed in
the display time zone, prices typed the way people write money ("1.200,50", "1,200.50",
"120"), blank ticket type rows ignored, and each validation error placed next to its field.
Error texts are message ids, translated by the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from boxoffice.catalog.commands import NewEvent
from boxoffice.i18n import N_, Formats
from boxoffice.money import minor_unit_digits

CURRENCIES = ("BRL", "USD", "EUR", "ARS", "CLP", "MXN", "GBP")
ROWS_SHOWN = 2  # blank ticket type rows on a new form


REQUIRED = N_("Required.")
_BY_ERROR_TYPE = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "string_too_long": N_("Too long."),
    "greater_than_equal": N_("Too small."),
    "less_than_equal": N_("Too large."),
    "int_type": N_("Enter a whole number."),
    "int_parsing": N_("Enter a whole number."),
}
_BY_MODEL_ERROR = {
    "sales_end": N_("Sales must end after they start."),
    "unique": N_("Each ticket type needs its own name."),
    "currency": N_("All ticket types share the event's currency."),
}


@dataclass
class TypeRow:
    name: str = ""
    price: str = ""
    capacity: str = ""

    @property
    def blank(self) -> bool:
        return not (self.name or self.price or self.capacity)


@dataclass
class EventForm:
    name: str = ""
    venue: str = ""
    starts_at: str = ""
    per_buyer_limit: str = ""
    sales_start: str = ""
    sales_end: str = ""
    currency: str = "BRL"
    rotating_qr: bool = False
    types: list[TypeRow] = field(default_factory=lambda: [TypeRow() for _ in range(ROWS_SHOWN)])
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_event(cls, event: dict[str, Any], fmt: Formats) -> EventForm:
        types = event["ticket_types"]
        currency = types[0]["currency"] if types else "BRL"
        return cls(
            name=event["name"],
            venue=event["venue"],
            starts_at=fmt.local_input(event["starts_at"]),
            per_buyer_limit=str(event["per_buyer_limit"] or ""),
            sales_start=fmt.local_input(event["sales_start"]),
            sales_end=fmt.local_input(event["sales_end"]),
            currency=currency,
            rotating_qr=bool(event.get("rotating_qr")),
            types=[
                TypeRow(t["name"], fmt.amount_input(t["price"], currency), str(t["capacity"]))
                for t in types
            ]
            + [TypeRow()],
        )

    @classmethod
    def posted(cls, form: dict[str, str]) -> EventForm:
        rows = []
        for index in range(50):
            row = TypeRow(*(form.get(f"type-{index}-{part}", "") for part in TYPE_PARTS))
            if f"type-{index}-name" not in form:
                break
            rows.append(row)
        return cls(
            name=form.get("name", ""),
            venue=form.get("venue", ""),
            starts_at=form.get("starts_at", ""),
            per_buyer_limit=form.get("per_buyer_limit", ""),
            sales_start=form.get("sales_start", ""),
            sales_end=form.get("sales_end", ""),
            currency=form.get("currency", "BRL").upper(),
            rotating_qr=form.get("rotating_qr") in ("on", "true", "1"),
            types=rows or [TypeRow()],
        )

    @property
    def currencies(self) -> list[str]:
        return list(CURRENCIES) if self.currency in CURRENCIES else [*CURRENCIES, self.currency]

    def command(self, zone: ZoneInfo) -> NewEvent | None:
        """The validated command, or None with `errors` filled in for the form."""
        self.errors = {}
        body: dict[str, Any] = {"name": self.name, "venue": self.venue}
        body["starts_at"] = self._moment("starts_at", self.starts_at, zone, required=True)
        body["sales_start"] = self._moment("sales_start", self.sales_start, zone)
        body["sales_end"] = self._moment("sales_end", self.sales_end, zone)
        body["per_buyer_limit"] = self._whole("per_buyer_limit", self.per_buyer_limit)
        body["rotating_qr"] = self.rotating_qr
        rows = [(i, row) for i, row in enumerate(self.types) if not row.blank]
        body["ticket_types"] = [
            {
                "name": row.name,
                "price": self._price(f"type-{i}-price", row.price),
                "currency": self.currency,
                "capacity": self._whole(f"type-{i}-capacity", row.capacity, required=True),
            }
            for i, row in rows
        ]
        if not rows:
            self.errors["type-0-name"] = N_("Add at least one ticket type.")
        try:
            command = NewEvent.model_validate(body)
        except ValidationError as invalid:  # every mistake at once, ours placed first
            for error in invalid.errors():
                self._place(error, [i for i, _ in rows])
            return None
        return None if self.errors else command

    def _place(self, error: Any, row_of: list[int]) -> None:
        loc = tuple(error.get("loc", ()))
        if loc[:1] == ("ticket_types",) and len(loc) >= 3 and isinstance(loc[1], int):
            name = f"type-{row_of[loc[1]]}-{loc[2]}"
        elif loc and isinstance(loc[0], str):
            name = loc[0]
        else:
            text = str(error.get("msg", ""))
            key = next((k for k in _BY_MODEL_ERROR if k in text), None)
            name = "sales_end" if key == "sales_end" else "form"
            self.errors.setdefault(name, _BY_MODEL_ERROR[key] if key else N_("Check the form."))
            return
        self.errors.setdefault(name, _BY_ERROR_TYPE.get(error.get("type"), N_("Not valid.")))

    def _moment(
        self, name: str, text: str, zone: ZoneInfo, *, required: bool = False
    ) -> datetime | None:
        if not text:
            if required:
                self.errors[name] = REQUIRED
            return None
        try:
            return datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError:
            self.errors[name] = N_("Enter a date and time.")
            return None

    def _whole(self, name: str, text: str, *, required: bool = False) -> int | None:
        if not text:
            if required:
                self.errors[name] = REQUIRED
            return None
        if not text.isdigit():
            self.errors[name] = N_("Enter a whole number.")
            return None
        return int(text)

    def _price(self, name: str, text: str) -> int | None:
        amount = parse_amount(text, self.currency)
        if amount is None:
            self.errors[name] = N_("Enter a price such as 120,00.")
        return amount


TYPE_PARTS = ("name", "price", "capacity")
_AMOUNT = re.compile(r"^\d{1,3}(?:[.,\s]?\d{3})*(?:[.,]\d+)?$|^\d+(?:[.,]\d+)?$")


def parse_amount(text: str, currency: str) -> int | None:
    """Minor units for a typed price, whichever of "." and "," the writer uses for decimals.

    The last separator is the decimal one when at most the currency's minor digits follow
    it ("1.200,5" and "1,200.50" are both 1200.50 BRL); otherwise every separator groups
    thousands ("1.200" is 1200). None when it is not a price in this currency.
    """
    cleaned = text.strip().removeprefix("R$").removeprefix("$").strip()
    if not cleaned or not _AMOUNT.match(cleaned):
        return None
    digits = minor_unit_digits(currency)
    cut = max(cleaned.rfind("."), cleaned.rfind(","))
    after = len(cleaned) - cut - 1 if cut >= 0 else 0
    whole, fraction = cleaned, ""
    if cut >= 0 and 0 < after <= digits:
        whole, fraction = cleaned[:cut], cleaned[cut + 1 :]
    elif cut >= 0 and after != 3:
        return None  # neither decimals of this currency nor a group of thousands
    whole = re.sub(r"[.,\s]", "", whole)
    try:
        value = Decimal(f"{whole or 0}.{fraction or 0}").scaleb(digits)
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else None
