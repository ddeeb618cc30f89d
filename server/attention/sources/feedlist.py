"""The list of news and blog feeds the feeds source polls: the one shipped in the package, or
the operator's own file (FEEDS_FILE), plus the few URLs of the FEEDS setting."""

import hashlib
import logging
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from trialbuzz.attention.sources.base import safe_url
from trialbuzz.text import written_text

log = logging.getLogger(__name__)

FEED_KINDS = ("news", "blog")
# The shipped list, beside this module (installed as package data).
SHIPPED = "feeds.toml"
NAME_LENGTH = 80
# A sweep's scope is stored in a 32-character column: a host part, a dash, a hash part.
SCOPE_HOST = 23
SCOPE_HASH = 8


class FeedListError(ValueError):
    """The operator's feed list cannot be read."""


@dataclass(frozen=True)
class Feed:
    """One feed: where it is, what kind of mention its entries are, what people call it."""

    url: str
    kind: str
    name: str

    @property
    def scope(self):
        """The feed's sweep scope: short, readable, and the same for as long as its URL is."""
        host = (urlsplit(self.url).hostname or "feed").removeprefix("www.")
        host = re.sub(r"[^a-z0-9.-]", "-", host)[:SCOPE_HOST]
        return f"{host}-{hashlib.sha256(self.url.encode()).hexdigest()[:SCOPE_HASH]}"


def feed(url, kind, name=None):
    """A Feed from one entry of an operator's list; None (logged) when it is unusable."""
    checked = safe_url(url) if isinstance(url, str) else None
    if checked is None:
        log.warning("ignoring feed %r: not an http(s) URL", url)
        return None
    if kind not in FEED_KINDS:
        log.warning("ignoring feed %s: kind %r is neither news nor blog", checked, kind)
        return None
    name = written_text(name, limit=NAME_LENGTH) if isinstance(name, str) else None
    return Feed(checked, kind, name or urlsplit(checked).hostname.removeprefix("www."))


def read_file(text, origin):
    """The feeds of a list in TOML (`[[feed]]` tables with url, kind, name); FeedListError
    when the file is not TOML or has no such tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedListError(f"{origin} is not valid TOML: {exc}") from exc
    entries = data.get("feed", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise FeedListError(f"{origin}: each feed is a [[feed]] table with url, kind and name")
    return [found for found in (feed(e.get("url"), e.get("kind"), e.get("name"))
                                for e in entries) if found is not None]


def from_setting(entry):
    """A Feed from one FEEDS entry, "[news|blog] URL [name …]" (news when no kind is given)."""
    words = str(entry).split()
    kind = words.pop(0) if words and words[0] in FEED_KINDS else "news"
    if not words:
        log.warning("ignoring FEEDS entry %r: no URL", entry)
        return None
    return feed(words[0], kind, " ".join(words[1:]) or None)


def shipped_text():
    """The text of the list shipped in the package."""
    return resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")


def load(settings):
    """The feeds in use: FEEDS_FILE's (else the shipped list's), then FEEDS's, each URL once.
    FeedListError when FEEDS_FILE cannot be read."""
    path = settings.get("FEEDS_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise FeedListError(f"FEEDS_FILE {path} cannot be read: {exc}") from exc
        listed = read_file(text, path)
    else:
        listed = read_file(shipped_text(), "the shipped feed list")
    listed += [found for found in map(from_setting, settings.get("FEEDS") or [])
               if found is not None]
    unique = {}
    for entry in listed:
        unique.setdefault(entry.url, entry)
    return list(unique.values())
