"""Upstream markup to plain text: linear in the input whatever its shape, entities decoded once."""

import time

import pytest

from trialbuzz.attention.sources.base import plain_text

# Shapes that make regex or incremental tokenizers quadratic, and deep nesting of each kind.
HOSTILE_SHAPES = {
    "many <": lambda n: "<" * n,
    "many <a": lambda n: "<a" * n,
    "unclosed comments": lambda n: "<!--" * n,
    "unclosed <!": lambda n: "<!" * n,
    "unclosed CDATA": lambda n: "<![CDATA[" * n,
    "processing instructions": lambda n: "<?" * n,
    "end tags": lambda n: "</a" * n,
    "one huge attribute": lambda n: '<a href="' + "x" * (4 * n),
    "many attributes": lambda n: "<a " + 'b="c" ' * n,
    "unclosed quotes": lambda n: '<a b="' * n,
    "deep nesting": lambda n: "<div>" * n + "text",
    "deep tables": lambda n: "<table><tr><td>" * (n // 4) + "text",
    "span soup": lambda n: "<span" * n,
    "entities": lambda n: "&lt;" * n,
    "bare ampersands": lambda n: "&#" * n,
}


def _cpu(text, repeats=3):
    """The least CPU time of this thread over a few reductions of `text`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        plain_text(text)
        best = min(best, time.thread_time() - start)
    return best


@pytest.mark.parametrize("shape", HOSTILE_SHAPES, ids=str)
def test_time_grows_linearly_with_hostile_input(shape):
    make = HOSTILE_SHAPES[shape]
    small, large = _cpu(make(20_000)), _cpu(make(80_000))
    # Four times the input: about four times the work; a quadratic reader takes sixteen.
    assert large <= max(8 * small, 0.02), (shape, small, large)


def test_entities_are_decoded_exactly_once_into_text():
    assert plain_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "<script>alert(1)</script>"
    assert plain_text("&amp;lt;b&amp;gt;") == "&lt;b&gt;"
    assert plain_text("AT&amp;T &copy; 2026") == "AT&T © 2026"


def test_script_and_style_content_is_dropped_and_tags_separate_words():
    assert plain_text("<style>p{}</style>Trial<script>alert(1)</script> <b>NCT1</b>") == \
        "Trial NCT1"
    assert plain_text("<p>first</p><p>second</p>a<br>b") == "first second a b"
    # Phrasing markup inside a word keeps the word whole.
    assert plain_text("CO<sub>2</sub> (<span class=searchmatch>NCT04280705</span>)") == \
        "CO2 (NCT04280705)"


def test_whitespace_is_folded_and_the_limit_kept():
    assert plain_text("  a \n\t b  ") == "a b"
    assert plain_text("word " * 1000, limit=20) == "word word word word…"
    assert plain_text("<p>" * 1000 + "text after many tags") == "text after many tags"


@pytest.mark.parametrize("value", [None, 5, ["x"], {"a": 1}, "", "   ", "<b></b>",
                                   "<script>only</script>"])
def test_no_text_is_none(value):
    assert plain_text(value) is None


def test_lone_surrogates_and_characters_xml_forbids_do_not_survive():
    text = plain_text("a\ud800b\x00c\x01d\ufffee")
    assert text == "a\ufffdbcde"
    text.encode("utf-8")
