"""QR images of a payload: inline SVG for the page, standalone SVG and PNG for the API.

Always error-correction level M with no boost, so the version is the one documented in
`boxoffice.tickets.qr` (5 static, 6 rotating), and a 4-module quiet zone as the standard
asks: scanners in bright sunlight need that margin more than anything else.

Encoding a version-5 code costs ~5 ms in segno (most of it choosing the best of eight
masks), ten times the rest of a page view. A payload is deterministic (Ed25519), so the
encoded code and its inline SVG are memoised per payload: a ticket shown again, or a hot
ticket viewed by many, is encoded once per process (rotating payloads once per step).
"""

from __future__ import annotations

import functools
import io
from html import escape

import segno

QUIET_ZONE = 4


@functools.lru_cache(maxsize=1024)
def make(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", boost_error=False, micro=False)


@functools.lru_cache(maxsize=1024)
def inline_svg(payload: str, *, label: str) -> str:
    """An ``<svg>`` element that scales to its box, labelled for screen readers."""
    svg: str = make(payload).svg_inline(
        scale=1,
        border=QUIET_ZONE,
        omitsize=True,
        svgclass="qr-code",
        lineclass="qr-dark",
        dark="#000",
        light="#fff",
    )
    attributes = f'role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
    return svg.replace("<svg ", f"<svg {attributes}", 1)


def svg_document(payload: str) -> bytes:
    buffer = io.BytesIO()
    make(payload).save(buffer, kind="svg", scale=8, border=QUIET_ZONE, dark="#000", light="#fff")
    return buffer.getvalue()


def png(payload: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make(payload).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()
