from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.payments.cards import (
    TEST_CARDS,
    Brand,
    CheckedCard,
    InvalidCard,
    Outcome,
    check_card,
    cvc_is_valid,
    detect_brand,
    is_expired,
    luhn_check_digit,
    luhn_valid,
)

TODAY = date(2026, 6, 15)

digits = st.text(alphabet="0123456789", min_size=1, max_size=18)


def with_check_digit(partial: str) -> str:
    return partial + luhn_check_digit(partial)


def card(
    number: str, *, exp_month: str = "12", exp_year: str = "2030", cvc: str | None = "123"
) -> CheckedCard:
    return check_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, today=TODAY)


# Luhn


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005"])
def test_known_good_numbers_pass_luhn(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "", "4242-4242"])
def test_numbers_failing_the_checksum_or_not_digits_are_rejected(number: str) -> None:
    assert not luhn_valid(number)


@given(digits)
def test_appending_the_check_digit_makes_any_number_luhn_valid(partial: str) -> None:
    assert luhn_valid(with_check_digit(partial))


@given(digits, st.data())
def test_changing_any_single_digit_breaks_luhn(partial: str, data: st.DataObject) -> None:
    number = with_check_digit(partial)
    position = data.draw(st.integers(0, len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    mutated = number[:position] + replacement + number[position + 1 :]
    assert not luhn_valid(mutated)


# brands


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", Brand.VISA),
        ("5555555555554444", Brand.MASTERCARD),
        ("2223003122003222", Brand.MASTERCARD),
        ("378282246310005", Brand.AMEX),
        ("371449635398431", Brand.AMEX),
        ("6011111111111117", Brand.DISCOVER),
        ("6445644564456445", Brand.DISCOVER),
        ("6362970000457013", Brand.ELO),
        ("5067224275805500", Brand.ELO),
        ("4011780000000000", Brand.ELO),
        ("6062825624254001", Brand.HIPERCARD),
        ("3841001111222233334", Brand.HIPERCARD),
    ],
)
def test_brand_is_detected_from_the_issuer_prefix(number: str, brand: Brand) -> None:
    assert detect_brand(number) is brand


def test_elo_ranges_inside_visa_and_discover_prefixes_are_elo() -> None:
    assert detect_brand("4389350000000000") is Brand.ELO
    assert detect_brand("6500310000000000") is Brand.ELO
    assert detect_brand("4389360000000000") is Brand.VISA


@pytest.mark.parametrize("number", ["1234567890123456", "9999999999999999", "30569309025904", "12"])
def test_unknown_prefixes_have_no_brand(number: str) -> None:
    assert detect_brand(number) is None


# expiry and CVC


def test_a_card_is_good_through_its_expiry_month() -> None:
    assert not is_expired(6, 2026, today=TODAY)
    assert not is_expired(1, 2027, today=TODAY)
    assert is_expired(5, 2026, today=TODAY)
    assert is_expired(12, 2025, today=TODAY)


@given(st.integers(1, 12), st.integers(2000, 2100))
def test_expiry_is_monotonic_in_time(month: int, year: int) -> None:
    if is_expired(month, year, today=TODAY):
        assert (year, month) < (TODAY.year, TODAY.month)
    else:
        assert (year, month) >= (TODAY.year, TODAY.month)


def test_amex_takes_four_cvc_digits_and_others_three() -> None:
    assert cvc_is_valid("1234", Brand.AMEX)
    assert not cvc_is_valid("123", Brand.AMEX)
    for brand in (Brand.VISA, Brand.MASTERCARD, Brand.ELO, Brand.HIPERCARD, Brand.DISCOVER):
        assert cvc_is_valid("123", brand)
        assert not cvc_is_valid("1234", brand)
    assert not cvc_is_valid("12a", Brand.VISA)


# check_card


@pytest.mark.parametrize(("number", "outcome"), TEST_CARDS.items())
def test_each_test_card_is_valid_and_carries_its_outcome(number: str, outcome: Outcome) -> None:
    assert card(number).outcome is outcome


def test_any_other_valid_card_of_a_known_brand_approves() -> None:
    assert card("5555555555554444").outcome is Outcome.APPROVE
    assert card("378282246310005", cvc="1234").outcome is Outcome.APPROVE


def test_a_checked_card_keeps_only_brand_last4_and_expiry() -> None:
    checked = card("4242 4242 4242 4242", exp_year="30")
    assert (checked.brand, checked.last4, checked.exp_month, checked.exp_year) == (
        Brand.VISA,
        "4242",
        12,
        2030,
    )
    assert "4242424242424242" not in repr(checked)


@pytest.mark.parametrize(
    ("kwargs", "code", "param"),
    [
        ({"number": "4242424242424241"}, "incorrect_number", "card[number]"),
        ({"number": "1234567812345670"}, "invalid_number", "card[number]"),
        ({"number": "42424242"}, "invalid_number", "card[number]"),
        ({"number": "37828224631000"}, "invalid_number", "card[number]"),
        ({"exp_month": "13"}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_month": "x"}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_year": "202"}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_year": "2199"}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_month": "5", "exp_year": "2026"}, "expired_card", "card[exp_year]"),
        ({"cvc": "12"}, "invalid_cvc", "card[cvc]"),
        ({"number": "378282246310005", "cvc": "123"}, "invalid_cvc", "card[cvc]"),
    ],
)
def test_invalid_cards_are_refused_with_stripes_codes(
    kwargs: dict[str, str], code: str, param: str
) -> None:
    arguments = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    arguments.update(kwargs)
    with pytest.raises(InvalidCard) as refused:
        check_card(today=TODAY, **arguments)
    assert (refused.value.code, refused.value.param) == (code, param)


def test_a_missing_cvc_is_accepted_as_stripe_accepts_it() -> None:
    assert card("4242424242424242", cvc=None).last4 == "4242"
