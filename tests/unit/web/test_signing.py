"""Signed tokens: what a session cookie or an e-mailed link carries."""

from __future__ import annotations

import pytest

from boxoffice.signing import BadToken, ExpiredToken, Signer

KEY = b"k" * 32


def test_a_token_gives_back_what_was_signed_until_it_expires() -> None:
    signer = Signer(KEY, purpose="session")
    token = signer.dumps({"sub": "prt_1"}, now=1000, ttl_seconds=60)

    assert signer.loads(token, now=1059)["sub"] == "prt_1"
    with pytest.raises(ExpiredToken):
        signer.loads(token, now=1061)


def test_a_changed_body_or_signature_is_refused() -> None:
    signer = Signer(KEY, purpose="session")
    body, mac = signer.dumps({"sub": "prt_1"}, now=0, ttl_seconds=60).split(".")
    other_body = signer.dumps({"sub": "admin"}, now=0, ttl_seconds=60).split(".")[0]

    for forged in (f"{other_body}.{mac}", f"{body}.{mac[:-2]}AA", body, "", "a.b.c"):
        with pytest.raises(BadToken):
            signer.loads(forged, now=0)


def test_a_token_made_for_one_purpose_is_refused_for_another() -> None:
    session = Signer(KEY, purpose="session").dumps({"email": "a@b.c"}, now=0, ttl_seconds=60)

    with pytest.raises(BadToken):
        Signer(KEY, purpose="my-tickets").loads(session, now=0)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(b"short", purpose="x")
