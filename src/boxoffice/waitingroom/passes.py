"""Signed tokens of the waiting room (pure: no I/O).

A *place token* lets a browser ask for its own place in the queue; an
*admission pass* lets its holder buy tickets for one event, as one buyer,
until it expires. Both are `kind.event.buyer-digest.expiry.nonce.signature`
with an HMAC-SHA256 under a key derived from the root secret, so any web
worker can check them without shared state. The buyer is bound by a digest
of the normalised e-mail: a pass handed to someone else does not match the
e-mail on their order, so it cannot be transferred; the expiry bounds
replay. An admission pass's nonce is its queue's epoch (boxoffice.waitingroom.store):
a pass is honoured only while the queue store keeps that epoch, so a store that
lost the queue refuses every pass issued before, and one that cannot be reached
refuses all (fail closed), without a store round trip per purchase.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PLACE = "q"
ADMISSION = "p"


class BadToken(ValueError):
    """The token is forged, expired, or for another event or buyer."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    event_id: str
    buyer_digest: str
    expires_at: datetime
    nonce: str


def buyer_digest(buyer: str) -> str:
    return hashlib.sha256(buyer.encode()).hexdigest()[:24]


def _sign(key: bytes, body: str) -> str:
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode()


def issue(
    key: bytes,
    *,
    kind: str,
    event_id: str,
    digest: str,
    now: datetime,
    ttl: timedelta,
    nonce: str | None = None,
) -> tuple[str, Token]:
    """Sign a token for the buyer whose `buyer_digest` is `digest`.

    The nonce is random unless given: a place token carries its buyer's final rank there
    (see boxoffice.waitingroom.service), signed like the rest.
    """
    expires = int((now + ttl).timestamp())
    nonce = nonce or secrets.token_hex(6)
    body = f"{kind}.{event_id}.{digest}.{expires}.{nonce}"
    token = Token(kind, event_id, digest, datetime.fromtimestamp(expires, UTC), nonce)
    return f"{body}.{_sign(key, body)}", token


def verify(
    key: bytes, text: str, *, kind: str, event_id: str, digest: str | None, now: datetime
) -> Token:
    parts = text.split(".")
    if len(parts) != 6:
        raise BadToken("malformed token")
    body, signature = ".".join(parts[:5]), parts[5]
    if not hmac.compare_digest(_sign(key, body), signature):
        raise BadToken("the signature does not match")
    got_kind, got_event, got_digest, expires, nonce = parts[:5]
    if got_kind != kind:
        raise BadToken("wrong kind of token")
    if got_event != event_id:
        raise BadToken("this token is for another event")
    if digest is not None and not hmac.compare_digest(got_digest, digest):
        raise BadToken("this pass belongs to another buyer")
    try:
        expires_at = datetime.fromtimestamp(int(expires), UTC)
    except ValueError as error:
        raise BadToken("malformed expiry") from error
    if now >= expires_at:
        raise BadToken("the pass has expired")
    return Token(got_kind, got_event, got_digest, expires_at, nonce)
