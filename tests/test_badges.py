"""SVG badges: valid XML in every style, escaped text, ghost and pending looks, options."""

import xml.etree.ElementTree as ET

import pytest

from trialbuzz.attention.kinds import EMPTY_COLOR, KINDS
from trialbuzz.errors import BadRequest
from trialbuzz.web import badges
from trialbuzz.web.badges import BadgeOptions, Figures

NS = "{http://www.w3.org/2000/svg}"
KINDS_SEEN = {"news": 1, "blog": 0, "wikipedia": 1, "forum": 2, "publication": 3}
ACTT = Figures("NCT04280705", score=13, kinds=KINDS_SEEN,
               title="Adaptive COVID-19 Treatment Trial (ACTT)")
HOSTILE = '</title><script>alert(1)</script>&amp;"\'<x onload="y">\x00\x1b'
STYLES = [BadgeOptions(style=style) for style in ("flat", "flat-square", "for-the-badge")] + \
    [BadgeOptions(style="donut", size=size) for size in (64, 100, 180)]


def parse(svg):
    return ET.fromstring(svg)


def texts(root):
    return [t.text for t in root.iter(NS + "text")]


@pytest.mark.parametrize("options", STYLES, ids=lambda o: f"{o.style}-{o.size}")
def test_every_style_is_valid_accessible_svg(options):
    root = parse(badges.render(ACTT, options))
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.find(NS + "title").text.startswith("attention: 13 for NCT04280705")
    assert root.get("aria-label") == root.find(NS + "title").text
    assert "13" in "".join(texts(root)).replace("1 3", "13")


@pytest.mark.parametrize("options", STYLES, ids=lambda o: f"{o.style}-{o.size}")
def test_hostile_trial_titles_stay_text(options):
    svg = badges.render(Figures("NCT04280705", 13, KINDS_SEEN, title=HOSTILE), options)
    root = parse(svg)
    assert "<script" not in svg and "\x00" not in svg and "\x1b" not in svg
    assert not list(root.iter(NS + "script"))
    title = root.find(NS + "title").text
    assert "</title><script>alert(1)</script>&amp;" in title


@pytest.mark.parametrize("style", ["flat", "flat-square", "for-the-badge"])
def test_hostile_labels_stay_text(style):
    label = '<a href="javascript:x">"quoted" & more'
    svg = badges.render(ACTT, BadgeOptions(style=style, label=label))
    root = parse(svg)
    assert not list(root.iter(NS + "a"))
    shown = label.upper() if style == "for-the-badge" else label
    assert shown in texts(root)


def test_flat_badge_says_label_and_score_in_two_boxes():
    root = parse(badges.render(ACTT))
    rects = [r for r in root.iter(NS + "rect") if r.get("class") in ("tb-label", "tb-msg")]
    label, message = rects
    assert label.get("fill") == "#555" and message.get("fill") == badges.MESSAGE_COLOR
    assert int(root.get("width")) == int(label.get("width")) + int(message.get("width"))
    assert texts(root)[-1] == "13" and texts(root)[1] == "attention"


def test_wider_text_makes_a_wider_badge():
    narrow = parse(badges.render(ACTT, BadgeOptions(label="a")))
    wide = parse(badges.render(ACTT, BadgeOptions(label="attention on trials")))
    assert int(wide.get("width")) - int(narrow.get("width")) > 60


@pytest.mark.parametrize("text, low, high", [("attention", 45, 55), ("13", 13, 15),
                                             ("WWW", 30, 36), ("iii", 5, 10)])
def test_text_width_follows_verdana(text, low, high):
    assert low <= badges.text_width(text) <= high


def test_an_empty_label_leaves_only_the_message():
    root = parse(badges.render(ACTT, BadgeOptions(label="")))
    assert texts(root) == ["13", "13"]
    assert not [r for r in root.iter(NS + "rect") if r.get("class") == "tb-label"]


@pytest.mark.parametrize("figures, message", [
    (Figures("NCT04280705", 0, {"news": 0}), "none"),
    (Figures("NCT04280705", 0, {"publication": 3}), "none"),
    (Figures("NCT04280705", pending=True), "pending"),
])
def test_flat_ghost_is_grey_and_says_why(figures, message):
    root = parse(badges.render(figures))
    assert texts(root)[-1] == message
    ghost = [r for r in root.iter(NS + "rect") if r.get("class") == "tb-ghost"]
    assert ghost and ghost[0].get("fill") == badges.GHOST_COLOR


def test_colour_override_fills_the_message():
    root = parse(badges.render(ACTT, BadgeOptions(color="#1d4ed8")))
    assert [r.get("fill") for r in root.iter(NS + "rect") if r.get("class") == "tb-msg"] == \
        ["#1d4ed8"]


