"""The mentions-per-month chart: buckets, undated mentions, years for long spans, valid SVG."""

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from trialbuzz.attention.kinds import KINDS
from trialbuzz.web import timeline

NS = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 11, 23)


def mention(kind, published_at):
    return {"kind": kind, "published_at": published_at, "title": "x", "url": "https://x.org/"}


def months(mentions):
    return timeline.monthly_counts(timeline.counted(mentions), TODAY)


def drawn(mentions):
    return timeline.render(months(mentions))


MENTIONS = [
    mention("news", "2026-11-22T08:00:00+00:00"),
    mention("forum", "2026-11-21T10:00:00+00:00"),
    mention("forum", "2026-09-20T10:00:00+00:00"),
    mention("publication", "2026-08-05T00:00:00+00:00"),
    mention("wikipedia", None),
]


def test_months_run_from_the_first_mention_to_today_with_empty_ones_kept():
    buckets, undated, by_year = months(MENTIONS)
    assert [label for label, _, _ in buckets] == ["Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026"]
    assert [counts for _, _, counts in buckets] == [
        {"publication": 1}, {"forum": 1}, {}, {"news": 1, "forum": 1}]
    assert undated == 1 and by_year is False


def test_the_chart_reaches_today_even_when_mentions_stop_earlier():
    buckets, _, _ = months([mention("news", "2026-06-01T00:00:00")])
    assert buckets[0][0] == "Jun 2026" and buckets[-1][0] == "Nov 2026"


def test_more_than_ten_years_is_counted_per_year():
    buckets, _, by_year = months(
        [mention("publication", "2010-03-01T00:00:00"), mention("news", "2026-01-01T00:00:00")])
    assert by_year is True
    assert buckets[0] == ("2010", (2010, 1), {"publication": 1})
    assert buckets[-1] == ("2026", (2026, 1), {"news": 1})
    assert len(buckets) == 17


@pytest.mark.parametrize("mentions", [[], [mention("news", None)],
                                      [mention("news", "not a date")]])
def test_no_dated_mention_draws_no_chart(mentions):
    assert drawn(mentions) == ""


def test_chart_is_valid_svg_with_a_stacked_bar_per_month():
    root = ET.fromstring(drawn(MENTIONS))
    assert root.get("role") == "img"
    assert root.find(NS + "title").text == "Mentions per month, Aug 2026 to Nov 2026"
    groups = [g for g in root.iter(NS + "g") if g.find(NS + "title") is not None]
    assert [g.find(NS + "title").text for g in groups] == [
        "Aug 2026: 1 publication", "Sep 2026: 1 forum post", "Nov 2026: 1 news story, 1 forum post"]
    november = [r.get("fill") for r in groups[-1].iter(NS + "rect")]
    assert november == [KINDS["news"]["color"], KINDS["forum"]["color"]]


def test_bar_heights_follow_the_counts():
    root = ET.fromstring(drawn(MENTIONS))
    heights = [float(r.get("height")) for r in root.iter(NS + "rect")]
    assert heights[0] == heights[1] == heights[2] == heights[3]
    assert heights[0] > 0


def test_kinds_outside_the_table_are_drawn_and_escaped():
    svg = drawn([mention('link"><script>', "2026-11-01T00:00:00")])
    root = ET.fromstring(svg)
    assert "<script>" not in svg
    assert [r.get("fill") for r in root.iter(NS + "rect")] == [timeline.OTHER_COLOR]


def test_legend_lists_the_charted_kinds_in_display_order():
    assert [kind for kind, _, _ in timeline.legend(timeline.counted(MENTIONS))] == ["news", "forum", "publication"]


@pytest.mark.parametrize("peak, top", [(1, 1), (3, 5), (7, 10), (11, 20), (130, 200)])
def test_axis_tops_are_round(peak, top):
    assert timeline._nice_top(peak) == top


def test_year_labels_do_not_crowd():
    mentions = [mention("news", "2020-05-05T00:00:00")]
    root = ET.fromstring(drawn(mentions))
    labels = [t.text for t in root.iter(NS + "text") if t.get("y") == str(timeline.HEIGHT - 8)]
    assert labels == ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]


def test_counts_from_the_store_draw_what_the_mentions_draw():
    """The collection page's counts, made by the database per month and kind, arrive as
    `counted` makes them of mention dicts: the same chart, and undated ones still counted."""
    counts = [((2026, 11), "news", 1), ((2026, 11), "forum", 1), ((2026, 9), "forum", 1),
              ((2026, 8), "publication", 1), (None, "wikipedia", 1)]
    assert sorted(counts, key=str) == sorted(timeline.counted(MENTIONS), key=str)
    assert timeline.charts(counts, TODAY) == timeline.charts(timeline.counted(MENTIONS), TODAY)
    assert timeline.monthly_counts(counts, TODAY)[1] == 1
