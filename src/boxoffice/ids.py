"""Opaque identifiers and secrets.

Ids are random (not sequential) so that they reveal nothing about volume
and cannot be enumerated; the prefix says what kind of object one is.
API keys are random too and only their SHA-256 is stored: a leaked
database does not leak working keys. (SHA-256 without a salt is right for
high-entropy random keys; it would not be for passwords.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{base64.b32encode(secrets.token_bytes(10)).decode().lower()}"


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def derive_key(root: bytes, purpose: str) -> bytes:
    """A sub-key per purpose, so one leaked use does not expose the others."""
    return hmac.new(root, f"boxoffice:{purpose}".encode(), hashlib.sha256).digest()


def derived_token(key: bytes, subject: str) -> str:
    """An unguessable bearer token for `subject`, recomputed rather than stored."""
    digest = hmac.new(key, subject.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def tokens_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
