"""The bookmarklet's code: its encoded length, its decode round trip, what the server fills in."""

import hashlib
import json
import re
from urllib.parse import unquote

import pytest

from trialbuzz.attention.kinds import KINDS
from trialbuzz.web import bookmarklet_code

BASES = [
    "http://127.0.0.1:5000",
    "https://trialbuzz.example.org",
    "https://attention.research-office.university-hospital.example.org/trialbuzz",
]


@pytest.mark.parametrize("base", BASES)
def test_encoded_href_fits_in_2000_characters(base):
    href = bookmarklet_code.href(base)
    assert href.startswith("javascript:")
    assert len(href) <= bookmarklet_code.HREF_LIMIT == 2000


@pytest.mark.parametrize("base", [*BASES, "https://odd.example.org/100%25/#x y"])
def test_href_decodes_back_to_the_body(base):
    href = bookmarklet_code.href(base)
    assert unquote(href[len("javascript:"):]) == bookmarklet_code.body(base)


@pytest.mark.parametrize("base", ["https://trialbuzz.example.org",
                                  "https://odd.example.org/%/#x y"])
def test_href_escapes_percent_hash_quotes_and_whitespace(base):
    encoded = bookmarklet_code.href(base)[len("javascript:"):]
    for char in '#"<>`\\ \n\t\r':
        assert char not in encoded
    # Every % starts an escape: a bare one would be decoded by the browser.
    assert re.findall(r"%(?![0-9A-F]{2})", encoded) == []
    assert '"' in bookmarklet_code.body(base) and "%22" in encoded


def test_body_carries_the_base_url_and_the_overlays_version():
    body = bookmarklet_code.body("https://trialbuzz.example.org/")
    assert 'B="https://trialbuzz.example.org"' in body
    assert f"/bookmarklet/overlay.js?v={bookmarklet_code.overlay_version()}" in body
    assert "__TRIALBUZZ" not in body


def test_base_url_becomes_one_string_literal_whatever_it_holds():
    body = bookmarklet_code.body('https://x.example.org/"+alert(1)+"')
    assert 'B="https://x.example.org/\\"+alert(1)+\\""' in body


@pytest.mark.parametrize("base", ["javascript:alert(1)", "//trialbuzz.example.org", ""])
def test_base_url_must_be_http(base):
    with pytest.raises(ValueError):
        bookmarklet_code.body(base)


def test_body_is_minified_and_needs_neither_eval_nor_template_literals():
    body = bookmarklet_code.minified_body()
    assert "/*" not in body and "\n  " not in body
    for forbidden in ("eval(", "Function(", "`", "innerHTML"):
        assert forbidden not in body


def test_overlay_is_served_with_the_kinds_filled_in_and_hashed():
    source = bookmarklet_code.overlay_source()
    config = json.loads(re.search(r"var CONFIG=(\{.*?\});", source).group(1))
    for kind, shown in KINDS.items():
        assert config["kinds"][kind]["label"] == shown["label"]
        assert config["kinds"][kind]["color"] == shown["color"]
    # The overlay names things in the server's words, from the one table of them.
    assert config["kinds"]["wikipedia"]["one"] == "Wikipedia page"
    assert config["kinds"]["news"]["many"] == "news stories"
    assert config["sources"]["hackernews"] == "Hacker News"
    assert config["statuses"]["rate_limited"] == "rate-limited"
    assert "publication" in config["kinds"] and "publication" not in config["ring"]
    assert config["phases"]["PHASE3"] == "Phase 3"
    assert "__TRIALBUZZ" not in source
    assert 'var CSS=":host { all: initial;' in source
    assert bookmarklet_code.overlay_version() == \
        hashlib.sha256(source.encode()).hexdigest()[:12]


@pytest.mark.parametrize("name", ["body.js", *bookmarklet_code.OVERLAY_PARTS])
@pytest.mark.parametrize("sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                                  "eval(", "new Function", "`"])
def test_javascript_never_turns_strings_into_markup_or_code(name, sink):
    code = re.sub(r"/\*.*?\*/", "", bookmarklet_code._source(name), flags=re.S)
    assert sink not in code
