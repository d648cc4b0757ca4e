"""Rendering pages: one Jinja environment per language, and one place where errors become pages.

Every page route is a `PageRoute`, so a domain error raised anywhere below a page (a sold
out ticket type, a wrong key, a rate limit) becomes a page in the visitor's language with
the right status, never a JSON problem a person cannot read; a 429 keeps its machine code
(``rate_limited``) and ``Retry-After``, and a caller that asks for JSON gets the problem
document. A session that was created or changed during the request is written back here as
well, so no route can forget the cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from boxoffice import i18n
from boxoffice.db.outage import is_outage
from boxoffice.errors import BoxofficeError
from boxoffice.web.pages import sessions
from boxoffice.web.pages.assets import asset_url
from boxoffice.web.pages.context import PagesContext, pages_of
from boxoffice.web.problems import database_unavailable, problem_for

LANG_COOKIE = i18n.COOKIE
log = logging.getLogger("boxoffice.web")


class PageFailed(BoxofficeError):
    """A bug behind a page: logged with its request id, shown as a page, never as a trace."""

    code = "internal_error"
    status = 500
    title = "Internal error"


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("boxoffice.web.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    env.globals["asset"] = asset_url
    return env


@dataclass(frozen=True)
class View:
    """What every template may use about the visitor: language, formats, where they are."""

    locale: str
    lang: str
    fmt: i18n.Formats
    here: str  # path and query, for the language switch to come back to
    request: Request

    @property
    def csrf(self) -> str:
        """The session's CSRF token. Asked for only by pages with forms, so that browsing the
        storefront sets no cookie (and its pages stay cacheable by the browser)."""
        return sessions.session_of(self.request).csrf

    @property
    def subject(self) -> str | None:  # "admin", a partner id, or None
        return sessions.session_of(self.request).subject

    @property
    def locales(self) -> list[tuple[str, str, bool]]:
        return [(code, name, code == self.locale) for code, (_, name) in i18n.LOCALES.items()]

    def gettext(self, message: str, **values: Any) -> str:
        text = i18n.translations(self.locale).gettext(message)
        return text % values if values else text


def view_of(request: Request) -> View:
    cached: View | None = getattr(request.state, "view", None)
    if cached is not None:
        return cached
    pages = pages_of(request)
    locale = i18n.choose_locale(
        cookie=request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
        default=pages.settings.default_locale,
    )
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    view = View(
        locale=locale,
        lang=i18n.LOCALES[locale][0],
        fmt=_formats(locale, pages.settings.display_timezone),
        here=here,
        request=request,
    )
    request.state.view = view
    return view


@cache
def _formats(locale: str, timezone: str) -> i18n.Formats:
    return i18n.Formats(locale, timezone)


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    view = view_of(request)
    html = (
        environment(view.locale)
        .get_template(template)
        .render(view=view, pages=pages_of(request), **values)
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    # Pages show live figures, private orders and CSRF tokens: never from a shared cache.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Content-Language"] = view.lang
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """See other: after a form post, and for htmx (which follows it inside the page) a full
    navigation instead, so that a fragment is never replaced by a whole page."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def error_page(request: Request, error: BoxofficeError) -> Response:
    headers: dict[str, str] = {}
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    if wants_json(request):
        response: Response = problem_for(error)
        response.headers.update(headers)
        return response
    return render(request, "site/problem.html", status=error.status, headers=headers, error=error)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except sessions.SignInRequired:
                response = redirect(request, sessions.login_url(request))
            except BoxofficeError as error:
                response = error_page(request, error)
            except Exception as failure:
                if is_outage(failure):
                    response = error_page(request, database_unavailable(request, failure))
                else:
                    log.exception("unhandled error on %s %s", request.method, request.url.path)
                    response = error_page(request, PageFailed("an unexpected error occurred"))
            sessions.write_cookie(request, response)
            return response

        return run


__all__ = ["PageRoute", "PagesContext", "View", "redirect", "render", "view_of"]
