from itertools import pairwise, permutations
from statistics import mean

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.tickets.codes import (
    ALPHABET,
    CODE_LENGTH,
    PAYLOAD_LENGTH,
    SERIAL_LIMIT,
    CodeBook,
    InvalidCode,
    check_character,
    code_for_serial,
    format_code,
    is_valid,
    parse_code,
    serial_for_code,
    suggest_corrections,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

payloads = st.text(alphabet=ALPHABET, min_size=PAYLOAD_LENGTH, max_size=PAYLOAD_LENGTH)
valid_codes = payloads.map(lambda payload: payload + check_character(payload))


def valid_code_with(fixed: dict[int, str]) -> str:
    """A valid code holding the given symbols at the given positions (6 is the check symbol).

    Any free payload position can be tuned to produce the wanted check symbol, because exactly
    one of its 29 values does.
    """
    payload = ["2"] * PAYLOAD_LENGTH
    for position, symbol in fixed.items():
        if position < PAYLOAD_LENGTH:
            payload[position] = symbol
    if PAYLOAD_LENGTH not in fixed:
        return "".join(payload) + check_character("".join(payload))
    free = next(p for p in range(PAYLOAD_LENGTH) if p not in fixed)
    for symbol in ALPHABET:
        payload[free] = symbol
        if check_character("".join(payload)) == fixed[PAYLOAD_LENGTH]:
            return "".join(payload) + fixed[PAYLOAD_LENGTH]
    raise AssertionError("no payload symbol yields the wanted check symbol")


def substitute(code: str, position: int, symbol: str) -> str:
    return code[:position] + symbol + code[position + 1 :]


def swap(code: str, position: int) -> str:
    return code[:position] + code[position + 1] + code[position] + code[position + 2 :]


def test_alphabet_has_a_prime_number_of_symbols_and_no_look_alikes() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 29
    assert not set(ALPHABET) & set("0O1ILUS")


@pytest.mark.parametrize("position", range(CODE_LENGTH))
def test_every_single_substitution_is_detected(position: int) -> None:
    checked = 0
    for original, typed in permutations(ALPHABET, 2):
        code = valid_code_with({position: original})
        assert is_valid(code)
        assert not is_valid(substitute(code, position, typed)), (code, position, typed)
        checked += 1
    assert checked == 29 * 28


@pytest.mark.parametrize("position", range(CODE_LENGTH - 1))
def test_every_adjacent_transposition_is_detected(position: int) -> None:
    checked = 0
    for first, second in permutations(ALPHABET, 2):
        code = valid_code_with({position: first, position + 1: second})
        assert is_valid(code)
        assert not is_valid(swap(code, position)), (code, position)
        checked += 1
    assert checked == 29 * 28


@given(code=valid_codes, position=st.integers(0, CODE_LENGTH - 1), data=st.data())
def test_a_random_code_with_one_symbol_changed_is_rejected(
    code: str, position: int, data: st.DataObject
) -> None:
    typed = data.draw(st.sampled_from(ALPHABET.replace(code[position], "")))
    assert is_valid(code)
    assert not is_valid(substitute(code, position, typed))


@given(code=valid_codes, position=st.integers(0, CODE_LENGTH - 2))
def test_a_random_code_with_two_neighbours_swapped_is_rejected(code: str, position: int) -> None:
    swapped = swap(code, position)
    assert is_valid(swapped) == (swapped == code)


def test_neighbouring_serials_get_unrelated_codes() -> None:
    codes = [CodeBook(KEY).issue(serial) for serial in range(1000)]
    neighbours = list(pairwise(codes))

    shared_prefixes = sum(a[:3] == b[:3] for a, b in neighbours)
    distances = [sum(x != y for x, y in zip(a[:6], b[:6], strict=True)) for a, b in neighbours]

    # Random codes share a 3-symbol prefix with probability 29**-3: 0.04 times in 999 pairs.
    assert shared_prefixes <= 1
    # Random payloads differ in 6 * 28/29 ≈ 5.79 places; sequential ones in about 1.04.
    assert mean(distances) > 5.5


def test_permutation_is_a_bijection_over_a_large_range() -> None:
    book = CodeBook(KEY)
    serials = range(200_000)

    codes = [book.issue(serial) for serial in serials]

    assert len(set(codes)) == len(serials)
    assert all(is_valid(code) for code in codes[:1000])
    assert [book.serial_of(code) for code in codes] == list(serials)


def test_the_largest_serial_is_issued_and_anything_outside_the_range_is_refused() -> None:
    book = CodeBook(KEY)
    assert book.serial_of(book.issue(SERIAL_LIMIT - 1)) == SERIAL_LIMIT - 1
    for serial in (-1, SERIAL_LIMIT):
        with pytest.raises(ValueError, match="serial"):
            book.issue(serial)


def test_different_keys_give_different_codes() -> None:
    ours, theirs = CodeBook(KEY), CodeBook(OTHER_KEY)
    same = [s for s in range(1000) if ours.issue(s) == theirs.issue(s)]
    assert same == []


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CodeBook(b"too short")


def test_module_functions_match_the_code_book() -> None:
    code = code_for_serial(12345, KEY)
    assert code == CodeBook(KEY).issue(12345)
    assert serial_for_code(format_code(code).lower(), KEY) == 12345


def test_reading_a_code_with_a_wrong_check_character_is_refused() -> None:
    code = CodeBook(KEY).issue(7)
    with pytest.raises(InvalidCode) as refused:
        CodeBook(KEY).serial_of(substitute(code, 6, ALPHABET.replace(code[6], "")[0]))
    assert refused.value.reason == "check"


def test_codes_are_displayed_with_a_hyphen_after_the_third_symbol() -> None:
    code = CodeBook(KEY).issue(99)
    assert format_code(code) == f"{code[:3]}-{code[3:]}"


def test_parsing_accepts_lower_case_and_a_missing_hyphen() -> None:
    code = CodeBook(KEY).issue(42)
    for typed in (code.lower(), f"  {format_code(code).lower()}  ", f"{code[:3]} {code[3:]}\n"):
        assert parse_code(typed) == code


@pytest.mark.parametrize("typed", ["", "ABC-DEF", "ABC-DEFGH"])
def test_a_code_of_the_wrong_length_is_rejected(typed: str) -> None:
    with pytest.raises(InvalidCode) as rejected:
        parse_code(typed)
    assert rejected.value.reason == "length"
    assert "7 characters" in rejected.value.hint


@pytest.mark.parametrize(
    ("look_alike", "suggested"),
    [("0", "D or Q"), ("o", "D or Q"), ("1", "7, J or T"), ("l", "7, J or T"), ("S", "5")],
)
def test_a_look_alike_is_rejected_with_a_hint_naming_it(look_alike: str, suggested: str) -> None:
    typed = substitute(CodeBook(KEY).issue(3), 2, look_alike)
    with pytest.raises(InvalidCode) as rejected:
        parse_code(typed)
    assert rejected.value.reason == "character"
    assert f"character 3 is {look_alike.upper()!r}" in rejected.value.hint
    assert f"did you mean {suggested}?" in rejected.value.hint


def test_an_unknown_character_is_rejected_with_the_rules() -> None:
    with pytest.raises(InvalidCode) as rejected:
        parse_code("ABC-DE#G")
    assert rejected.value.reason == "character"
    assert "2-9" in rejected.value.hint


def test_wrong_check_character_is_rejected_with_a_hint() -> None:
    assert issubclass(InvalidCode, ValueError)
    code = CodeBook(KEY).issue(2024)
    mistyped = swap(code, 5) if code[5] != code[6] else substitute(code, 6, "2")
    with pytest.raises(InvalidCode) as rejected:
        parse_code(mistyped)
    assert rejected.value.reason == "check"
    assert format_code(code) in rejected.value.hint


@given(code=valid_codes, position=st.integers(0, CODE_LENGTH - 1), data=st.data())
def test_corrections_recover_a_single_substitution(
    code: str, position: int, data: st.DataObject
) -> None:
    mistyped = substitute(code, position, data.draw(st.sampled_from(ALPHABET)))
    corrections = suggest_corrections(mistyped)
    if mistyped == code:
        assert corrections == []
    else:
        assert code in corrections
        assert corrections == sorted(corrections)
        assert 7 <= len(corrections) <= 13
        assert all(is_valid(c) for c in corrections)


@given(code=valid_codes, position=st.integers(0, CODE_LENGTH - 2))
def test_corrections_recover_an_adjacent_transposition(code: str, position: int) -> None:
    mistyped = swap(code, position)
    assert (code in suggest_corrections(mistyped)) == (mistyped != code)


@given(code=valid_codes)
def test_formatting_and_parsing_round_trip(code: str) -> None:
    assert parse_code(format_code(code)) == code
    assert parse_code(format_code(code).lower()) == code


@given(serial=st.integers(0, SERIAL_LIMIT - 1), key=st.binary(min_size=16, max_size=64))
def test_issuing_and_reading_back_round_trip(serial: int, key: bytes) -> None:
    book = CodeBook(key)
    code = book.issue(serial)
    assert is_valid(code)
    assert book.serial_of(code) == serial
