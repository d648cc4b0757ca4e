"""Rotating QR digits: RFC 6238 TOTP with SHA-256 and eight digits, one step of skew."""

from __future__ import annotations

import pytest

from boxoffice.tickets import rotating

# RFC 6238, appendix B: the SHA-256 seed is this 32-byte ASCII string.
RFC_SECRET = b"12345678901234567890123456789012"


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "46119246"),
        (1111111109, "68084774"),
        (1111111111, "67062674"),
        (1234567890, "91819424"),
        (2000000000, "90698825"),
        (20000000000, "77737706"),
    ],
)
def test_digits_match_the_rfc_6238_sha256_test_vectors(unix_time: int, expected: str) -> None:
    assert rotating.code_at(RFC_SECRET, unix_time) == expected


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    secret = rotating.ticket_secret(b"k" * 32, "7KJDW4Q")
    shown_at = 1_800_000_000.0  # the start of a step
    code = rotating.code_at(secret, shown_at)

    assert rotating.accepts(secret, code, now=shown_at - 30)
    assert rotating.accepts(secret, code, now=shown_at + 59)
    assert not rotating.accepts(secret, code, now=shown_at - 31)
    assert not rotating.accepts(secret, code, now=shown_at + 60)


@pytest.mark.parametrize("given", ["", "1234567", "123456789", "1234567a", "١٢٣٤٥٦٧٨"])
def test_anything_but_eight_ascii_digits_is_refused(given: str) -> None:
    assert not rotating.accepts(b"k" * 32, given, now=0)


def test_each_ticket_has_its_own_secret() -> None:
    event_secret = b"k" * 32
    assert rotating.ticket_secret(event_secret, "7KJDW4Q") != rotating.ticket_secret(
        event_secret, "7KJDW4R"
    )


def test_seconds_left_counts_down_to_the_next_step() -> None:
    assert rotating.seconds_left(1_800_000_010.0) == 20
