"""The dashboard chart: cumulative sales as an accessible inline SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boxoffice.web.pages.charts import MAX_POINTS, cumulative, sales_chart

START = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


def test_the_line_counts_tickets_sold_up_to_each_moment() -> None:
    timeline = [(START, 2), (START + timedelta(minutes=1), 1), (START + timedelta(minutes=5), 4)]

    assert [count for _, count in cumulative(timeline)] == [2, 3, 7]


def test_a_long_timeline_is_thinned_but_keeps_its_last_total() -> None:
    timeline = [(START + timedelta(seconds=i), 1) for i in range(10_000)]

    points = cumulative(timeline)

    assert len(points) <= MAX_POINTS + 1
    assert points[-1] == (START + timedelta(seconds=9_999), 10_000)


def test_the_chart_is_an_image_with_a_text_alternative_and_no_style_attribute() -> None:
    svg = sales_chart(
        [(START, 3)],
        now=START + timedelta(hours=1),
        title="Tickets <sold>",
        description="3 tickets sold so far.",
        label=lambda moment: moment.strftime("%H:%M"),
    )

    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg
    assert '<title id="chart-title">Tickets &lt;sold&gt;</title>' in svg
    assert "3 tickets sold so far." in svg
    assert "style=" not in svg
    assert ">12:00<" in svg
    assert ">13:00<" in svg
