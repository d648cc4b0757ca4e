""" "My tickets": a buyer asks for a link by e-mail and sees every ticket bought with that address.

No accounts and no passwords: owning the mailbox is the proof. The link carries a signed,
expiring token (`boxoffice.signing`, key derived for this purpose only) naming the
address; nothing is stored. The answer to "send me a link" is the same whether or not the
address bought anything, and the lookup and the sending happen after the answer, so
neither the page nor its timing tells a stranger who is a customer. Only addresses with
paid orders get mail, so the form cannot be used to send mail to anyone else; rate limits
per client and per address keep it from being used to flood one mailbox.

Sent directly through the process's mailer, not the outbox: the outbox belongs to orders
(one row per order's tickets), and a lost link costs nothing but asking again.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from fastapi import APIRouter, BackgroundTasks, Request, Response

from boxoffice.sales.rules import normalise_email
from boxoffice.signing import BadToken, ExpiredToken
from boxoffice.support.lookup import orders_by_email
from boxoffice.web.pages.context import PagesContext, pages_of
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, View, render, view_of
from boxoffice.web.pages.sessions import check_csrf, client_key
from boxoffice.web.ratelimit import Rate, enforce

log = logging.getLogger("boxoffice.web")
router = APIRouter(route_class=PageRoute, include_in_schema=False)
LINK_SECONDS = 3600  # long enough to open the mail, short enough that an old mail is inert
PER_ADDRESS = Rate(per_minute=0.5, burst=3)  # three links at once, then one per two minutes


@router.get("/my-tickets")
async def ask_for_link(request: Request) -> Response:
    return render(request, "shop/my_tickets.html", sent=False, expired=False)


@router.post("/my-tickets")
async def send_link(request: Request, background: BackgroundTasks) -> Response:
    pages = pages_of(request)
    await enforce(pages.limiter, f"my-tickets:{client_key(request)}", pages.lookup_rate)
    form = await read_form(request)
    check_csrf(request, form)
    email = form.get("email", "")
    if "@" not in email or len(email) > 320:
        return render(
            request, "shop/my_tickets.html", status=422, sent=False, expired=False, email=email
        )
    await enforce(pages.limiter, f"my-tickets-to:{normalise_email(email)}", PER_ADDRESS)
    background.add_task(mail_link, request.app.state, pages, email=email, view=view_of(request))
    return render(request, "shop/my_tickets.html", sent=True, expired=False, email=email)


async def mail_link(state: object, pages: PagesContext, *, email: str, view: View) -> None:
    """Send the link if the address has paid orders; never raise (the answer has gone)."""
    try:
        engine = state.services.engine  # type: ignore[attr-defined]
        mail = state.mail  # type: ignore[attr-defined]
        if not await orders_by_email(engine, email=email, partner_id=None, statuses=("paid",)):
            return
        address = normalise_email(email)
        token = pages.magic_links.dumps(
            {"email": address}, now=pages.clock(), ttl_seconds=LINK_SECONDS
        )
        link = f"{mail.letterhead.public_url.rstrip('/')}/my-tickets/open?token={token}"
        message = EmailMessage()
        message["Subject"] = view.gettext("Your tickets at Boxoffice")
        message["From"] = mail.letterhead.mail_from
        message["To"] = formataddr(("", address))
        message["Date"] = formatdate(localtime=False)
        message.set_content(
            view.gettext(
                "Open this link to see every ticket bought with this address. "
                "It works for one hour:\n\n%(link)s\n\n"
                "If you did not ask for it, ignore this message.",
                link=link,
            )
            + "\n"
        )
        await mail.mailer.send(message)
    except Exception:
        log.exception("could not send the my-tickets link")


@router.get("/my-tickets/open")
async def open_link(request: Request, token: str = "") -> Response:
    pages = pages_of(request)
    await enforce(pages.limiter, f"my-tickets:{client_key(request)}", pages.lookup_rate)
    try:
        claims = pages.magic_links.loads(token, now=pages.clock())
    except ExpiredToken:
        return render(request, "shop/my_tickets.html", status=410, sent=False, expired=True)
    except BadToken:
        return render(request, "shop/my_tickets.html", status=404, sent=False, expired=True)
    email = str(claims.get("email", ""))
    cards = await orders_by_email(
        request.app.state.services.engine, email=email, partner_id=None, statuses=("paid",)
    )
    sales = request.app.state.services.sales
    links = {card.id: sales.access_token(card.id) for card in cards}
    headers = {"Referrer-Policy": "no-referrer"}
    return render(
        request, "shop/my_orders.html", headers=headers, email=email, cards=cards, tokens=links
    )
