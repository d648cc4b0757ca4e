"""Card numbers, expiry dates and security codes: pure rules, no I/O.

The sandbox acquirer validates cards with these rules when a payment method is
created (as Stripe does), and decides a charge's outcome from the number alone,
so that a test or a load test chooses an outcome by choosing a card. Nothing
here keeps a card number: callers get back brand, last four digits and expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Brand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    ELO = "elo"
    HIPERCARD = "hipercard"


class Outcome(StrEnum):
    """What the card network answers when this card is charged."""

    APPROVE = "approve"
    GENERIC_DECLINE = "generic_decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PROCESSING_ERROR = "processing_error"


TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": Outcome.APPROVE,
    "4000000000000002": Outcome.GENERIC_DECLINE,
    "4000000000009995": Outcome.INSUFFICIENT_FUNDS,
    "4000000000000119": Outcome.PROCESSING_ERROR,
}
"""The contract's test cards; any other valid card of a known brand approves."""

_LENGTHS: dict[Brand, frozenset[int]] = {
    Brand.VISA: frozenset({13, 16, 19}),
    Brand.MASTERCARD: frozenset({16}),
    Brand.AMEX: frozenset({15}),
    Brand.DISCOVER: frozenset({16, 17, 18, 19}),
    Brand.ELO: frozenset({16}),
    Brand.HIPERCARD: frozenset({13, 16, 19}),
}

# Elo and Hipercard issue inside ranges that look like Visa, Mastercard and
# Discover, so they are checked first, on the six-digit issuer prefix (BIN).
_ELO_BINS: tuple[tuple[int, int], ...] = (
    (401178, 401179),
    (431274, 431274),
    (438935, 438935),
    (451416, 451416),
    (457393, 457393),
    (457631, 457632),
    (504175, 504175),
    (506699, 506778),
    (509000, 509999),
    (627780, 627780),
    (636297, 636297),
    (636368, 636368),
    (650031, 650033),
    (650035, 650051),
    (650405, 650439),
    (650485, 650538),
    (650541, 650598),
    (650700, 650718),
    (650720, 650727),
    (650901, 650978),
    (651652, 651679),
    (655000, 655019),
    (655021, 655058),
)
_HIPERCARD_BINS: tuple[tuple[int, int], ...] = ((606282, 606282), (384100, 384199))
_DISCOVER_BINS: tuple[tuple[int, int], ...] = (
    (601100, 601199),
    (622126, 622925),
    (644000, 659999),
)
_MASTERCARD_BINS: tuple[tuple[int, int], ...] = ((222100, 272099), (510000, 559999))
_AMEX_BINS: tuple[tuple[int, int], ...] = ((340000, 349999), (370000, 379999))
_VISA_BINS: tuple[tuple[int, int], ...] = ((400000, 499999),)

_BRAND_RANGES: tuple[tuple[Brand, tuple[tuple[int, int], ...]], ...] = (
    (Brand.ELO, _ELO_BINS),
    (Brand.HIPERCARD, _HIPERCARD_BINS),
    (Brand.AMEX, _AMEX_BINS),
    (Brand.VISA, _VISA_BINS),
    (Brand.MASTERCARD, _MASTERCARD_BINS),
    (Brand.DISCOVER, _DISCOVER_BINS),
)


def luhn_valid(number: str) -> bool:
    """True when `number` (digits only) passes the Luhn mod-10 check."""
    if not number.isdigit():
        return False
    return _luhn_sum(number) % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that, appended to `partial`, makes a Luhn-valid number."""
    return str((10 - _luhn_sum(partial + "0")) % 10)


def _luhn_sum(number: str) -> int:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total


def detect_brand(number: str) -> Brand | None:
    """The brand that issues `number`, by its prefix; None when no known brand does."""
    if len(number) < 6 or not number.isdigit():
        return None
    prefix = int(number[:6])
    for brand, ranges in _BRAND_RANGES:
        if any(low <= prefix <= high for low, high in ranges):
            return brand
    return None


def has_valid_length(number: str, brand: Brand) -> bool:
    return len(number) in _LENGTHS[brand]


def is_expired(exp_month: int, exp_year: int, *, today: date) -> bool:
    """A card is good through the last day of its expiry month."""
    return (exp_year, exp_month) < (today.year, today.month)


def cvc_is_valid(cvc: str, brand: Brand) -> bool:
    """Amex prints four digits on the front; every other brand three on the back."""
    expected = 4 if brand is Brand.AMEX else 3
    return len(cvc) == expected and cvc.isdigit()


def outcome_for(number: str) -> Outcome:
    return TEST_CARDS.get(number, Outcome.APPROVE)


@dataclass(frozen=True, slots=True)
class CheckedCard:
    """What may be kept about a card: never the number or the security code."""

    brand: Brand
    last4: str
    exp_month: int
    exp_year: int
    outcome: Outcome


class InvalidCard(Exception):
    """The card cannot be used; `code` and `param` are Stripe's names for why and where."""

    def __init__(self, code: str, param: str) -> None:
        super().__init__(code)
        self.code = code
        self.param = param


def check_card(
    *, number: str, exp_month: str, exp_year: str, cvc: str | None, today: date
) -> CheckedCard:
    """Validate a card the way Stripe does when a payment method is created.

    Raises `InvalidCard` with Stripe's codes: `invalid_number` (not a card of a
    known brand), `incorrect_number` (fails the Luhn check), `invalid_expiry_month`,
    `invalid_expiry_year`, `expired_card`, `invalid_cvc`. A missing CVC is
    accepted, as Stripe accepts it.
    """
    digits = "".join(number.split())
    brand = detect_brand(digits)
    if brand is None or not has_valid_length(digits, brand):
        raise InvalidCard("invalid_number", "card[number]")
    if not luhn_valid(digits):
        raise InvalidCard("incorrect_number", "card[number]")
    month = _parse_int(exp_month)
    if month is None or not 1 <= month <= 12:
        raise InvalidCard("invalid_expiry_month", "card[exp_month]")
    year = _parse_year(exp_year)
    if year is None or year > today.year + 50:
        raise InvalidCard("invalid_expiry_year", "card[exp_year]")
    if is_expired(month, year, today=today):
        raise InvalidCard("expired_card", "card[exp_year]")
    if cvc is not None and not cvc_is_valid(cvc, brand):
        raise InvalidCard("invalid_cvc", "card[cvc]")
    return CheckedCard(
        brand=brand, last4=digits[-4:], exp_month=month, exp_year=year, outcome=outcome_for(digits)
    )


def _parse_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None


def _parse_year(text: str) -> int | None:
    year = _parse_int(text)
    if year is None:
        return None
    if len(text.strip()) == 2:
        return 2000 + year
    return year if len(text.strip()) == 4 else None
