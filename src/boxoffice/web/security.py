"""Security headers on every answer, as a pure ASGI middleware (no body buffering).

Why each one:

- ``Content-Security-Policy``: pages run no inline script and load nothing from elsewhere, so
  an injected ``<script>`` or a hijacked CDN cannot run; ``connect-src`` names the card
  gateway because the checkout tokenises the card there from the browser. A response that
  sets its own policy (the ticket page's is stricter) keeps it. The OpenAPI explorer at
  ``/docs`` loads its own scripts, so it only gets ``frame-ancestors``.
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``: nobody may frame a page and trick
  a click on "pay" or "refund" (clickjacking).
- ``Strict-Transport-Security``: only when the request came over TLS, directly or through a
  proxy that says so (``X-Forwarded-Proto: https``); sent over plain HTTP it would be
  meaningless, and on a laptop demo it would lock ``localhost`` to HTTPS.
- ``Referrer-Policy: same-origin``: links carry order tokens (``?token=``); they must never
  leave in a Referer. Not ``no-referrer``, because browsers then send ``Origin: null`` on
  form posts and we check the Origin of every form post (`boxoffice.web.pages.sessions`).
- ``X-Content-Type-Options: nosniff``: a JSON or text answer is never run as a script.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
_EXPLORER_PATHS = ("/docs", "/redoc")


def page_policy(connect_origins: Iterable[str] = ()) -> str:
    connect = " ".join(["'self'", *sorted(set(connect_origins))])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src {connect}; form-action 'self'; base-uri 'none'; "
        "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'"
    )


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute URL; None for a relative or empty one."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def over_tls(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            proto: str = value.decode("latin-1")
            return proto.split(",")[0].strip().lower() == "https"
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, connect_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.page_policy = page_policy(connect_origins).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        explorer = scope["path"].startswith(_EXPLORER_PATHS)
        tls = over_tls(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                # Only documents get a policy: one sent with a script would bind a service
                # worker loaded from it (the ticket wallet's), and JSON needs none.
                if b"content-security-policy" not in present and content_type.startswith(
                    b"text/html"
                ):
                    policy = b"frame-ancestors 'none'" if explorer else self.page_policy
                    headers.append((b"content-security-policy", policy))
                defaults = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if tls:
                    defaults.append((b"strict-transport-security", HSTS.encode()))
                headers += [(n, v) for n, v in defaults if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
