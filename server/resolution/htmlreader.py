"""NCT IDs from a page's HTML, read in one streaming pass whose cost has a ceiling.

libxml2 (through lxml's parser-target interface) tokenizes the page in C and hands us start,
end and text events; no tree is built, so memory stays flat however many tags a page has and
time grows with its size, not with its nesting. A CPU budget stops the reading of a hostile
page early, and what was found up to there is used.
"""

import re
import time
from urllib.parse import urljoin

from lxml import etree

from trialbuzz import nctid
from trialbuzz.errors import InvalidUrl
from trialbuzz.resolution.resolve import (
    MAX_SCAN_CHARS,
    UrlIds,
    as_text,
    ids_from_url,
    registrations,
    scan,
)

# Seconds of this thread's CPU one page may cost; past it the reader stops where it is.
READ_BUDGET = 0.75
# Characters of markup read at the most (the fetcher hands over at most FETCH_MAX_BYTES).
MAX_PAGE_CHARS = 8 * 1024 * 1024
# Bytes fed to the parser at a time: the budget is checked between feeds.
FEED_BYTES = 32 * 1024

_HIDDEN = frozenset({"script", "style", "template", "noscript"})
_BLOCKS = frozenset(
    "address article aside blockquote br dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot "
    "th thead title tr ul".split()
)
_LABEL_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th", "label"})
_CELLS = frozenset({"td", "th"})
_MARKUP_TAGS = frozenset({"a", "link", "meta"})
_ISRCTN_LABEL = re.compile(r"\s*ClinicalTrials\.gov\s+number\s*:?\s*", re.I)
_EUCTR_LABEL = re.compile(
    r"\s*(?:A\.5\.2\.?\s*)?US\s+NCT\s+\(ClinicalTrials\.gov\s+registry\)\s+number\s*:?\s*",
    re.I,
)
# A label is short; a value beside it names its ID early.
_LABEL_MAX = 120
_VALUE_MAX = 1000
# Label elements nested deeper than this are not labels; the bound keeps hostile nesting cheap.
_MAX_OPEN_LABELS = 32
# Text pieces are joined in batches, so a page of millions of tiny strings holds few objects.
_BATCH = 1024


def ids_from_html(html, base_url=None, budget=None):
    """Return the NCT IDs in an HTML page, in document order, and the study the page is about;
    reading stops after `budget` seconds of CPU (READ_BUDGET by default)."""
    budget = READ_BUDGET if budget is None else budget
    cut = isinstance(html, str) and len(html) > MAX_PAGE_CHARS
    text = html[:MAX_PAGE_CHARS] if isinstance(html, str) else as_text(html)
    reader = _Reader(base_url)
    parser = etree.HTMLParser(target=reader, encoding="utf-8", recover=True, no_network=True,
                              remove_pis=True, default_doctype=False)
    data = text.encode("utf-8", errors="replace")
    started = time.thread_time()
    complete = True
    try:
        for start in range(0, len(data), FEED_BYTES):
            parser.feed(data[start:start + FEED_BYTES])
            if reader.full or time.thread_time() - started > budget:
                complete = start + FEED_BYTES >= len(data)
                break
        if complete:
            # Closing makes libxml2 end every open element; after a stop those are not wanted.
            parser.close()
    except etree.LxmlError:
        pass  # an empty or unreadable document: keep whatever was read before the error
    reader.finish()
    return reader.result(complete and not cut)


class _Capture:
    """Text gathered for a label or the value beside it, up to a small limit."""

    __slots__ = ("depth", "key", "limit", "parts", "size", "kind", "open")

    def __init__(self, depth, key, limit, kind=None):
        self.depth, self.key, self.limit, self.kind = depth, key, limit, kind
        self.parts, self.size = [], 0
        # A value capture for a table cell starts only at the next sibling cell.
        self.open = kind != "cell"

    def add(self, piece):
        if self.open and self.size <= self.limit:
            self.parts.append(piece)
            self.size += len(piece)

    def text(self):
        return " ".join(self.parts)


