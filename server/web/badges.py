"""SVG badges: shields-like flat badges and a donut coloured by kind; every text XML-escaped."""

import hashlib
import math
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from trialbuzz.attention.kinds import EMPTY_COLOR, KINDS
from trialbuzz.errors import BadRequest
from trialbuzz.web.reporting_text import badge_message

STYLES = ("flat", "flat-square", "for-the-badge", "donut")
# What a badge shows: the attention score, or where the trial's results stand.
TYPES = ("attention", "reporting")
REPORTING_LABEL = "results"
SIZES = (64, 100, 180)
# The kinds the score counts; publications are listed apart, so they do not fill the ring.
ATTENTION_KINDS = tuple(kind for kind in KINDS if kind != "publication")
DEFAULT_LABEL = "attention"
MAX_LABEL = 40
MAX_TITLE = 100
MESSAGE_COLOR = "#b3261e"
GHOST_COLOR = "#757a82"
ERROR_COLOR = "#e05d44"
LABEL_COLOR = "#555"
# Kind colours too dark to see on a dark background, and what they become there.
DARK_COLORS = {"wikipedia": "#8c7490"}
FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"
# Shields' named colours, so that a badge can be matched to the others in a README.
NAMED_COLORS = {
    "brightgreen": "#4c1", "green": "#97ca00", "yellowgreen": "#a4a61d", "yellow": "#dfb317",
    "orange": "#fe7d37", "red": "#e05d44", "blue": "#007ec6", "grey": "#555", "gray": "#555",
    "lightgrey": "#9f9f9f", "lightgray": "#9f9f9f", "success": "#4c1", "important": "#fe7d37",
    "critical": "#e05d44", "informational": "#007ec6", "inactive": "#9f9f9f",
}
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# Characters XML 1.0 forbids even escaped; a title carrying one would make the SVG unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Verdana advance widths (units of 1/2048 em): badge widths fit the text as shields' do.
_WIDTHS = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    1229, 1276, 1067, 1276, 1220, 720, 1276, 1296, 562, 676, 1190, 562, 1992, 1296, 1243, 1276,
    1276, 874, 1067, 807, 1296, 1190, 1659, 1190, 1190, 1051)))
_WIDTHS.update(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 861, 1006, 1431, 1144, 1733, 1532, 1612,
    1235, 1612, 1430, 1401, 1236, 1499, 1401, 2025, 1407, 1235, 1407)))
_WIDTHS.update(dict.fromkeys("0123456789", 1302))
_WIDTHS.update({" ": 720, ".": 745, ",": 745, ":": 931, ";": 931, "-": 862, "_": 1302,
                "(": 1003, ")": 1003, "/": 1069, "'": 550, "!": 822, "|": 1092, "…": 1850})
_DEFAULT_WIDTH = 1300


@dataclass(frozen=True)
class Figures:
    """What a badge shows about one trial."""

    nct_id: str
    score: int = 0
    kinds: dict = field(default_factory=dict)
    title: str | None = None
    pending: bool = False
    # Some sources have not answered: nothing found is not "none".
    partial: bool = False
    # The trial document's `reporting` object, for the reporting badge.
    reporting: dict | None = None

    @property
    def ghost(self):
        """No attention to show (yet)."""
        return self.pending or not has_attention(self.kinds)


@dataclass(frozen=True)
class BadgeOptions:
    """What a badge shows and how it looks: type, style, donut size, label, colour, monochrome."""

    style: str = "flat"
    size: int = 64
    label: str = DEFAULT_LABEL
    color: str | None = None
    mono: bool = False
    type: str = "attention"


def has_attention(kinds):
    """Whether any mention the score counts exists."""
    return any((kinds or {}).get(kind) for kind in ATTENTION_KINDS)


