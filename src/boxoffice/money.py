"""Money rules: integer minor units in an ISO 4217 currency.

Amounts are never floats. The upper bound keeps every order total (price
times quantity, summed) far inside a signed 64-bit column and inside what
card networks accept for a single authorisation.
"""

from __future__ import annotations

from functools import cache

from babel.numbers import get_currency_precision, list_currencies

MAX_PRICE_MINOR = 100_000_000_00  # 100 million major units
MAX_ORDER_TOTAL_MINOR = 999_999_999_99


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha())


def is_known_currency(code: str) -> bool:
    return code in known_currencies()


def minor_unit_digits(code: str) -> int:
    return int(get_currency_precision(code))
