"""The text inside a ticket's QR code: signed so that a gate can check it with no network.

Format, version 1::

    BX1<117 body symbols>[.<8 digits>]

The body is one integer written in base 42 with a fixed width of 117 symbols, most
significant first, over ``0-9 A-Z $ * + - / :``. Those are all characters of the QR
alphanumeric mode (5.5 bits per character instead of 8 in byte mode), minus the space,
``%`` and ``.``: a space may be trimmed by whatever types the scan into a form, ``%`` is an
escape in URLs, and ``.`` is kept free to introduce the rotating suffix. The integer packs,
from the top::

    key id (8 bits) | event id (80 bits) | ticket number (30 bits) | Ed25519 signature (512 bits)

630 bits, and 42**117 > 2**630, so 117 symbols always suffice. The event id is the 10 random
bytes behind ``evt_<16 base32 letters>`` (every event id has that form, see `boxoffice.ids`);
the ticket number is the value of the code's six payload symbols (the check symbol is
recomputed), so the QR names the same ticket as the short code printed under it and, unlike
the serial, says nothing about how many tickets were sold. The signature covers
``boxoffice-qr:1:`` followed by the 15 bytes of key id, event id and ticket number, under the
event's key ``key id``. Signatures of Ed25519 are deterministic: the same ticket under the same
key always gives the same text (useful for caching).

Size, measured with segno at error-correction level M (no boost): the 120-character static
payload is a **version 5** QR (37 x 37 modules); with the rotating suffix (129 characters) it
is **version 6** (41 x 41). Both stay in alphanumeric mode.

Verification refuses, without saying more than the outcome: anything not in this exact form
(including a body integer beyond 2**630, so each payload has one spelling), another event's
payload, an unknown key id, a signature that does not verify (any changed symbol changes the
key id, event, ticket or signature), and for rotating events a missing, malformed or expired
suffix (see `boxoffice.tickets.rotating` for the time window). Keys rotate per event: a new key
gets the next id and signs from then on, while the gate keeps every public key of the event,
so tickets already shown or printed stay valid.

Pure: no I/O and no clock; `verify` takes `now`.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from boxoffice.tickets import rotating
from boxoffice.tickets.codes import ALPHABET as CODE_ALPHABET
from boxoffice.tickets.codes import PAYLOAD_LENGTH, check_character, parse_code

VERSION = 1
PREFIX = f"BX{VERSION}"
BODY_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-/:"
BODY_LENGTH = 117
SUFFIX_SEPARATOR = "."
MAX_KEY_ID = 255
SIGNATURE_CONTEXT = b"boxoffice-qr:1:"

_BASE = len(BODY_ALPHABET)
_VALUES = {symbol: value for value, symbol in enumerate(BODY_ALPHABET)}
_EVENT_PREFIX = "evt_"
_EVENT_BYTES = 10
_NUMBER_BITS = 30
_SIGNATURE_BITS = 512
_TOTAL_BITS = 8 + 8 * _EVENT_BYTES + _NUMBER_BITS + _SIGNATURE_BITS  # 630
_CODE_BASE = len(CODE_ALPHABET)


class Outcome(enum.StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    WRONG_EVENT = "wrong_event"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    ROTATION_MISSING = "rotation_missing"
    ROTATION_EXPIRED = "rotation_expired"


@dataclass(frozen=True, slots=True)
class Claim:
    """What a payload says: which ticket (canonical code) of which event, under which key."""

    event_id: str
    key_id: int
    code: str


@dataclass(frozen=True, slots=True)
class Parsed:
    claim: Claim
    signed: bytes
    signature: bytes
    rotation: str | None


@dataclass(frozen=True, slots=True)
class Verification:
    outcome: Outcome
    claim: Claim | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.VALID


class MalformedPayload(ValueError):
    """Not a version-1 ticket payload."""


def _event_bytes(event_id: str) -> bytes:
    letters = event_id.removeprefix(_EVENT_PREFIX)
    if letters == event_id or len(letters) != 16:
        raise ValueError(f"not an event id: {event_id!r}")
    try:
        return base64.b32decode(letters.upper())
    except binascii.Error as exc:
        raise ValueError(f"not an event id: {event_id!r}") from exc


def _event_id(raw: bytes) -> str:
    return _EVENT_PREFIX + base64.b32encode(raw).decode().lower()


def _ticket_number(code: str) -> int:
    number = 0
    for symbol in parse_code(code)[:PAYLOAD_LENGTH]:
        number = number * _CODE_BASE + CODE_ALPHABET.index(symbol)
    return number


def _code(number: int) -> str:
    if number >= _CODE_BASE**PAYLOAD_LENGTH:
        raise MalformedPayload("ticket number out of range")
    payload = ""
    for _ in range(PAYLOAD_LENGTH):
        number, value = divmod(number, _CODE_BASE)
        payload = CODE_ALPHABET[value] + payload
    return payload + check_character(payload)


def signed_bytes(claim: Claim) -> bytes:
    """The 15 bytes a signature covers (after `SIGNATURE_CONTEXT`)."""
    if not 1 <= claim.key_id <= MAX_KEY_ID:
        raise ValueError(f"key ids run from 1 to {MAX_KEY_ID}")
    return (
        claim.key_id.to_bytes(1, "big")
        + _event_bytes(claim.event_id)
        + _ticket_number(claim.code).to_bytes(4, "big")
    )


def sign(claim: Claim, private_key: Ed25519PrivateKey) -> str:
    """The static payload text for `claim` (no rotating suffix)."""
    fields = signed_bytes(claim)
    signature = private_key.sign(SIGNATURE_CONTEXT + fields)
    number = int.from_bytes(fields[:1] + fields[1:11], "big")
    number = (number << _NUMBER_BITS) | int.from_bytes(fields[11:], "big")
    number = (number << _SIGNATURE_BITS) | int.from_bytes(signature, "big")
    body = ""
    for _ in range(BODY_LENGTH):
        number, value = divmod(number, _BASE)
        body = BODY_ALPHABET[value] + body
    return PREFIX + body


def with_rotation(payload: str, digits: str) -> str:
    """The payload a rotating-QR ticket shows: the static text plus the current digits."""
    return f"{payload}{SUFFIX_SEPARATOR}{digits}"


def parse(text: str) -> Parsed:
    """Split a payload into its (unverified) claim, signature and suffix."""
    if not text.startswith(PREFIX):
        raise MalformedPayload("unknown prefix or version")
    body = text[len(PREFIX) : len(PREFIX) + BODY_LENGTH]
    rest = text[len(PREFIX) + BODY_LENGTH :]
    if len(body) != BODY_LENGTH or not set(body) <= _VALUES.keys():
        raise MalformedPayload("the body is not 117 symbols of the payload alphabet")
    rotation: str | None = None
    if rest:
        if not rest.startswith(SUFFIX_SEPARATOR):
            raise MalformedPayload("unexpected characters after the body")
        rotation = rest[len(SUFFIX_SEPARATOR) :]
    number = 0
    for symbol in body:
        number = number * _BASE + _VALUES[symbol]
    if number >> _TOTAL_BITS:
        raise MalformedPayload("the body encodes more than 630 bits")
    signature = (number & ((1 << _SIGNATURE_BITS) - 1)).to_bytes(64, "big")
    number >>= _SIGNATURE_BITS
    ticket_number = number & ((1 << _NUMBER_BITS) - 1)
    number >>= _NUMBER_BITS
    event_raw = (number & ((1 << 80) - 1)).to_bytes(_EVENT_BYTES, "big")
    key_id = number >> 80
    if key_id == 0:
        raise MalformedPayload("key id 0 is never issued")
    claim = Claim(event_id=_event_id(event_raw), key_id=key_id, code=_code(ticket_number))
    fields = key_id.to_bytes(1, "big") + event_raw + ticket_number.to_bytes(4, "big")
    return Parsed(claim=claim, signed=fields, signature=signature, rotation=rotation)


def verify(
    text: str,
    *,
    event_id: str,
    public_keys: Mapping[int, Ed25519PublicKey],
    now: float,
    rotation_secret: Callable[[str], bytes] | None = None,
) -> Verification:
    """Check a scanned payload for the gate's event.

    `public_keys` are all the event's keys by id, retired ones included. `rotation_secret`
    is given for an event with rotating QR codes: it maps a canonical code to that ticket's
    secret (`boxoffice.tickets.rotating.ticket_secret`), and the suffix is then required.
    `now` is a UNIX time. An outcome other than VALID is all a caller learns.
    """
    try:
        parsed = parse(text.strip())
    except MalformedPayload:
        return Verification(Outcome.MALFORMED)
    claim = parsed.claim
    if claim.event_id != event_id:
        return Verification(Outcome.WRONG_EVENT, claim)
    key = public_keys.get(claim.key_id)
    if key is None:
        return Verification(Outcome.UNKNOWN_KEY, claim)
    try:
        key.verify(parsed.signature, SIGNATURE_CONTEXT + parsed.signed)
    except InvalidSignature:
        return Verification(Outcome.BAD_SIGNATURE, claim)
    if rotation_secret is None:
        if parsed.rotation is not None:
            return Verification(Outcome.MALFORMED, claim)
        return Verification(Outcome.VALID, claim)
    if parsed.rotation is None:
        return Verification(Outcome.ROTATION_MISSING, claim)
    if not rotating.accepts(rotation_secret(claim.code), parsed.rotation, now=now):
        return Verification(Outcome.ROTATION_EXPIRED, claim)
    return Verification(Outcome.VALID, claim)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64url without padding: what an offline bundle carries."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)