def xml_text(value):
    """Text safe inside an XML element or a double-quoted attribute."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;", "'": "&apos;"})


def parse_color(value):
    """A shields colour name or a hex colour (with or without #) as #hex; BadRequest otherwise."""
    value = (value or "").strip()
    if value.lower() in NAMED_COLORS:
        return NAMED_COLORS[value.lower()]
    match = _HEX.fullmatch(value)
    if not match:
        raise BadRequest("color must be a hex colour such as 1d4ed8 or a name such as blue.",
                         code="invalid_parameter")
    return "#" + match.group(1).lower()


def options_from(args):
    """Badge options from query parameters, or BadRequest naming the bad one."""
    style = args.get("style", "flat") or "flat"
    if style not in STYLES:
        raise BadRequest(f"style must be one of {', '.join(STYLES)}.", code="invalid_parameter")
    size = args.get("size", "64") or "64"
    if not (size.isascii() and size.isdigit()) or int(size) not in SIZES:
        raise BadRequest("size must be 64, 100 or 180.", code="invalid_parameter")
    label = _NOT_XML.sub("", args.get("label", DEFAULT_LABEL)).strip()
    if len(label) > MAX_LABEL:
        raise BadRequest(f"label must be at most {MAX_LABEL} characters.",
                         code="invalid_parameter")
    color = parse_color(args["color"]) if args.get("color") else None
    mono = args.get("mono", "").lower() in {"1", "true", "yes", "on"}
    kind = args.get("type", "attention") or "attention"
    if kind not in TYPES:
        raise BadRequest(f"type must be one of {', '.join(TYPES)}.", code="invalid_parameter")
    if kind == "reporting":
        if style == "donut":
            raise BadRequest("The reporting badge comes in the flat styles only.",
                             code="invalid_parameter")
        label = label if "label" in args else REPORTING_LABEL
    return BadgeOptions(style=style, size=int(size), label=label, color=color, mono=mono,
                        type=kind)


def text_width(text, size=11):
    """Estimated width in pixels of `text` in Verdana at `size` px."""
    units = sum(_WIDTHS.get(char, _DEFAULT_WIDTH) for char in text)
    return units * size / 2048


def render(figures, options=BadgeOptions()):
    """The badge SVG for `figures` in the style of `options`."""
    if options.style == "donut":
        return donut(figures, options)
    if options.type == "reporting":
        return reporting_badge(figures, options)
    if figures.pending:
        message, color = "pending", GHOST_COLOR
    elif figures.ghost:
        message, color = ("partial" if figures.partial else "none"), GHOST_COLOR
    else:
        message, color = str(figures.score), options.color or MESSAGE_COLOR
    title = _title(figures, options.label or DEFAULT_LABEL, message)
    return flat(options.label, message, color, style=options.style, mono=options.mono,
                title=title, ghost=figures.ghost)


def reporting_badge(figures, options):
    """A flat badge saying where the trial's results stand: posted, late, overdue, not due."""
    label = options.label or REPORTING_LABEL
    # The registry record alone decides it: no need to wait for the attention.
    if figures.reporting is None:
        message, color, ghost = "pending", GHOST_COLOR, True
    else:
        message, color = badge_message(figures.reporting)
        ghost = color == GHOST_COLOR
        color = options.color or color
    return flat(label, message, color, style=options.style, mono=options.mono,
                title=_title(figures, label, message), ghost=ghost)


def error_badge(message, style="flat"):
    """A badge saying what went wrong, for image tags that cannot show a JSON error."""
    style = style if style in STYLES and style != "donut" else "flat"
    return flat(DEFAULT_LABEL, message, ERROR_COLOR, style=style,
                title=f"{DEFAULT_LABEL}: {message}")


def flat(label, message, color, style="flat", mono=False, title=None, ghost=False):
    """A two-part label/message badge with shields' geometry (flat, flat-square, for-the-badge)."""
    big = style == "for-the-badge"
    if big:
        label, message = label.upper(), message.upper()
    height, font_size, pad = (28, 10, 12) if big else (20, 11, 5)
    spacing = 1.25 if big else 0

    def box(text, bold=False):
        if not text:
            return 0
        width = text_width(text, font_size) * (1.1 if bold else 1) + spacing * len(text)
        return math.ceil(width + 2 * pad)

    label_width, message_width = box(label), box(message, bold=big)
    width = label_width + message_width
    uid = _uid(label, message, color, style, mono)
    message_class = "tb-mono" if mono else ("tb-ghost" if ghost else "tb-msg")
    text_color = "#fff" if mono or _dark(color) else "#333"
    title = title or f"{label}: {message}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{xml_text(title)}">',
        f"<title>{xml_text(title)}</title>",
        "<style>.tb-label{fill:#555}.tb-ghost{fill:#757a82}.tb-mono{fill:#222}"
        "@media (prefers-color-scheme: dark){.tb-label{fill:#3d4047}.tb-ghost{fill:#5d636b}"
        ".tb-mono{fill:#e3e5e9}.tb-mono-text{fill:#111}}</style>",
    ]
    rounded = style == "flat"
    if rounded:
        parts.append(f'<linearGradient id="{uid}s" x2="0" y2="100%"><stop offset="0" '
                     'stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>'
                     f'</linearGradient><clipPath id="{uid}r"><rect width="{width}" '
                     f'height="{height}" rx="3" fill="#fff"/></clipPath>')
        parts.append(f'<g clip-path="url(#{uid}r)">')
    else:
        parts.append("<g>")
    if label_width:
        parts.append(f'<rect class="tb-label" width="{label_width}" height="{height}" '
                     f'fill="{LABEL_COLOR}"/>')
    # Presentation attributes first, for renderers without CSS; the classes adapt to dark mode.
    fill = "#222" if mono else (GHOST_COLOR if ghost else color)
    parts.append(f'<rect class="{message_class}" x="{label_width}" width="{message_width}" '
                 f'height="{height}" fill="{xml_text(fill)}"/>')
    if rounded:
        parts.append(f'<rect width="{width}" height="{height}" fill="url(#{uid}s)"/>')
    parts.append("</g>")
    letters = f' letter-spacing="{spacing * 10:g}"' if big else ""
    parts.append(f'<g fill="#fff" text-anchor="middle" font-family="{FONT}" '
                 f'text-rendering="geometricPrecision" font-size="{font_size * 10}"{letters}>')
    baseline = 175 if big else 140
    if label_width:
        parts.append(_text(label, label_width / 2, baseline, label_width - 2 * pad, "#fff",
                           shadow=rounded))
    text_class = "tb-mono-text" if mono else None
    parts.append(_text(message, label_width + message_width / 2, baseline,
                       message_width - 2 * pad, text_color, shadow=rounded and text_color == "#fff",
                       bold=big, css_class=text_class))
    parts.append("</g></svg>")
    return "".join(parts)


