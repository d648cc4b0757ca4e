"""The dashboard's chart of tickets sold over time, drawn on the server as inline SVG.

Server-side because the dashboard already polls for fresh HTML (htmx): the chart arrives
with the figures in the same fragment, needs no charting library in the browser, no inline
script (the CSP forbids it) and no style attribute (colours come from classes in site.css).
It is an image with a text alternative (``role="img"``, ``<title>``, ``<desc>``) that says
what a sighted reader would take from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
MAX_POINTS = 240  # more would only add bytes: the chart is 580 pixels wide


def cumulative(timeline: Sequence[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """(moment, tickets sold up to then), thinned to at most MAX_POINTS steps."""
    points: list[tuple[datetime, int]] = []
    total = 0
    for moment, quantity in timeline:
        total += quantity
        points.append((moment, total))
    if len(points) <= MAX_POINTS:
        return points
    stride = len(points) / MAX_POINTS
    thinned = [points[int(i * stride)] for i in range(MAX_POINTS)]
    return [*thinned, points[-1]]


def sales_chart(
    timeline: Sequence[tuple[datetime, int]],
    *,
    now: datetime,
    title: str,
    description: str,
    label: Callable[[datetime], str],
) -> str:
    """A step line of cumulative sales from the first sale to `now`."""
    points = cumulative(timeline)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    start = points[0][0] if points else now
    span = max((now - start).total_seconds(), 1.0)
    top = max(points[-1][1] if points else 0, 1)

    def x(moment: datetime) -> float:
        return LEFT + plot_w * min(max((moment - start).total_seconds() / span, 0.0), 1.0)

    def y(count: int) -> float:
        return TOP + plot_h * (1 - count / top)

    path = [f"{x(start):.1f},{y(0):.1f}"]
    previous = 0
    for moment, count in points:
        path.append(f"{x(moment):.1f},{y(previous):.1f}")
        path.append(f"{x(moment):.1f},{y(count):.1f}")
        previous = count
    path.append(f"{x(now):.1f},{y(previous):.1f}")
    base = TOP + plot_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<line class="chart-axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>',
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/>',
        f'<line class="chart-grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<text class="chart-label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top}</text>',
        f'<text class="chart-label" x="{LEFT - 6}" y="{base}" text-anchor="end">0</text>',
        f'<text class="chart-label" x="{LEFT}" y="{HEIGHT - 8}">{escape(label(start))}</text>',
        f'<text class="chart-label" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
        f"{escape(label(now))}</text>",
        f'<polyline class="chart-line" fill="none" points="{" ".join(path)}"/>',
        "</svg>",
    ]
    return "".join(parts)
