"""Signed, expiring tokens: what a cookie or an e-mailed link carries so that we need not store it.

The shape is itsdangerous's: ``<base64url JSON>.<base64url HMAC-SHA256>``, the MAC taken
over a purpose label and the body, under a key derived per purpose from the root secret
(`boxoffice.ids.derive_key`). A token made for one purpose (a console session) therefore
never verifies as another (a buyer's "my tickets" link), even if both held the same JSON.

The expiry is inside the signed body, so nobody can extend a token; a changed root secret
invalidates every token at once, which is the intended way to sign everybody out.
Pure: no I/O, the clock is an argument.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class BadToken(ValueError):
    """Not a token we made (tampered, truncated, another purpose or another secret)."""


class ExpiredToken(BadToken):
    """A genuine token whose time is up: worth telling apart, to offer a fresh one."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes, *, purpose: str) -> None:
        if len(key) < 16:
            raise ValueError("a signing key needs at least 16 bytes")
        self._key = key
        self._purpose = purpose.encode()

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, self._purpose + b"." + body.encode(), hashlib.sha256)
        return _b64(digest.digest())

    def dumps(self, payload: dict[str, Any], *, now: float, ttl_seconds: float) -> str:
        claims = {**payload, "exp": int(now + ttl_seconds)}
        body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def loads(self, token: str, *, now: float) -> dict[str, Any]:
        body, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            raise BadToken("the signature does not match")
        try:
            claims = json.loads(_unb64(body))
        except (binascii.Error, ValueError) as exc:
            raise BadToken("the body is not signed JSON") from exc
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            raise BadToken("the body has no expiry")
        if claims["exp"] < now:
            raise ExpiredToken("the token has expired")
        return claims