def donut(figures, options=BadgeOptions(style="donut")):
    """A ring coloured by kind with the score in the middle; a grey ring when there is none."""
    size = options.size
    centre = size / 2
    thickness = round(size * 0.17, 2)
    radius = round(centre - thickness / 2, 2)
    circumference = 2 * math.pi * radius
    message = "…" if figures.pending else str(figures.score)
    label = options.label or DEFAULT_LABEL
    title = _title(figures, label, "pending" if figures.pending else
                   (("partial" if figures.partial else "none") if figures.ghost
                    else figures.score))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{xml_text(title)}">',
        f"<title>{xml_text(title)}</title>",
        "<style>.tb-hole{fill:#fff}.tb-score{fill:#1b1d21}.tb-ring-ghost{stroke:%s}"
        "@media (prefers-color-scheme: dark){.tb-hole{fill:#1c1f24}.tb-score{fill:#e8eaef}"
        ".tb-ring-ghost{stroke:#454a53}%s.tb-score-ghost{fill:#9aa1ad}"
        # Inverting the greys keeps a monochrome ring visible on a dark background.
        ".tb-ring-mono{filter:invert(1)}}</style>" % (EMPTY_COLOR, _dark_rules()),
        f'<circle class="tb-hole" cx="{centre}" cy="{centre}" r="{centre}" fill="#fff"/>',
    ]
    segments = ring_segments(figures.kinds, mono=options.mono, color=options.color)
    parts.append('<g class="tb-ring-mono">' if options.mono and not figures.ghost else "<g>")
    if figures.ghost or not segments:
        parts.append(_arc(centre, radius, thickness, EMPTY_COLOR, None, "tb-ring-ghost"))
    elif len(segments) == 1:
        kind, _, color = segments[0]
        parts.append(_arc(centre, radius, thickness, color, None, _kind_class(kind, options)))
    else:
        total = sum(count for _, count, _ in segments)
        gap = min(1.5, circumference / 100)
        start = 0.0
        for kind, count, color in segments:
            length = circumference * count / total
            dash = (max(length - gap, 0.5), circumference - max(length - gap, 0.5), start)
            parts.append(_arc(centre, radius, thickness, color, dash, _kind_class(kind, options)))
            start += length
    parts.append("</g>")
    font_size = round(size * (0.34 if len(message) <= 2 else 0.28 if len(message) == 3
                              else 0.22), 1)
    score_class, score_fill = ("tb-score-ghost", "#6b7280") if figures.ghost else \
        ("tb-score", "#1b1d21")
    parts.append(f'<text class="{score_class}" fill="{score_fill}" x="{centre}" y="{centre}" '
                 f'dy=".35em" '
                 f'text-anchor="middle" font-family="system-ui,-apple-system,Segoe UI,Roboto,'
                 f'Helvetica,Arial,sans-serif" font-weight="700" font-size="{font_size}">'
                 f"{xml_text(message)}</text></svg>")
    return "".join(parts)


