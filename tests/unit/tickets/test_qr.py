"""The QR payload: what a gate reads, offline, with nothing but the event's public keys."""

from __future__ import annotations

import io

import pytest
import segno
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from boxoffice.ids import new_id
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import CodeBook

BOOK = CodeBook(bytes(range(32)))
NOW = 1_800_000_000.0
EVENT_SECRET = b"e" * 32


def claim(*, key_id: int = 1, event_id: str | None = None, serial: int = 42) -> qr.Claim:
    return qr.Claim(event_id=event_id or new_id("evt"), key_id=key_id, code=BOOK.issue(serial))


def decode(payload: str) -> zxingcpp.Barcode:
    """Render the payload as a PNG with segno and read it back with a real decoder."""
    picture = io.BytesIO()
    segno.make(payload, error="m", boost_error=False, micro=False).save(
        picture, kind="png", scale=4
    )
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.getvalue())))
    return found


def secret_of(code: str) -> bytes:
    return rotating.ticket_secret(EVENT_SECRET, code)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def verify(payload: str, c: qr.Claim, key: Ed25519PrivateKey, **kwargs: object) -> qr.Outcome:
    options: dict[str, object] = {"now": NOW, **kwargs}
    result = qr.verify(
        payload, event_id=c.event_id, public_keys={c.key_id: key.public_key()}, **options
    )
    return result.outcome


def test_a_payload_read_back_by_a_real_decoder_verifies(key: Ed25519PrivateKey) -> None:
    c = claim()
    payload = qr.sign(c, key)

    scanned = decode(payload)

    assert scanned.text == payload
    assert scanned.ec_level == "M"
    assert scanned.extra["Version"] == "5"
    result = qr.verify(
        scanned.text, event_id=c.event_id, public_keys={1: key.public_key()}, now=NOW
    )
    assert result.ok
    assert result.claim == c


def test_the_static_payload_is_120_alphanumeric_characters_in_a_version_5_code(
    key: Ed25519PrivateKey,
) -> None:
    payload = qr.sign(claim(), key)
    code = segno.make(payload, error="m", boost_error=False, micro=False)
    assert len(payload) == 120
    assert (code.version, code.mode, code.error) == (5, "alphanumeric", "M")


def test_a_rotating_payload_fits_a_version_6_code(key: Ed25519PrivateKey) -> None:
    payload = qr.with_rotation(qr.sign(claim(), key), "12345678")
    code = segno.make(payload, error="m", boost_error=False, micro=False)
    assert (len(payload), code.version, code.mode) == (129, 6, "alphanumeric")


def test_the_payload_names_the_ticket_by_its_short_code(key: Ed25519PrivateKey) -> None:
    c = claim(key_id=255, serial=594_823_320)  # the largest key id and serial
    assert qr.parse(qr.sign(c, key)).claim == c


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0, max_value=119), symbol=st.sampled_from("0AZ$:-"))
def test_changing_any_character_fails_verification(position: int, symbol: str) -> None:
    key = Ed25519PrivateKey.generate()
    c = claim()
    payload = qr.sign(c, key)
    if payload[position] == symbol:
        symbol = "7"
    tampered = payload[:position] + symbol + payload[position + 1 :]

    assert verify(tampered, c, key) is not qr.Outcome.VALID


def test_a_payload_of_another_event_is_the_wrong_event(key: Ed25519PrivateKey) -> None:
    theirs = claim()
    payload = qr.sign(theirs, key)
    ours = new_id("evt")

    result = qr.verify(payload, event_id=ours, public_keys={1: key.public_key()}, now=NOW)

    assert result.outcome is qr.Outcome.WRONG_EVENT


def test_a_payload_that_claims_our_event_but_was_signed_with_another_key_fails(
    key: Ed25519PrivateKey,
) -> None:
    c = claim()
    forged = qr.sign(c, Ed25519PrivateKey.generate())
    assert verify(forged, c, key) is qr.Outcome.BAD_SIGNATURE


def test_payloads_signed_before_a_key_rotation_stay_valid() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    event_id = new_id("evt")
    before = qr.sign(claim(key_id=1, event_id=event_id), old)
    after = qr.sign(claim(key_id=2, event_id=event_id), new)
    keys = {1: old.public_key(), 2: new.public_key()}

    assert qr.verify(before, event_id=event_id, public_keys=keys, now=NOW).ok
    assert qr.verify(after, event_id=event_id, public_keys=keys, now=NOW).ok
    only_new = {2: new.public_key()}
    outcome = qr.verify(before, event_id=event_id, public_keys=only_new, now=NOW).outcome
    assert outcome is qr.Outcome.UNKNOWN_KEY


@pytest.mark.parametrize(
    "text",
    ["", "BX1", "BX2" + "0" * 117, "BX1" + "0" * 116, "BX1" + "%" * 117, "BX1" + ":" * 117],
)
def test_text_that_is_not_a_payload_is_malformed(text: str, key: Ed25519PrivateKey) -> None:
    assert verify(text, claim(), key) is qr.Outcome.MALFORMED


def test_signatures_are_deterministic(key: Ed25519PrivateKey) -> None:
    c = claim()
    assert qr.sign(c, key) == qr.sign(c, key)


def test_a_rotating_code_read_by_a_real_decoder_verifies_within_its_window(
    key: Ed25519PrivateKey,
) -> None:
    c = claim()
    shown = qr.with_rotation(qr.sign(c, key), rotating.code_at(secret_of(c.code), NOW))

    scanned = decode(shown).text

    assert scanned == shown
    for later in (0, 29, 45):  # same step, and the next step (clock skew of one step)
        assert verify(scanned, c, key, now=NOW + later, rotation_secret=secret_of) is (
            qr.Outcome.VALID
        )


def test_a_screenshot_of_a_rotating_code_expires(key: Ed25519PrivateKey) -> None:
    c = claim()
    start = 1_800_000_010.0  # 10 s into a step
    shown = qr.with_rotation(qr.sign(c, key), rotating.code_at(secret_of(c.code), start))
    scanned = decode(shown).text

    outcome = verify(scanned, c, key, now=start + 90, rotation_secret=secret_of)

    assert outcome is qr.Outcome.ROTATION_EXPIRED


def test_a_rotating_event_refuses_the_signed_part_alone(key: Ed25519PrivateKey) -> None:
    c = claim()
    static = qr.sign(c, key)
    assert verify(static, c, key, rotation_secret=secret_of) is qr.Outcome.ROTATION_MISSING


def test_digits_of_another_ticket_do_not_verify(key: Ed25519PrivateKey) -> None:
    c, other = claim(serial=1), claim(serial=2)
    digits = rotating.code_at(secret_of(other.code), NOW)
    shown = qr.with_rotation(qr.sign(c, key), digits)
    assert verify(shown, c, key, rotation_secret=secret_of) is qr.Outcome.ROTATION_EXPIRED


def test_a_static_event_refuses_an_appended_suffix(key: Ed25519PrivateKey) -> None:
    c = claim()
    assert verify(qr.with_rotation(qr.sign(c, key), "12345678"), c, key) is qr.Outcome.MALFORMED


def test_public_keys_travel_as_short_text(key: Ed25519PrivateKey) -> None:
    text = qr.public_key_text(key.public_key())
    c = claim()
    assert len(text) == 43
    result = qr.verify(
        qr.sign(c, key), event_id=c.event_id, public_keys={1: qr.load_public_key(text)}, now=NOW
    )
    assert result.ok
