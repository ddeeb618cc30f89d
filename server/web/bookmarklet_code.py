"""The bookmarklet: its minified body with this server's settings, as a `javascript:` link."""

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

import rjsmin

from trialbuzz.attention import words
from trialbuzz.attention.kinds import EMPTY_COLOR, KINDS
from trialbuzz.web.labels import PHASES

# Old Edge and IE kept 2,083 characters; stay under that with room for a long PUBLIC_URL.
HREF_LIMIT = 2000
BASE_TOKEN = '"__TRIALBUZZ_BASE__"'
VERSION_TOKEN = "__TRIALBUZZ_VERSION__"
# The overlay's source files, bundled in this order into one function: overlay.js comes last
# because it ends by mounting the popup's view (Overlay is a hoisted function declaration, so
# the views may add to its prototype before it).
OVERLAY_PARTS = ("overlay_dom.js", "overlay_views.js", "overlay.js")
OVERLAY_BANNER = "/* trialbuzz overlay, minified from bookmarklet/overlay*.js and overlay.css */\n"
# Left as they are in the href: they mean nothing to the URL parser of a `javascript:` URL and
# keep the link short. Everything else, `%`, `#`, quotes, whitespace, `<`, `>`, backslashes and
# backticks among them, is percent-encoded.
SAFE = "!$&'()*+,-./:;=?@[]_{|}~^"


def _source(name):
    """The text of a file of the `trialbuzz.bookmarklet` package (its JavaScript and CSS)."""
    return resources.files("trialbuzz.bookmarklet").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def minified_body():
    """The bookmarklet body, minified once per process, with its placeholders still in."""
    return rjsmin.jsmin(_source("body.js")).strip()


@lru_cache(maxsize=None)
def overlay_source():
    """overlay.js as served: its parts and stylesheet in one function, configured, minified."""
    # Publications are listed apart (papers, results), as on the badges: they do not fill the ring.
    ring = [kind for kind in KINDS if kind != "publication"]
    said = words.for_scripts()
    kinds = {kind: dict(said["kinds"][kind], color=KINDS.get(kind, {}).get("color", EMPTY_COLOR))
             for kind in said["kinds"]}
    config = {"kinds": kinds, "ring": ring, "empty": EMPTY_COLOR, "phases": PHASES,
              "sources": said["sources"], "statuses": said["statuses"]}
    css = " ".join(re.sub(r"/\*.*?\*/", "", _source("overlay.css"), flags=re.S).split())
    code = "\n".join([
        '(function () {"use strict";',
        "var CONFIG = " + json.dumps(config, separators=(",", ":")) + ";",
        "var CSS = " + json.dumps(css) + ";",
        *(_source(name) for name in OVERLAY_PARTS),
        "})();",
    ])
    return OVERLAY_BANNER + rjsmin.jsmin(code).strip() + "\n"


@lru_cache(maxsize=None)
def overlay_version():
    """The first 12 hex digits of the served overlay's SHA-256: its cache-busting version."""
    return hashlib.sha256(overlay_source().encode("utf-8")).hexdigest()[:12]


def body(base_url):
    """The bookmarklet's JavaScript for a server at `base_url` (no trailing slash)."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"the bookmarklet needs an http(s) base URL, not {base_url!r}")
    # json.dumps makes the URL one safe JS string literal whatever it holds.
    return (minified_body().replace(BASE_TOKEN, json.dumps(base_url.rstrip("/")))
            .replace(VERSION_TOKEN, overlay_version()))


def href(base_url):
    """The `javascript:` URL of the bookmarklet: the body, percent-encoded."""
    return "javascript:" + quote(body(base_url), safe=SAFE)
