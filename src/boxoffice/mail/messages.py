"""The tickets e-mail, rendered when it is sent (not when queued) from the order as it is then.

Rendering late keeps the confirming transaction small (one short outbox row) and means a
re-send shows the tickets' current state. Links carry the order's access token, which is
derived, never stored: the e-mail is the buyer's key to the tickets, as the purchase
answer was. It is written in the language the buyer bought in (`orders.locale`, recorded at
checkout; the site's default for orders that recorded none), as is its PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from boxoffice import i18n
from boxoffice.db.tables import orders
from boxoffice.tickets import pdf
from boxoffice.tickets.presentation import TicketsContext, open_order_tickets, show


@cache
def _templates(locale: str) -> Environment:
    """The e-mail's templates speaking `locale` (one environment per language, built once)."""
    environment = Environment(
        loader=PackageLoader("boxoffice.mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    return environment


@dataclass(frozen=True, slots=True)
class Letterhead:
    mail_from: str
    public_url: str  # where ticket links point, e.g. https://tickets.example.com


async def ticket_email(
    ctx: TicketsContext, *, order_id: str, message_key: str, resend: bool, letterhead: Letterhead
) -> EmailMessage | None:
    """The message for an order's tickets; None if the order has none to send any more."""
    async with ctx.engine.connect() as conn:
        order = (
            await conn.execute(
                select(
                    orders.c.buyer_email, orders.c.buyer_name, orders.c.status, orders.c.locale
                ).where(orders.c.id == order_id)
            )
        ).first()
    if order is None or order.status != "paid":
        return None
    token = ctx.access_token(order_id)
    tickets = await open_order_tickets(ctx, order_id=order_id, token=token)
    if not tickets:
        return None
    shown = [await show(ctx, ticket) for ticket in tickets]
    base = letterhead.public_url.rstrip("/")
    first = tickets[0]
    locale = i18n.normalise(order.locale) or i18n.normalise(ctx.default_locale) or "en"
    fmt = i18n.Formats(locale, ctx.display_zone.key)
    values = {
        "lang": i18n.LOCALES[locale][0],
        "buyer_name": order.buyer_name,
        "event_name": first.event_name,
        "venue": first.venue,
        "starts_at": fmt.when_named(first.starts_at),
        "order_id": order_id,
        "resend": resend,
        "tickets": [
            {
                "code": t.display_code,
                "ticket_type_name": t.ticket_type_name,
                "holder_name": t.holder_name,
                "url": f"{base}/t/{t.display_code}?token={token}",
            }
            for t in tickets
        ],
    }
    message = EmailMessage()
    subject = i18n.translations(locale).gettext("Your tickets for %(event)s")
    message["Subject"] = subject % {"event": first.event_name}
    message["From"] = letterhead.mail_from
    message["To"] = formataddr((order.buyer_name, order.buyer_email))
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(letterhead.mail_from)[1].partition("@")[2] or "boxoffice.invalid"
    # Fixed per outbox row: a repeat after a crash is recognisably the same message.
    message["Message-ID"] = f"<{message_key}@{domain}>"
    templates = _templates(locale)
    message.set_content(templates.get_template("tickets.txt.j2").render(values))
    html = templates.get_template("tickets.html.j2").render(values)
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        pdf.render_tickets(shown, locale=locale, zone=ctx.display_zone),
        maintype="application",
        subtype="pdf",
        filename="tickets.pdf",
    )
    return message
