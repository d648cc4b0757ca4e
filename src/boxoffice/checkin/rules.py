"""What a scan says and what the gate answers: pure rules shared by online and offline check-in.

A gate sends the text read from a QR code (``payload``) or a short code typed by hand
(``code``). Before any row is read, `read_payload` and `read_code` decide whether it names a
ticket of the gate's event at all: a payload must carry a valid signature under one of the
event's keys (and, for a rotating-QR event, digits current at the time of the scan); a typed
code must pass its check character, so a typo is refused with a hint instead of matching
someone else's ticket. What is left, the ticket's state, is the database's business
(`boxoffice.checkin.redemption`).

The same functions run on the server for online scans and again for scans uploaded by an
offline gate (then with the time of the scan, not of the upload), and the browser mirrors them
in ``gate-verify.js``.

Pure: no I/O and no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from boxoffice.tickets import qr
from boxoffice.tickets.codes import InvalidCode, parse_code, suggest_corrections


class Result(enum.StrEnum):
    """What the gate shows. Only ADMITTED lets the holder in."""

    ADMITTED = "admitted"
    ALREADY_USED = "already_used"
    INVALID = "invalid"
    WRONG_EVENT = "wrong_event"
    CANCELLED = "cancelled"


# Why a scan was refused before or after the lookup; stable strings the gate page maps to text.
MESSAGES: dict[str, str] = {
    "not_a_ticket": "This is not a Boxoffice ticket code.",
    "unknown_key": "The code is not signed by this event's keys.",
    "bad_signature": "Forged or damaged code: the signature does not match.",
    "live_code_missing": "This event uses live codes: show the ticket page, not a print-out.",
    "live_code_expired": "Expired live code (a screenshot?): ask for the live ticket page.",
    "length": "A ticket code has 7 characters (XXX-XXXX).",
    "character": "The code has a character that codes never use.",
    "check": "Typo: one character is wrong or two are swapped.",
    "unknown_code": "No ticket has this code.",
    "wrong_event": "This ticket is for another event.",
    "cancelled": "This ticket was cancelled or refunded.",
    "already_used": "This ticket was already used.",
}

_QR_REASONS = {
    qr.Outcome.MALFORMED: "not_a_ticket",
    qr.Outcome.UNKNOWN_KEY: "unknown_key",
    qr.Outcome.BAD_SIGNATURE: "bad_signature",
    qr.Outcome.ROTATION_MISSING: "live_code_missing",
    qr.Outcome.ROTATION_EXPIRED: "live_code_expired",
}


@dataclass(frozen=True, slots=True)
class Reading:
    """A scan, read: the canonical code of a ticket claimed for this event, or why not."""

    code: str | None
    refusal: Result | None = None
    reason: str | None = None
    hint: str | None = None
    # A typed code that fails its check character: the valid codes one typo away (7 to 13),
    # of which the gate is told those that are tickets of its event.
    corrections: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def read_payload(
    text: str,
    *,
    event_id: str,
    public_keys: Mapping[int, Ed25519PublicKey],
    now: float,
    rotation_secret: Callable[[str], bytes] | None = None,
) -> Reading:
    """Verify a QR payload for the gate's event (`now` is the time of the scan)."""
    verified = qr.verify(
        text, event_id=event_id, public_keys=public_keys, now=now, rotation_secret=rotation_secret
    )
    if verified.ok and verified.claim is not None:
        return Reading(code=verified.claim.code)
    if verified.outcome is qr.Outcome.WRONG_EVENT:
        # An unverified claim (the gate has no key of that event), but either way not here.
        return Reading(code=None, refusal=Result.WRONG_EVENT, reason="wrong_event")
    return Reading(code=None, refusal=Result.INVALID, reason=_QR_REASONS[verified.outcome])


def read_code(text: str) -> Reading:
    """A typed short code: canonical if its check character holds, else refused with a hint."""
    try:
        return Reading(code=parse_code(text))
    except InvalidCode as error:
        corrections = tuple(suggest_corrections(text)) if error.reason == "check" else ()
        return Reading(
            code=None,
            refusal=Result.INVALID,
            reason=error.reason,
            hint=error.hint,
            corrections=corrections,
        )


def unknown_key(reading: Reading) -> bool:
    """Whether a refusal could be a key this process has not seen yet (worth one reload)."""
    return reading.reason == "unknown_key"


def answer_for_state(*, status: str, same_event: bool) -> Result:
    """The answer for a ticket this scan did not admit, from the ticket's current state."""
    if not same_event:
        return Result.WRONG_EVENT
    if status == "cancelled":
        return Result.CANCELLED
    return Result.ALREADY_USED
