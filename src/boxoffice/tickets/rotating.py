"""Rotating QR codes: a time-based suffix that makes a screenshot worthless after a minute.

A ticket of an event with ``rotating_qr`` shows its signed payload followed by ``.`` and
eight digits that change every ``STEP_SECONDS``. The digits are an RFC 6238 TOTP value
(HMAC-SHA-256, dynamic truncation of RFC 4226, eight digits) under a secret of that one
ticket, so:

- the ticket page computes them itself, offline too, from the ticket's secret, which it is
  given only when opened with the order's access token (the holder can already show the
  ticket; the point is that a *picture* of it stops working, not that the link does);
- a gate holding the offline bundle (which carries the per-ticket secrets) checks them
  without asking anyone.

Clock skew: a gate accepts the current step and ``SKEW_STEPS`` = 1 step either side, so a
phone and a gate may disagree by up to 30 s, and a screenshot stays usable for at most
60-90 s after it was taken. Per-ticket secrets are never stored: they come from an event
secret (derived from the root secret per event) and the ticket's code, so each can be
recomputed wherever the event secret is known, and one leaked ticket secret opens nothing
else.

Pure: no clock is read here; every function takes the time as an argument.
"""

from __future__ import annotations

import hashlib
import hmac

STEP_SECONDS = 30
DIGITS = 8
SKEW_STEPS = 1


def ticket_secret(event_secret: bytes, code: str) -> bytes:
    """The rotation secret of one ticket (canonical 7-symbol code) of the event."""
    return hmac.new(event_secret, f"rotation:{code}".encode(), hashlib.sha256).digest()


def counter_at(now: float, *, step: int = STEP_SECONDS) -> int:
    """The RFC 6238 time step T for a UNIX time."""
    return int(now // step)


def hotp(secret: bytes, counter: int) -> str:
    """RFC 4226 HOTP with SHA-256 and ``DIGITS`` digits, zero-padded."""
    digest = hmac.new(secret, counter.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def code_at(secret: bytes, now: float, *, step: int = STEP_SECONDS) -> str:
    """The digits a ticket shows at `now`."""
    return hotp(secret, counter_at(now, step=step))


def accepts(
    secret: bytes, given: str, *, now: float, step: int = STEP_SECONDS, skew: int = SKEW_STEPS
) -> bool:
    """Whether `given` is the ticket's value for a step within `skew` of `now`'s."""
    if len(given) != DIGITS or not given.isascii() or not given.isdigit():
        return False
    current = counter_at(now, step=step)
    # Compare against every candidate (no early exit) so timing says nothing about which.
    matches = [
        hmac.compare_digest(hotp(secret, current + delta), given)
        for delta in range(-skew, skew + 1)
    ]
    return any(matches)


def seconds_left(now: float, *, step: int = STEP_SECONDS) -> float:
    """How long the value shown at `now` stays the current one."""
    return step - (now % step)