def ring_segments(kinds, mono=False, color=None):
    """`(kind, count, colour)` of each attention kind with mentions, in display order."""
    present = [(kind, (kinds or {}).get(kind) or 0) for kind in ATTENTION_KINDS]
    present = [(kind, count) for kind, count in present if count > 0]
    if color:
        return [(kind, count, color) for kind, count in present]
    if mono:
        # Greys from dark to light, so that neighbouring kinds stay apart in print.
        shades = [_grey(i, len(present)) for i in range(len(present))]
        return [(kind, count, shade) for (kind, count), shade in zip(present, shades)]
    return [(kind, count, KINDS[kind]["color"]) for kind, count in present]


def _dark_rules():
    """CSS giving the kinds in DARK_COLORS their dark-background colour."""
    return "".join(f".tb-k-{kind}{{stroke:{color}}}" for kind, color in DARK_COLORS.items())


def _title(figures, label, message):
    """The accessible name: label, message, the trial and its (untrusted) title."""
    name = f"{label}: {message} for {figures.nct_id}"
    if figures.title:
        title = figures.title if len(figures.title) <= MAX_TITLE else \
            figures.title[:MAX_TITLE - 1] + "…"
        name += f" ({title})"
    return name


def _text(text, x, baseline, fit, color, shadow=False, bold=False, css_class=None):
    """One badge text, in shields' ×10 coordinates, stretched to the width it was given."""
    weight = ' font-weight="bold"' if bold else ""
    common = (f'x="{x * 10:.0f}" transform="scale(.1)" textLength="{max(fit, 1) * 10:.0f}" '
              f'lengthAdjust="spacingAndGlyphs"{weight}')
    out = ""
    if shadow:
        out += (f'<text aria-hidden="true" {common} y="{baseline + 10}" fill="#010101" '
                f'fill-opacity=".3">{xml_text(text)}</text>')
    css = f' class="{css_class}"' if css_class else ""
    out += f'<text {common} y="{baseline}" fill="{color}"{css}>{xml_text(text)}</text>'
    return out


def _arc(centre, radius, thickness, color, dash, css_class):
    """One ring segment as a dashed circle stroke starting at twelve o'clock."""
    stroke = f' stroke="{xml_text(color)}"'
    pattern = ""
    if dash:
        length, rest, start = dash
        pattern = (f' stroke-dasharray="{length:.2f} {rest:.2f}" stroke-dashoffset="{-start:.2f}"'
                   f' transform="rotate(-90 {centre} {centre})"')
    return (f'<circle class="{css_class}" cx="{centre}" cy="{centre}" r="{radius}" fill="none"'
            f'{stroke} stroke-width="{thickness}"{pattern}/>')


def _kind_class(kind, options):
    """The segment's class: kind colours may change in dark mode, chosen ones never do."""
    return "tb-seg" if options.mono or options.color else f"tb-seg tb-k-{kind}"


def _grey(index, count):
    """The index-th of `count` greys from #333 to #bbb."""
    level = 0x33 + (0xBB - 0x33) * index // max(count - 1, 1)
    return f"#{level:02x}{level:02x}{level:02x}"


def _dark(color):
    """Whether white text reads better than dark text on `color`."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    try:
        red, green, blue = (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return True
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return luminance < 0.6


def _uid(*parts):
    """A short id prefix, so that two badges inlined in one page do not share gradient ids."""
    return "tb" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:6]
