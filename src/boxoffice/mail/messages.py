"""The tickets e-mail, rendered when it is sent (not when queued) from the order as it is then.

Rendering late keeps the confirming transaction small (one short outbox row) and means a
re-send shows the tickets' current state. Links carry the order's access token, which is
derived, never stored: the e-mail is the buyer's key to the tickets, as the purchase
answer was.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from boxoffice.db.tables import orders
from boxoffice.tickets import pdf
from boxoffice.tickets.presentation import TicketsContext, open_order_tickets, show

_templates = Environment(
    loader=PackageLoader("boxoffice.mail", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    keep_trailing_newline=True,
)


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
                select(orders.c.buyer_email, orders.c.buyer_name, orders.c.status).where(
                    orders.c.id == order_id
                )
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
    values = {
        "buyer_name": order.buyer_name,
        "event_name": first.event_name,
        "venue": first.venue,
        "starts_at": pdf.when(first.starts_at, ctx.display_zone),
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
    message["Subject"] = f"Your tickets for {first.event_name}"
    message["From"] = letterhead.mail_from
    message["To"] = formataddr((order.buyer_name, order.buyer_email))
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(letterhead.mail_from)[1].partition("@")[2] or "boxoffice.invalid"
    # Fixed per outbox row: a repeat after a crash is recognisably the same message.
    message["Message-ID"] = f"<{message_key}@{domain}>"
    message.set_content(_templates.get_template("tickets.txt.j2").render(values))
    message.add_alternative(
        _templates.get_template("tickets.html.j2").render(values), subtype="html"
    )
    message.add_attachment(
        pdf.render_tickets(shown, zone=ctx.display_zone),
        maintype="application",
        subtype="pdf",
        filename="tickets.pdf",
    )
    return message
