"""Atom feeds (RFC 4287) of the mentions found for a trial or a collection, newest first.

Every string from elsewhere goes into the XML as text through lxml (escaped, characters XML
forbids removed); links are kept only when they are plain http(s) URLs.
"""

import uuid
from datetime import datetime, timezone

from lxml import etree

from trialbuzz.attention.kinds import KINDS
from trialbuzz.attention.sources.base import safe_url
from trialbuzz.attention.sources.feeds import outlet
from trialbuzz.clock import aware
from trialbuzz.text import clean

ATOM = "http://www.w3.org/2005/Atom"
MIMETYPE = "application/atom+xml"
# Entries in one feed: readers poll, so the newest are what matters.
MAX_ENTRIES = 50
MAX_TITLE = 300
MAX_SUMMARY = 1000
# Entry and feed IDs are name-based UUIDs: the same mention keeps its ID whatever address the
# server is reached at, and whichever feed carries it.
NAMESPACE = uuid.UUID("8f3f4e52-8a43-5c8e-9f7e-3b4f0c1d2a65")


def stable_id(*parts):
    """A `urn:uuid:` that depends only on `parts`."""
    return uuid.uuid5(NAMESPACE, "\x1f".join(map(str, parts))).urn


def _text(value, limit):
    """Upstream text made fit for XML, cut at `limit` characters."""
    text = " ".join((clean(value) or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _stamp(moment):
    """An RFC 3339 timestamp in UTC."""
    return aware(moment).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _add(parent, tag, text=None, **attributes):
    """A child element in the Atom namespace."""
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", {k: v for k, v in attributes.items()
                                                           if v is not None})
    if text is not None:
        element.text = text
    return element


def render(feed_id, title, subtitle, self_url, page_url, mentions, source_names, trial_urls,
           fallback_updated, prefix_ids=False):
    """The Atom document (bytes, UTF-8) of `mentions` (stored rows, newest first).

    `trial_urls` maps a trial ID to its details page (the link of an entry whose own link is
    not safe); `prefix_ids` puts the trial's ID before each title (a collection's feed)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _add(root, "id", feed_id)
    _add(root, "title", _text(title, MAX_TITLE), type="text")
    _add(root, "subtitle", _text(subtitle, MAX_SUMMARY), type="text")
    newest = max((aware(m.first_seen_at) for m in mentions), default=None)
    _add(root, "updated", _stamp(newest or fallback_updated or datetime.now(timezone.utc)))
    _add(root, "link", rel="self", type=MIMETYPE, href=self_url)
    _add(root, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(root, "author"), "name", "trialbuzz")
    _add(root, "generator", "trialbuzz")
    for mention in mentions[:MAX_ENTRIES]:
        _entry(root, mention, source_names, trial_urls, prefix_ids)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _entry(root, mention, source_names, trial_urls, prefix_ids):
    """One mention as an entry."""
    entry = _add(root, "entry")
    _add(entry, "id", stable_id("mention", mention.nct_id, mention.source, mention.external_id))
    label = KINDS.get(mention.kind, {}).get("label", str(mention.kind).capitalize())
    source = outlet(mention.extra) or source_names.get(mention.source, mention.source)
    title = _text(mention.title, MAX_TITLE) or f"{label} on {_text(source, 100)}"
    if prefix_ids:
        title = f"{mention.nct_id}: {title}"
    _add(entry, "title", _text(title, MAX_TITLE), type="text")
    details = trial_urls[mention.nct_id]
    _add(entry, "link", rel="alternate", type="text/html",
         href=safe_url(mention.url) or details)
    _add(entry, "link", rel="related", type="text/html", href=details,
         title=f"{mention.nct_id} on trialbuzz")
    _add(entry, "updated", _stamp(mention.first_seen_at))
    if mention.published_at is not None:
        _add(entry, "published", _stamp(mention.published_at))
    author = _text(mention.author, 200)
    if author:
        _add(_add(entry, "author"), "name", author)
    _add(entry, "category", term=str(mention.kind), label=label)
    summary = _text(mention.snippet, MAX_SUMMARY)
    _add(entry, "summary", f"{summary}\n\n({label} · {source} · {mention.nct_id})" if summary
         else f"{label} · {source} · {mention.nct_id}", type="text")
