"""Mentions per month as a stacked bar chart in SVG, drawn on the server (no chart script)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from trialbuzz.attention.kinds import KINDS
from trialbuzz.attention.words import kind_label, noun, number
from trialbuzz.web.badges import DARK_COLORS, xml_text

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 26


@dataclass(frozen=True)
class Frame:
    """A drawing's width and left margin in its own units, the size of its labels, its class.

    The page shows each frame where it is drawn at about its own width (the wide one on wider
    screens, the narrow one on phones), so that labels stay at least 12 px on screen."""

    width: int
    left: int
    font: int
    name: str


WIDE = Frame(WIDTH, LEFT, 12, "wide")
NARROW = Frame(320, 30, 12, "narrow")
# Beyond ten years of months the bars get too thin to see, so each bar is a year.
MAX_MONTHS = 120
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OTHER_COLOR = "#8a9099"


def month_of(moment):
    """`(year, month)` of an ISO timestamp, or None when there is none or it is unreadable."""
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return None
    return parsed.year, parsed.month


def counted(mentions):
    """Mention dicts (`{"kind", "published_at"}`) as the charts take them: `[((year, month)
    or None when undated, kind, count)]`, the form a store can also count them in."""
    counts = Counter((month_of(m.get("published_at")), m.get("kind") or "other")
                     for m in mentions)
    return [(month, kind, count) for (month, kind), count in counts.items()]


def monthly_counts(counts, today):
    """Mentions per bucket and kind, oldest first, from the first dated mention to `today`, of
    `counts` as `counted` gives them.

    Returns `(buckets, undated, by_year)`: buckets is a list of `(label, (year, month),
    {kind: count})` with empty buckets kept; a bucket is a month, or a year when the span
    exceeds MAX_MONTHS.
    """
    dated = [(month, kind, count) for month, kind, count in counts if month is not None]
    undated = sum(count for month, _, count in counts if month is None)
    if not dated:
        return [], undated, False
    first = min(month for month, _, _ in dated)
    last = max(max(month for month, _, _ in dated), (today.year, today.month))
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    by_year = span > MAX_MONTHS
    keys = _years(first, last) if by_year else _months(first, last)
    buckets = {key: {} for key in keys}
    for (year, month), kind, count in dated:
        key = (year, 1) if by_year else (year, month)
        buckets[key][kind] = buckets[key].get(kind, 0) + count
    return [(str(year) if by_year else f"{MONTHS[month - 1]} {year}", (year, month),
             buckets[(year, month)]) for year, month in keys], undated, by_year


def render(months, frame=WIDE):
    """The chart of `months` (monthly_counts' answer) as an SVG string drawn in `frame`, or an
    empty string when no mention is dated."""
    buckets, _, by_year = months
    if not buckets:
        return ""
    width, left, font = frame.width, frame.left, frame.font
    plot_width, plot_height = width - left - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max(sum(kinds.values()) for _, _, kinds in buckets)
    top = _nice_top(peak)
    step = plot_width / len(buckets)
    bar = max(step * 0.8, 1)
    unit = "year" if by_year else "month"
    name = f"Mentions per {unit}, {buckets[0][0]} to {buckets[-1][0]}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline {frame.name}" '
             f'viewBox="0 0 {width} '
             f'{HEIGHT}" role="img" aria-label="{xml_text(name)}"><title>{xml_text(name)}'
             "</title>", _dark_style()]
    for tick in _ticks(top):
        y = TOP + plot_height - plot_height * tick / top
        parts.append(f'<line class="grid" x1="{left}" x2="{width - RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="currentColor" stroke-opacity=".15"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="{font}" '
                     f'fill="currentColor">{number(tick)}</text>')
    order = [*KINDS, *sorted({k for _, _, kinds in buckets for k in kinds} - set(KINDS))]
    for index, (label, _, kinds) in enumerate(buckets):
        total = sum(kinds.values())
        if not total:
            continue
        x = left + index * step + (step - bar) / 2
        y = TOP + plot_height
        detail = ", ".join(noun(k, kinds[k]) for k in order if kinds.get(k))
        parts.append(f"<g><title>{xml_text(f'{label}: {detail}')}</title>")
        for kind in order:
            if not kinds.get(kind):
                continue
            height = plot_height * kinds[kind] / top
            y -= height
            parts.append(f'<rect class="bar k-{xml_text(kind)}" x="{x:.1f}" y="{y:.1f}" '
                         f'width="{bar:.1f}" height="{height:.1f}" '
                         f'fill="{KINDS.get(kind, {}).get("color", OTHER_COLOR)}"/>')
        parts.append("</g>")
    parts.append(f'<line x1="{left}" x2="{width - RIGHT}" y1="{TOP + plot_height}" '
                 f'y2="{TOP + plot_height}" stroke="currentColor" stroke-opacity=".5"/>')
    for index, label in _axis_labels(buckets, step, by_year):
        x = left + index * step + step / 2
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="{font}" '
                     f'fill="currentColor">{xml_text(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(counts, today=None):
    """The wide chart and the narrow one together of `counts` (as `counted` gives them); the
    stylesheet shows the one that fits, so that labels stay 12 px on a phone."""
    months = monthly_counts(counts, today or date.today())
    return render(months) + render(months, NARROW)


def legend(counts):
    """`(kind, label, colour)` of the kinds the chart of `counts` shows, in display order."""
    present = {kind for month, kind, count in counts if month is not None and count}
    return [(kind, KINDS[kind]["label"], KINDS[kind]["color"]) for kind in KINDS
            if kind in present] + [(kind, kind_label(kind), OTHER_COLOR)
                                   for kind in sorted(present - set(KINDS))]


def _dark_style():
    """Kind colours too dark for a dark page, lightened there (scoped to timeline charts)."""
    rules = "".join(f"svg.timeline .k-{kind}{{fill:{color}}}"
                    for kind, color in DARK_COLORS.items())
    return f"<style>@media (prefers-color-scheme: dark){{{rules}}}</style>"


def _months(first, last):
    """Every `(year, month)` from first to last, inclusive."""
    year, month = first
    keys = []
    while (year, month) <= last:
        keys.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _years(first, last):
    """`(year, 1)` for every year from first to last, inclusive."""
    return [(year, 1) for year in range(first[0], last[0] + 1)]


def _nice_top(peak):
    """The smallest of 1, 2, 5 × 10ⁿ at or above `peak`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= peak:
                return factor * magnitude
        magnitude *= 10


def _ticks(top):
    """Gridline values: 0, the middle when whole, and the top."""
    ticks = [0, top]
    if top % 2 == 0:
        ticks.insert(1, top // 2)
    return ticks


def _axis_labels(buckets, step, by_year):
    """Which buckets get an axis label: years at January, spaced so that labels do not touch."""
    if by_year:
        every = max(1, round(40 / step))
        return [(i, label) for i, (label, _, _) in enumerate(buckets) if i % every == 0]
    if len(buckets) <= 12:
        if step >= 56:
            return [(i, label) for i, (label, _, _) in enumerate(buckets)]
        # Month names alone; every other one when they would touch (a narrow drawing).
        every = 1 if step >= 28 else 2
        return [(i, label.split()[0]) for i, (label, _, _) in enumerate(buckets)
                if i % every == 0]
    years_every = max(1, round(40 / (step * 12)))
    labels = []
    for index, (_, (year, month), _) in enumerate(buckets):
        if (month == 1 or index == 0) and year % years_every == 0:
            labels.append((index, str(year)))
    # A first label crowding the next January is dropped.
    if len(labels) > 1 and (labels[1][0] - labels[0][0]) * step < 40:
        labels.pop(0)
    return labels
