"""Reading a scan before any lookup: signatures, events, live codes and typed codes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from boxoffice.checkin.commands import OfflineScan, Scan
from boxoffice.checkin.rules import Result, answer_for_state, read_code, read_payload
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import CodeBook

EVENT = "evt_abcdefghijklmnop"
OTHER_EVENT = "evt_qrstuvwxyz234567"
NOW = 1_800_000_000.0
KEY = Ed25519PrivateKey.generate()
CODE = CodeBook(b"unit-test-code-key-0123456789").issue(42)


def payload_for(event_id: str = EVENT, key: Ed25519PrivateKey = KEY, key_id: int = 1) -> str:
    return qr.sign(qr.Claim(event_id=event_id, key_id=key_id, code=CODE), key)


def read(text: str, **kwargs: object) -> tuple[str | None, Result | None, str | None]:
    reading = read_payload(
        text, event_id=EVENT, public_keys={1: KEY.public_key()}, now=NOW, **kwargs
    )  # type: ignore[arg-type]
    return reading.code, reading.refusal, reading.reason


def test_a_genuine_payload_names_its_ticket() -> None:
    assert read(payload_for()) == (CODE, None, None)


def test_a_payload_signed_by_another_key_is_a_bad_signature() -> None:
    assert read(payload_for(key=Ed25519PrivateKey.generate())) == (
        None,
        Result.INVALID,
        "bad_signature",
    )


def test_a_payload_of_another_event_is_wrong_event_whatever_its_signature() -> None:
    assert read(payload_for(event_id=OTHER_EVENT))[1:] == (Result.WRONG_EVENT, "wrong_event")


def test_a_key_id_the_gate_does_not_have_is_refused_as_unknown() -> None:
    assert read(payload_for(key_id=2))[1:] == (Result.INVALID, "unknown_key")


def test_text_that_is_not_a_payload_is_not_a_ticket() -> None:
    assert read("hello")[1:] == (Result.INVALID, "not_a_ticket")


def test_live_codes_need_current_digits() -> None:
    secret = b"s" * 32
    signed = payload_for()
    current = qr.with_rotation(signed, rotating.code_at(secret, NOW))
    stale = qr.with_rotation(signed, rotating.code_at(secret, NOW - 600))

    def secrets(code: str) -> bytes:
        return secret

    assert read(current, rotation_secret=secrets)[1] is None
    assert read(stale, rotation_secret=secrets)[1:] == (Result.INVALID, "live_code_expired")
    assert read(signed, rotation_secret=secrets)[1:] == (Result.INVALID, "live_code_missing")


def test_a_typed_code_is_read_in_any_form_and_a_typo_gets_a_hint() -> None:
    typed = f"{CODE[:3]}-{CODE[3:]}".lower()
    swapped = CODE[:5] + CODE[6] + CODE[5]

    assert read_code(typed).code == CODE
    typo = read_code(swapped)
    assert (typo.refusal, typo.reason) == (Result.INVALID, "check")
    assert typo.hint is not None
    assert f"{CODE[:3]}-{CODE[3:]}" in typo.hint
    assert read_code("0KJDW4Q").reason == "character"


def test_a_ticket_not_admitted_by_this_scan_is_answered_from_its_state() -> None:
    assert answer_for_state(status="used", same_event=True) is Result.ALREADY_USED
    assert answer_for_state(status="cancelled", same_event=True) is Result.CANCELLED
    assert answer_for_state(status="used", same_event=False) is Result.WRONG_EVENT


def test_a_scan_names_exactly_one_ticket() -> None:
    with pytest.raises(ValidationError):
        Scan()
    with pytest.raises(ValidationError):
        Scan(payload="BX1", code="222-2222")
    assert Scan(code="222-2222").gate is None


def test_an_offline_scan_needs_a_nonce_and_a_time_zone() -> None:
    with pytest.raises(ValidationError):
        OfflineScan(code="222-2222", nonce="n-0000001", scanned_at="2026-11-29T19:00:00")
    scan = OfflineScan(code="222-2222", nonce="n-0000001", scanned_at="2026-11-29T19:00:00Z")
    assert scan.result is Result.ADMITTED
