"""Who is signed in to the console or the support view, and the CSRF token of their forms.

The session is a signed cookie (`boxoffice.signing`): nothing to store, any worker on any
host can read it. ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (no other site's form
post carries it), ``Secure`` behind TLS. It names the subject (a partner id, or ``admin``
for the holder of ``BOXOFFICE_ADMIN_KEY``) and a fingerprint of the key used to sign in;
every request re-checks that fingerprint against the key on record, so rotating a leaked
key also ends every session opened with it.

CSRF: every visitor gets a session (anonymous until signing in) with a random token that
each form repeats in a hidden field and each htmx request in ``X-CSRF-Token``; a post
without the matching token, or from another Origin, is refused. Signing in issues a fresh
token, so a token planted before sign-in is useless after it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy import select

from boxoffice.db.tables import partners
from boxoffice.errors import Forbidden
from boxoffice.ids import hash_secret, tokens_match
from boxoffice.signing import BadToken
from boxoffice.web.pages.context import pages_of
from boxoffice.web.security import over_tls

COOKIE = "bx_session"
ADMIN = "admin"
SIGNED_IN_SECONDS = 12 * 3600  # a working day; then the key is asked for again
ANONYMOUS_SECONDS = 24 * 3600


class SignInRequired(Exception):
    """The page needs a signed-in partner (console) or support agent."""


@dataclass(frozen=True, slots=True)
class Session:
    subject: str | None
    key_hash: str
    csrf: str


def key_fingerprint(key: str) -> str:
    return hash_secret(key)[:16]


def session_of(request: Request) -> Session:
    found: Session | None = getattr(request.state, "session", None)
    if found is not None:
        return found
    pages = pages_of(request)
    token = request.cookies.get(COOKIE)
    session = None
    if token:
        try:
            claims = pages.sessions.loads(token, now=pages.clock())
            session = Session(claims.get("sub"), str(claims.get("kh", "")), str(claims["csrf"]))
        except (BadToken, KeyError):
            session = None
    if session is None:
        session = _replace(request, subject=None, key_hash="")
    request.state.session = session
    return session


def _replace(request: Request, *, subject: str | None, key_hash: str) -> Session:
    session = Session(subject, key_hash, secrets.token_urlsafe(24))
    request.state.session = session
    request.state.session_changed = True
    return session


def start(request: Request, *, subject: str, key: str) -> Session:
    """Sign in: a new session (and a new CSRF token) for `subject`, who showed `key`."""
    return _replace(request, subject=subject, key_hash=key_fingerprint(key))


def end(request: Request) -> None:
    _replace(request, subject=None, key_hash="")


def write_cookie(request: Request, response: Response) -> None:
    if not getattr(request.state, "session_changed", False):
        return
    session: Session = request.state.session
    pages = pages_of(request)
    ttl = SIGNED_IN_SECONDS if session.subject else ANONYMOUS_SECONDS
    payload = {"sub": session.subject, "kh": session.key_hash, "csrf": session.csrf}
    response.set_cookie(
        COOKIE,
        pages.sessions.dumps(payload, now=pages.clock(), ttl_seconds=ttl),
        max_age=ttl,
        path="/",
        httponly=True,
        samesite="lax",
        secure=over_tls(request.scope),
    )


def safe_next(target: str | None, default: str) -> str:
    """A path on this site to go back to; anything else (``//evil``, ``https://…``) is not."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(here, safe='')}"


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Refuse a state-changing request that did not come from one of our own pages."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{'https' if over_tls(request.scope) else request.url.scheme}://"
        expected += request.headers.get("host", "")
        if origin != expected:
            raise Forbidden("this form was posted from another site", reason="csrf")
    given = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    if not tokens_match(given, session_of(request).csrf):
        raise Forbidden("the form has expired; reload the page and try again", reason="csrf")


async def _key_still_valid(request: Request, session: Session) -> bool:
    pages = pages_of(request)
    if session.subject == ADMIN:
        admin_key = pages.settings.admin_key
        return bool(admin_key) and tokens_match(session.key_hash, key_fingerprint(admin_key or ""))
    async with request.app.state.services.engine.connect() as conn:
        on_record = await conn.scalar(
            select(partners.c.api_key_hash).where(partners.c.id == session.subject)
        )
    return on_record is not None and tokens_match(session.key_hash, str(on_record)[:16])


async def signed_in_partner(request: Request) -> str:
    """The console's dependency: the signed-in partner's id, or off to the sign-in page."""
    session = session_of(request)
    if session.subject in (None, ADMIN) or not await _key_still_valid(request, session):
        raise SignInRequired
    return str(session.subject)


async def signed_in_agent(request: Request) -> str | None:
    """The support view's dependency: None for the admin (every event), else a partner id."""
    session = session_of(request)
    if session.subject is None or not await _key_still_valid(request, session):
        raise SignInRequired
    return None if session.subject == ADMIN else session.subject


def client_key(request: Request) -> str:
    """The caller's address for rate limits (uvicorn resolves trusted X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"