def test_light_colours_get_dark_text():
    root = parse(badges.render(ACTT, BadgeOptions(color="#dfb317")))
    assert root.findall(f".//{NS}text")[-1].get("fill") == "#333"


def test_monochrome_flat_badge_is_grey_and_inverts_in_the_dark():
    svg = badges.render(ACTT, BadgeOptions(mono=True))
    root = parse(svg)
    assert [r.get("fill") for r in root.iter(NS + "rect") if r.get("class") == "tb-mono"] == \
        ["#222"]
    assert ".tb-mono{fill:#e3e5e9}" in svg


def ring(root):
    return [c for c in root.iter(NS + "circle") if "tb-hole" not in (c.get("class") or "")]


def test_donut_ring_has_a_segment_per_kind_in_kind_colours():
    root = parse(badges.render(ACTT, BadgeOptions(style="donut")))
    segments = ring(root)
    assert [s.get("stroke") for s in segments] == [KINDS["news"]["color"],
                                                   KINDS["wikipedia"]["color"],
                                                   KINDS["forum"]["color"]]
    lengths = [float(s.get("stroke-dasharray").split()[0]) for s in segments]
    # Forum has two mentions, the others one each: its arc is about twice as long.
    assert 1.8 < lengths[2] / lengths[0] < 2.2
    assert texts(root) == ["13"]


def test_single_kind_donut_is_a_full_ring():
    root = parse(badges.render(Figures("NCT04280705", 8, {"news": 1}),
                               BadgeOptions(style="donut")))
    (segment,) = ring(root)
    assert segment.get("stroke-dasharray") is None


@pytest.mark.parametrize("figures, centre", [
    (Figures("NCT04280705", 0, {}), "0"),
    (Figures("NCT04280705", pending=True), "…"),
])
def test_ghost_donut_is_a_grey_ring(figures, centre):
    root = parse(badges.render(figures, BadgeOptions(style="donut")))
    (segment,) = ring(root)
    assert segment.get("stroke") == EMPTY_COLOR and segment.get("class") == "tb-ring-ghost"
    assert texts(root) == [centre]


@pytest.mark.parametrize("size", [64, 100, 180])
def test_donut_sizes(size):
    root = parse(badges.render(ACTT, BadgeOptions(style="donut", size=size)))
    assert root.get("width") == root.get("height") == str(size)


def test_monochrome_donut_uses_greys():
    root = parse(badges.render(ACTT, BadgeOptions(style="donut", mono=True)))
    assert [s.get("stroke") for s in ring(root)] == ["#333333", "#777777", "#bbbbbb"]


def test_donut_colour_override_paints_every_segment():
    root = parse(badges.render(ACTT, BadgeOptions(style="donut", color="#007ec6")))
    assert {s.get("stroke") for s in ring(root)} == {"#007ec6"}


@pytest.mark.parametrize("options", STYLES, ids=lambda o: f"{o.style}-{o.size}")
def test_badges_adapt_to_dark_mode(options):
    assert "@media (prefers-color-scheme: dark)" in badges.render(ACTT, options)


def test_error_badge_is_red_and_valid():
    root = parse(badges.error_badge("invalid ID"))
    assert texts(root)[-1] == "invalid ID"
    assert badges.ERROR_COLOR in [r.get("fill") for r in root.iter(NS + "rect")]


@pytest.mark.parametrize("args, expected", [
    ({}, BadgeOptions()),
    ({"style": "donut", "size": "180"}, BadgeOptions(style="donut", size=180)),
    ({"label": "buzz", "color": "blue"}, BadgeOptions(label="buzz", color="#007ec6")),
    ({"color": "1D4ED8"}, BadgeOptions(color="#1d4ed8")),
    ({"color": "#abc"}, BadgeOptions(color="#abc")),
    ({"mono": "1"}, BadgeOptions(mono=True)),
    ({"label": ""}, BadgeOptions(label="")),
])
def test_options_from_query(args, expected):
    assert badges.options_from(args) == expected


@pytest.mark.parametrize("args", [
    {"style": "plastic"}, {"size": "65"}, {"size": "big"}, {"color": "url(#x)"},
    {"color": "12345"}, {"label": "x" * 41},
])
def test_bad_options_are_refused(args):
    with pytest.raises(BadRequest) as info:
        badges.options_from(args)
    assert info.value.code == "invalid_parameter"


@pytest.mark.parametrize("kinds, expected", [
    ({}, False), ({"publication": 5}, False), ({"forum": 1}, True), (None, False),
])
def test_attention_means_a_mention_the_score_counts(kinds, expected):
    assert badges.has_attention(kinds) is expected
