"""Per-event Ed25519 keys that sign QR payloads, with the private half sealed at rest.

Why per event: a gate is given the public keys of its event only, so a payload signed for
another event can never verify there, and a leaked key exposes one event. Key ids are small
integers per event (1, 2, ...; the payload has one byte for them), and rotating a key only
retires the old one from *signing*: gates keep every public key of the event, so payloads
already shown, screenshotted or printed keep verifying.

Concurrency: keys are made lazily, the first time an event's ticket is shown, by whichever
request gets there first. ``(event_id, key_id)`` is the primary key and the first key is
always key 1, so of two requests that both found no key and both insert key 1 only one can
commit: on PostgreSQL the second blocks on the first's index entry and then fails with a
unique violation; on SQLite (writers serialised) its insert simply fails. The loser reads
again and uses the winner's key. (Asking for "the next free id" instead would let a
request that read before the winner committed create a second key: a test catches that.)
A rotation takes ``max + 1`` under the same constraint, so of two concurrent rotations one
retries with the id after.

At rest the private key is AES-256-GCM-sealed under a key derived from the root secret,
with the event id and key id as associated data, so a database dump alone signs nothing and
a sealed key cannot be moved to another event or key id.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from boxoffice.db.tables import event_keys
from boxoffice.errors import Busy, Conflict
from boxoffice.ids import derive_key
from boxoffice.tickets import qr

k = event_keys.c
_ATTEMPTS = 5
# How long this process keeps using the event's active key before looking again. A key
# rotated in another process is picked up within this time; until then the old key (still
# valid at every gate) keeps signing, which is harmless.
ACTIVE_KEY_TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    event_id: str
    key_id: int
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


class KeyStore:
    """Loads, creates and rotates event keys. Each write is its own transaction."""

    def __init__(
        self, engine: AsyncEngine, *, root_secret: bytes, clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._sealing = AESGCM(derive_key(root_secret, "event-keys"))
        self._clock = clock
        self._active: dict[str, tuple[float, SigningKey]] = {}

    async def signing_key(self, event_id: str) -> SigningKey:
        """The event's active key, created on first use."""
        cached = self._active.get(event_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        for _ in range(_ATTEMPTS):
            async with self._engine.connect() as conn:
                found = await self._active_key(conn, event_id)
            if found is None:
                try:
                    found = await self._create(event_id, first=True)
                except IntegrityError:
                    continue  # another request made it first: read theirs
            self._remember(found)
            return found
        raise Busy("could not create the event's signing key; try again")

    async def rotate(self, event_id: str) -> SigningKey:
        """A new key signs from now on; the previous ones are retired (they still verify)."""
        for _ in range(_ATTEMPTS):
            try:
                key = await self._create(event_id, first=False)
            except IntegrityError:
                continue  # a concurrent rotation took that id: take the next one
            self._remember(key)
            return key
        raise Busy("could not rotate the event's key; try again")

    async def public_keys(self, event_id: str) -> dict[int, Ed25519PublicKey]:
        """Every key of the event, retired ones included: what a gate verifies against."""
        async with self._engine.connect() as conn:
            texts = await public_keys_of(conn, event_id)
        return {key_id: qr.load_public_key(text) for key_id, text in texts.items()}

    def _remember(self, key: SigningKey) -> None:
        self._active[key.event_id] = (time.monotonic() + ACTIVE_KEY_TTL_SECONDS, key)

    async def _active_key(self, conn: AsyncConnection, event_id: str) -> SigningKey | None:
        row = (
            await conn.execute(
                select(k.key_id, k.private_key)
                .where(k.event_id == event_id, k.retired_at.is_(None))
                .order_by(k.key_id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return SigningKey(event_id, row.key_id, self._open(event_id, row.key_id, row.private_key))

    async def _create(self, event_id: str, *, first: bool) -> SigningKey:
        async with self._engine.begin() as conn:
            key_id = 1
            if not first:
                latest = await conn.scalar(
                    select(func.coalesce(func.max(k.key_id), 0)).where(k.event_id == event_id)
                )
                key_id = int(latest or 0) + 1
            if key_id > qr.MAX_KEY_ID:
                raise Conflict(f"an event can have at most {qr.MAX_KEY_ID} keys")
            private_key = Ed25519PrivateKey.generate()
            now = self._clock()
            await conn.execute(
                event_keys.insert().values(
                    event_id=event_id,
                    key_id=key_id,
                    public_key=qr.public_key_text(private_key.public_key()),
                    private_key=self._seal(event_id, key_id, private_key),
                    created_at=now,
                    retired_at=None,
                )
            )
            await conn.execute(
                update(event_keys)
                .where(k.event_id == event_id, k.key_id < key_id, k.retired_at.is_(None))
                .values(retired_at=now)
            )
        return SigningKey(event_id, key_id, private_key)

    def _seal(self, event_id: str, key_id: int, key: Ed25519PrivateKey) -> str:
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        nonce = os.urandom(12)
        sealed = self._sealing.encrypt(nonce, raw, f"{event_id}:{key_id}".encode())
        return base64.b64encode(nonce + sealed).decode()

    def _open(self, event_id: str, key_id: int, text: str) -> Ed25519PrivateKey:
        blob = base64.b64decode(text)
        raw = self._sealing.decrypt(blob[:12], blob[12:], f"{event_id}:{key_id}".encode())
        return Ed25519PrivateKey.from_private_bytes(raw)


async def public_keys_of(conn: AsyncConnection, event_id: str) -> dict[int, str]:
    """``{key_id: base64url public key}`` for an offline bundle, retired keys included."""
    rows = await conn.execute(
        select(k.key_id, k.public_key).where(k.event_id == event_id).order_by(k.key_id)
    )
    return {int(row.key_id): str(row.public_key) for row in rows}
