"""The storefront's event list: upcoming only, searched the way buyers type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from boxoffice.catalog.listing import fold, lowest_price, matches, upcoming

NOW = datetime(2031, 1, 1, tzinfo=UTC)


def event(name: str, venue: str = "Arena", *, days: int = 10, **types: Any) -> dict[str, Any]:
    return {
        "name": name,
        "venue": venue,
        "starts_at": NOW + timedelta(days=days),
        "ticket_types": types.get("ticket_types", []),
    }


def test_folding_drops_case_and_accents() -> None:
    assert fold("Orquestra SINFÔNICA — São Paulo") == "orquestra sinfonica — sao paulo"


def test_every_word_typed_must_appear_in_the_name_or_the_venue() -> None:
    concert = event("Orquestra Sinfônica", "Sala São Paulo")

    assert matches(concert, "sinfonica sao")
    assert matches(concert, "")
    assert not matches(concert, "sinfonica rio")


def test_only_events_still_to_come_are_listed_soonest_first() -> None:
    later, sooner, past = event("B", days=20), event("A", days=2), event("C", days=-1)

    assert upcoming([later, past, sooner], now=NOW) == [sooner, later]


def test_the_lowest_price_skips_sold_out_types() -> None:
    types = [
        {"price": 5000, "currency": "BRL", "available": 0},
        {"price": 8000, "currency": "BRL", "available": 3},
        {"price": 12000, "currency": "BRL", "available": 9},
    ]

    assert lowest_price(event("X", ticket_types=types)) == (8000, "BRL")
    assert lowest_price(event("Y", ticket_types=types[:1])) is None