class _Reader:
    """lxml parser target: lays out visible text as a browser would and notes IDs in markup."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.depth = 0
        self.hidden_at = None  # depth of the open script, style, template or noscript
        self.block = False
        self.chunks, self.pieces, self.offset = [], [], 0
        self.pending = []  # text of the current node: lxml may split it across calls
        self.sequence = 0
        self.found, self.identity = [], []  # ((offset, sequence), ID)
        self.labels, self.values = [], []  # open _Captures
        self.bad_url = False
        self.full = False

    # --- lxml target interface -------------------------------------------------------------

    def start(self, tag, attrib):
        """An element opens: note the IDs its markup gives and what it starts."""
        self._flush()
        self.depth += 1
        if self.hidden_at is not None:
            return
        if tag == "meta" and _lower(attrib.get("name")) == "ncbi_pdid" \
                and attrib.get("content") == "bad_url":
            self.bad_url = True
        if tag in _HIDDEN:
            self.hidden_at = self.depth
            return
        if tag in _MARKUP_TAGS:
            key = self._key()
            for nct, is_identity in self._markup_ids(tag, attrib):
                self.found.append((key, nct))
                if is_identity:
                    self.identity.append((key, nct))
        if self.values and tag in _CELLS:
            for value in self.values:
                if value.depth + 1 == self.depth and value.kind == "cell":
                    value.open = True
        if tag in _LABEL_TAGS or tag in _CELLS:
            if len(self.labels) < _MAX_OPEN_LABELS:
                self.labels.append(_Capture(self.depth, self._key(), _LABEL_MAX, kind=tag))
        if tag in _BLOCKS:
            self.block = True

    def end(self, tag):
        """An element closes: finish the label or value it held."""
        self._flush()
        depth = self.depth
        self.depth -= 1
        if self.hidden_at is not None:
            if depth == self.hidden_at:
                self.hidden_at = None
            return
        if tag in _BLOCKS:
            self.block = True
        for value in list(self.values) if self.values else ():
            # A value ends with its first sibling element (for a cell: its next cell), or
            # with the parent that held the label.
            if (depth == value.depth + 1 and value.open) or depth <= value.depth:
                self.values.remove(value)
                if value.open or value.kind != "cell":
                    self._value_found(value)
        # After the values: a label closing now starts a value of its own.
        while self.labels and self.labels[-1].depth >= depth:
            self._label_closed(self.labels.pop())

    def data(self, text):
        """Text arrives, possibly in several calls for one node."""
        if self.hidden_at is None:
            self.pending.append(text)

    def comment(self, text):
        """A comment ends the text node before it, as it does in the DOM."""
        self._flush()

    def close(self):
        """The end of the document."""
        self._flush()

    # --- layout ----------------------------------------------------------------------------

    def _flush(self):
        """Lay out the pending text node: never glued to its neighbours, spaces folded."""
        if not self.pending:
            return
        node = "".join(self.pending)
        self.pending.clear()
        words = node.split()
        if not words or self.full:
            return
        piece = " ".join(words)
        separator = "\n" if self.block and self.offset else " "
        self.block = False
        self.pieces.append(separator)
        self.pieces.append(piece)
        self.offset += 1 + len(piece)
        for capture in self.labels:
            capture.add(piece)
        for capture in self.values:
            capture.add(piece)
        if len(self.pieces) >= _BATCH:
            self.chunks.append("".join(self.pieces))
            self.pieces.clear()
        if self.offset >= MAX_SCAN_CHARS:
            self.full = True

    def _key(self):
        """A sort key for something found now: text offset, then arrival order."""
        self.sequence += 1
        return (self.offset, self.sequence)

    # --- markup ----------------------------------------------------------------------------

    def _markup_ids(self, tag, attrib):
        """[(ID, is_identity)] that the markup of one start tag gives."""
        if tag == "link" and "canonical" in _lower(attrib.get("rel")).split():
            return _page_url_ids(attrib.get("href"), self.base_url)
        if tag == "meta":
            key = _lower(attrib.get("property") or attrib.get("name")).strip()
            if key == "og:url":
                return _page_url_ids(attrib.get("content"), self.base_url)
            if key == "ncbi_pcid":
                nct = nctid.normalize(attrib.get("content"))
                return [(nct, True)] if nct else []
            return []
        if tag == "a":
            ids = _link_ids(attrib.get("href"), self.base_url)
            # A link is a pointer to another page, not a statement of what this page is about.
            return [(ids.primary, False)] if ids and ids.primary else []
        return []

    def _label_closed(self, label):
        """A label element closed: if its text is a registry-number label, read its value."""
        if label.size > _LABEL_MAX:
            return
        text = label.text()
        parent = label.depth - 1
        if label.kind in _LABEL_TAGS and _ISRCTN_LABEL.fullmatch(text):
            self.values.append(_Capture(parent, label.key, _VALUE_MAX))
        elif label.kind in _CELLS and _EUCTR_LABEL.fullmatch(text):
            self.values.append(_Capture(parent, label.key, _VALUE_MAX, kind="cell"))

    def _value_found(self, value):
        for _, nct in scan(value.text()):
            self.found.append((value.key, nct))
            self.identity.append((value.key, nct))

    # --- result ----------------------------------------------------------------------------

    def finish(self):
        """Close what the document left open: values read to the end count."""
        self._flush()
        while self.labels:
            self._label_closed(self.labels.pop())
        for value in self.values:
            if value.open:
                self._value_found(value)
        self.values.clear()

    def result(self, complete):
        """The UrlIds found: document order, the page's identity first if it states one."""
        # The classic registry's error page echoes the bad request; nothing on it is a study.
        if self.bad_url:
            return UrlIds([], None, complete)
        text = "".join(self.chunks) + "".join(self.pieces)
        found, identity = list(self.found), list(self.identity)
        for offset, nct in registrations(text):
            identity.append(((offset, 0), nct))
        for offset, nct in scan(text):
            found.append(((offset, 0), nct))
        ids = nctid.unique(nct for _, nct in sorted(found, key=lambda item: item[0]))
        if identity:
            primary = min(identity, key=lambda item: item[0])[1]
        else:
            primary = ids[0] if len(ids) == 1 else None
        return UrlIds(ids, primary, complete and not self.full)


def _lower(value):
    return value.lower() if isinstance(value, str) else ""


def _page_url_ids(href, base_url):
    """IDs of the page's own URL (canonical or og:url): its primary is the page's identity."""
    ids = _link_ids(href, base_url)
    if ids is None:
        return []
    return [(nct, nct == ids.primary) for nct in ids.nct_ids]


def _link_ids(href, base_url):
    """Return UrlIds for `href` made absolute against `base_url`, or None when unusable."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base_url, href.strip()) if isinstance(base_url, str) else href.strip()
        return ids_from_url(absolute)
    except (InvalidUrl, ValueError):
        return None
