"""The console's event form: prices as people type them, times in the display zone, errors
placed next to their fields."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from boxoffice.web.pages.console.eventform import EventForm, parse_amount

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("120", 12000),
        ("120,00", 12000),
        ("120.00", 12000),
        ("1.200,50", 120050),
        ("1,200.50", 120050),
        ("1.200", 120000),
        ("120,5", 12050),
        ("R$ 80,00", 8000),
        ("0", 0),
    ],
)
def test_prices_are_read_whichever_decimal_mark_the_partner_uses(typed: str, minor: int) -> None:
    assert parse_amount(typed, "BRL") == minor


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1.2345", "12,3,4", "1e3"])
def test_what_is_not_a_price_is_refused(typed: str) -> None:
    assert parse_amount(typed, "BRL") is None


def test_a_currency_without_cents_takes_no_decimals() -> None:
    assert parse_amount("1.200", "JPY") == 1200
    assert parse_amount("1.5", "JPY") is None


def posted(**fields: str) -> dict[str, str]:
    return {
        "name": "Festival de Verão",
        "venue": "Arena Rio",
        "starts_at": "2031-01-15T20:00",
        "currency": "BRL",
        "type-0-name": "Pista",
        "type-0-price": "250,00",
        "type-0-capacity": "20000",
        "type-1-name": "",
        "type-1-price": "",
        "type-1-capacity": "",
        **fields,
    }


def test_a_complete_form_becomes_the_catalogs_command_with_blank_rows_ignored() -> None:
    command = EventForm.posted(posted()).command(SAO_PAULO)

    assert command is not None
    assert command.starts_at.isoformat() == "2031-01-15T23:00:00+00:00"
    assert [(t.name, t.price, t.capacity) for t in command.ticket_types] == [
        ("Pista", 25000, 20000)
    ]


def test_every_mistake_is_reported_at_once_next_to_its_field() -> None:
    form = EventForm.posted(
        posted(name="", starts_at="soon", **{"type-1-name": "VIP", "type-1-capacity": "0"})
    )

    assert form.command(SAO_PAULO) is None
    assert set(form.errors) >= {"name", "starts_at", "type-1-price", "type-1-capacity"}


def test_sales_that_end_before_they_start_are_refused_on_the_end_field() -> None:
    form = EventForm.posted(posted(sales_start="2031-01-10T10:00", sales_end="2031-01-01T10:00"))

    assert form.command(SAO_PAULO) is None
    assert form.errors == {"sales_end": "Sales must end after they start."}


def test_a_form_without_any_ticket_type_asks_for_one() -> None:
    form = EventForm.posted(
        posted(**{"type-0-name": "", "type-0-price": "", "type-0-capacity": ""})
    )

    assert form.command(SAO_PAULO) is None
    assert form.errors["type-0-name"] == "Add at least one ticket type."
