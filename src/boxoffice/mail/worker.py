"""The mail worker: claims due outbox rows, sends them, retries with exponential backoff.

It runs inside every `serve` process (started by the app's lifespan, like the reconciler);
the lease in `boxoffice.mail.outbox` keeps several of them from sending a row twice. A mail
server that is down costs nothing but delay: the row waits ``base * 2**(attempt-1)`` seconds
(5 s, 10 s, 20 s, ... capped at an hour) and goes out when the server is back. After
``max_attempts`` the row is marked failed and left for support to look at and re-send.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from boxoffice import metrics
from boxoffice.config import Settings
from boxoffice.ids import new_id
from boxoffice.mail import outbox
from boxoffice.mail.messages import Letterhead, ticket_email
from boxoffice.mail.smtp import Mailer, build_mailer
from boxoffice.tickets.presentation import TicketsContext

log = logging.getLogger("boxoffice.mail")


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 12  # about 4.5 hours of trying, then a person should look

    def retry_at(self, now: datetime, *, attempts: int) -> datetime | None:
        """When to try again after `attempts` failed tries; None means give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1))
        return now + timedelta(seconds=delay)


@dataclass(frozen=True)
class MailContext:
    tickets: TicketsContext
    mailer: Mailer
    letterhead: Letterhead
    backoff: Backoff = field(default_factory=Backoff)
    # Longer than any send can take (smtp timeout 30 s), so a live owner never loses a
    # lease mid-send; a crashed one's rows come back after it.
    lease: timedelta = timedelta(minutes=5)
    owner: str = field(default_factory=lambda: new_id("mw"))

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.tickets.clock


def build_mail(settings: Settings, tickets: TicketsContext) -> MailContext:
    return MailContext(
        tickets=tickets,
        mailer=build_mailer(settings.smtp_url),
        letterhead=Letterhead(mail_from=settings.mail_from, public_url=settings.public_url),
    )


async def deliver_due(ctx: MailContext, *, limit: int = 20) -> Counter[str]:
    """One round: send what is due now. Returns how many rows went which way."""
    tally: Counter[str] = Counter()
    engine = ctx.tickets.engine
    claimed = await outbox.claim_due(
        engine, owner=ctx.owner, now=ctx.clock(), lease=ctx.lease, limit=limit
    )
    for row in claimed:
        try:
            message = await ticket_email(
                ctx.tickets,
                order_id=row.order_id,
                message_key=row.id,
                resend=row.resend,
                letterhead=ctx.letterhead,
            )
            if message is not None:
                await ctx.mailer.send(message)
        except Exception as exc:  # one bad row or a dead server must not stop the loop
            retry_at = ctx.backoff.retry_at(ctx.clock(), attempts=row.attempts)
            log.warning("mail %s failed (attempt %d): %s", row.id, row.attempts, exc)
            await outbox.mark_failed(
                engine,
                row_id=row.id,
                owner=ctx.owner,
                error=f"{type(exc).__name__}: {exc}",
                retry_at=retry_at,
                now=ctx.clock(),
            )
            tally["retry" if retry_at else "failed"] += 1
            continue
        await outbox.mark_sent(engine, row_id=row.id, owner=ctx.owner, now=ctx.clock())
        tally["sent" if message is not None else "skipped"] += 1
    for outcome, count in tally.items():
        metrics.record(lambda: metrics.MAIL.labels(outcome).inc(count))  # noqa: B023 (run now)
    return tally


# While this process is selling, one e-mail per this many seconds: the backlog still moves
# (and drains at full speed once the rush is over), but a purchase never waits on a PDF.
TRICKLE_SECONDS = 1.0


async def run_forever(
    ctx: MailContext,
    *,
    interval_seconds: float = 2.0,
    selling: Callable[[], bool] = lambda: False,
) -> None:
    """The background loop inside `serve`; jitter keeps several workers out of step.

    Rendering an e-mail (QR codes, a PDF) costs tens of milliseconds of CPU, as much as
    ten purchases: while `selling()` says purchases are in flight in this process, it
    sends at a trickle instead of as fast as it can.
    """
    while True:
        if selling():
            await asyncio.sleep(TRICKLE_SECONDS)
            if selling():
                try:
                    await deliver_due(ctx, limit=1)
                except Exception:
                    log.exception("mail round failed")
                continue
        try:
            tally = await deliver_due(ctx)
            busy = sum(tally.values()) > 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("mail round failed")
            busy = False
        await asyncio.sleep(0 if busy else interval_seconds * random.uniform(0.5, 1.5))
