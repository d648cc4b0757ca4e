"""Conditional requests for ticket views: a repeat view costs a lookup and a hash, not a render.

Every ticket view is private (it is behind the order's token) and must be revalidated, since
a ticket can be cancelled or used at any time: ``Cache-Control: private, no-cache`` plus a
strong ETag over everything the view shows (`Shown.etag`). A client that already has the
current version gets ``304 Not Modified`` without the body being rendered again.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response

CACHE_CONTROL = "private, no-cache"


def matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    given = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag.removeprefix("W/") in given


def conditional(
    request: Request,
    etag: str,
    render: Callable[[], Response],
    *,
    vary: str | None = "Authorization",
) -> Response:
    """304 when the client has `etag`, else the rendered response; both with cache headers."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if vary:
        headers["Vary"] = vary
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    response = render()
    response.headers.update(headers)
    return response
