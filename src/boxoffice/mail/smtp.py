"""Mailers: the port the worker sends through, an SMTP adapter, and a logging stand-in.

`BOXOFFICE_SMTP_URL` picks the adapter: ``smtp://host:port`` (plain, as for a local relay
or a test server), ``smtp+starttls://user:pass@host:587`` (submission, upgraded to TLS with
certificate checks) or ``smtps://user:pass@host:465`` (TLS from the first byte). Without it
the demo logs each message instead, so buying works on a laptop with no mail server.

smtplib is blocking; each send runs in a worker thread with a timeout, so a slow or dead
mail server delays only the mail worker, never a request.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("boxoffice.mail")

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
SEND_TIMEOUT_SECONDS = 30.0


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the next hop; raise if it was not accepted."""


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "tls"
    username: str | None = None
    password: str | None = None
    timeout: float = SEND_TIMEOUT_SECONDS

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an SMTP URL (smtp://, smtp+starttls://, smtps://): {url!r}")
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or _DEFAULT_PORTS[scheme],
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


class LogMailer:
    """No SMTP configured (the demo): write the message to the log and call it delivered."""

    async def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "mail (not sent: no BOXOFFICE_SMTP_URL) to %s: %s\n%s",
            message["To"],
            message["Subject"],
            text,
        )


def build_mailer(smtp_url: str | None) -> Mailer:
    return SmtpMailer.from_url(smtp_url) if smtp_url else LogMailer()
