"""Reading the pages' form posts (``application/x-www-form-urlencoded``).

Our forms carry a few short text fields and never files, so the standard library parses
them; that spares a multipart parser as a dependency and caps what a post may weigh.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from boxoffice.errors import BoxofficeError, InvalidRequest

MAX_FORM_BYTES = 64 * 1024


class FormTooLarge(BoxofficeError):
    code = "payload_too_large"
    status = 413
    title = "Form too large"


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields, stripped; a repeated name keeps its last value."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise InvalidRequest("send the form as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge(f"a form may weigh at most {MAX_FORM_BYTES} bytes")
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: value.strip() for name, value in pairs}
