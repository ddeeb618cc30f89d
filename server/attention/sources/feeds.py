"""News and blog feeds (RSS, Atom): entries naming a study, polled by the sweeps one feed at a
time with conditional GETs. Feeds cannot be searched, so a trial's refresh never asks them: its
entries are the ones the sweeps have filed."""

import calendar
import functools
import io
import logging
import os
import re
import time
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from trialbuzz.attention.sources import feedlist
from trialbuzz.attention.sources.base import (
    ITEM_ERRORS,
    Found,
    Mention,
    Source,
    bounded,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.sweeping import ORIGIN, SweptPage, ids_in
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamBadResponse
from trialbuzz.text import written_text

log = logging.getLogger(__name__)

ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
# A validator worth sending back: printable ASCII of modest length (never a header injection).
_VALIDATOR = re.compile(r"[\x20-\x7e]{1,256}")
# An entry id that is a URI is unique across feeds; any other is unique within its feed only.
_URI = re.compile(r"^(?:https?|tag|urn):", re.IGNORECASE)
TITLE_LIMIT = 300


class Feeds(Source):
    """The entries of the operator's list of news and blog feeds that name a study."""

    id = "feeds"
    name = SOURCES[id]
    about = ("Entries of health-news and medical-blog feeds (RSS and Atom) naming the trial or "
             "linking its study page.")
    kinds = ("news", "blog")
    # Each feed is another publisher's server: one request at a time, unhurried.
    rate = "2/second"
    # No search: the sweeps poll every feed, and a trial's mentions are what they filed.
    sweep_only = True
    sweep_origin = ORIGIN

    def __init__(self, settings, storage=None):
        super().__init__(settings, storage=storage)
        # A feed is small: a body far over this is not a feed, and is not read to the end.
        self.upstream.max_bytes = min(self.upstream.max_bytes, settings["FEEDS_MAX_BYTES"])
        try:
            self.feeds = feedlist.load(settings)
            self.list_error = None
        except feedlist.FeedListError as exc:
            log.error("no feeds are polled: %s", exc)
            self.feeds, self.list_error = [], str(exc)
        self._by_scope = {feed.scope: feed for feed in self.feeds}
        # Feeds hold only their latest entries: polled more often than the searches are swept.
        self.sweep_every = settings["FEEDS_EVERY"]

    @classmethod
    def unusable(cls, settings):
        """The reason no feed is polled when FEEDS_FILE cannot be read: until the operator
        mends it, a trial shows the feeds as not used rather than as checked with nothing."""
        path = settings.get("FEEDS_FILE")
        if not path:
            return None
        try:
            modified = os.stat(path).st_mtime_ns
        except OSError:
            modified = None
        return _list_error(path, modified)

    def find(self, trial, deadline=None):
        """Nothing: a feed has no search (a refresh answers from what the sweeps filed)."""
        return Found()

    def feed(self, scope):
        """The feed polled under `scope`, or None when the list no longer holds it."""
        return self._by_scope.get(scope)

    # Sweeps: one scope per feed; each run is one conditional GET of the whole feed.

    def sweep_scopes(self):
        """One sweep per listed feed."""
        return list(self._by_scope)

    def sweep_pages(self, scope, run, deadline=None):
        """The feed's entries naming a study, each filed under the NCT IDs it names; nothing
        when the feed is unchanged since the validators of the last poll (a 304). The
        validators the answer brings are kept in the run for the next one, with the number of
        entries naming a study."""
        run = dict(run)
        kept = run.get("kept") if isinstance(run.get("kept"), dict) else {}
        feed = self.feed(scope)
        if feed is None:
            yield SweptPage(run={**run, "done": True}, calls=0)
            return
        headers = {"Accept": ACCEPT}
        if _validator(kept.get("etag")):
            headers["If-None-Match"] = kept["etag"]
        if _validator(kept.get("modified")):
            headers["If-Modified-Since"] = kept["modified"]
        response = self.upstream.get(feed.url, deadline=deadline, headers=headers)
        if response.status_code == 304:
            yield SweptPage(run={**run, "done": True, "kept": kept})
            return
        self.upstream.raise_for_status(response)
        if response.status_code != 200:
            raise UpstreamBadResponse(f"{feed.name} answered HTTP {response.status_code}")
        parsed = self.parse(feed, response)
        page = SweptPage()
        for entry in parsed.entries:
            try:
                found = self._entry(feed, entry, parsed.feed.get("language"))
            except ITEM_ERRORS as exc:
                log.info("skipped an unreadable entry of %s (%s)", feed.url,
                         exc.__class__.__name__)
                found = None
            if found is None:
                page.skipped += 1
            else:
                page.found.append(found)
        validators = {name: value for name, value in (
            ("etag", response.headers.get("ETag")),
            ("modified", response.headers.get("Last-Modified"))) if _validator(value)}
        # With the validators, how many entries of this body name a study: what the feed holds
        # for as long as it answers 304.
        page.run = {**run, "done": True, "kept": {**validators, "naming": len(page.found)}}
        yield page

    def parse(self, feed, response):
        """The answer read as RSS or Atom by feedparser (from the bytes we fetched: it is never
        given a URL or anything it could open); UpstreamBadResponse when it is not a feed."""
        content_type = response.headers.get("Content-Type", "")
        # A stream, not bytes or str: feedparser would take a string for a URL or a file name.
        # No base URL either: feedparser would join a bare guid ("12345") to the feed's
        # address and offer that as the entry's link.
        parsed = feedparser.parse(io.BytesIO(response.content or b""),
                                  response_headers={"content-type": content_type},
                                  sanitize_html=True, resolve_relative_uris=False)
        if not parsed.get("version") and not parsed.get("entries"):
            shown = content_type.split(";")[0].strip().lower()
            raise UpstreamBadResponse(f"{feed.name} answered with something other than an RSS "
                                      "or Atom feed" + (f" ({shown[:60]})" if shown else ""))
        if parsed.get("bozo"):
            # The lenient parser read what it could; its entries are used.
            log.info("feed %s is not well-formed (%s)", feed.url,
                     parsed.get("bozo_exception").__class__.__name__)
        return parsed

    def _entry(self, feed, entry, language):
        """(NCT IDs, Mention) of an entry naming a study; None when it names none, or has no
        link or identity a reader or a later poll could know it by."""
        texts = [_text(entry, "title"), _text(entry, "summary")]
        texts += [part.get("value") for part in entry.get("content") or []
                  if isinstance(part, dict)]
        links = [entry.get("link")] + [link.get("href") for link in entry.get("links") or []
                                       if isinstance(link, dict)]
        ids = ids_in(*texts, *links)
        if not ids:
            return None
        guid = entry.get("id") if isinstance(entry.get("id"), str) else None
        link = entry.get("link") if isinstance(entry.get("link"), str) else None
        if link and not entry.get("guidislink"):
            # A relative <link> is a page of the feed's own site (a guid is never joined).
            link = urljoin(feed.url, link.strip())
        url = safe_url(link)
        if url is None:
            # Every count is a linked mention: an entry no reader can open is left out.
            return None
        identity = guid.strip() if guid and guid.strip() else url
        if not _URI.match(identity):
            identity = f"{feed.scope}:{identity}"
        # The article's own words first: a summary is often an excerpt with a "The post …
        # appeared first on …" line after it.
        body = next((text for text in texts[2:] if text), None) or _text(entry, "summary")
        return ids, Mention(
            source=self.id, kind=feed.kind, external_id=identity, url=url,
            # Read as markup whatever the feed declares: RSS titles often carry HTML.
            title=plain_text(_text(entry, "title"), limit=TITLE_LIMIT),
            author=written_text(entry.get("author"), limit=200)
            if isinstance(entry.get("author"), str) else None,
            # dict.get: feedparser's own get() warns when it maps one date to the other.
            published_at=_moment(dict.get(entry, "published_parsed")
                                 or dict.get(entry, "updated_parsed")),
            snippet=plain_text(body),
            language=language if isinstance(language, str) else None,
            extra={"feed": feed.name, "feed_url": feed.url})


@functools.lru_cache(maxsize=8)
def _list_error(path, modified):
    """Why the feed list at `path` (as it was at `modified`) cannot be read, or None; read
    again only when the file changes."""
    try:
        feedlist.load({"FEEDS_FILE": path})
    except feedlist.FeedListError as exc:
        return f"the feed list cannot be read: {exc}"
    return None


def outlet(extra):
    """The publication a feed's mention came from ("STAT"), as the feed list names it; None
    for any other mention."""
    name = (extra or {}).get("feed") if isinstance(extra, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _text(entry, name):
    """A text field of an entry, if it is a string."""
    value = entry.get(name)
    return value if isinstance(value, str) else None


def _moment(parsed):
    """feedparser's UTC struct_time as an aware datetime; None when absent or implausible."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return bounded(datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc))
    except (ValueError, OverflowError, OSError):
        return None


def _validator(value):
    """Whether an ETag or Last-Modified value may be sent back."""
    return isinstance(value, str) and bool(_VALIDATOR.fullmatch(value))
