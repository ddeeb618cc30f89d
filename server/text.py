"""Upstream text made fit to keep: markup reduced to plain text, strings cleaned of what no
JSON, HTML or SVG output may carry."""

import re

from lxml import etree

# Characters XML 1.0 forbids even escaped, and lone surrogates (not encodable as UTF-8).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
# Elements whose content is never text a reader sees.
_DROPPED = frozenset({"script", "style", "template"})
# Phrasing elements sit inside words ("CO<sub>2</sub>"); every other element separates words.
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em",
                     "font", "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strike",
                     "strong", "sub", "sup", "time", "tt", "u", "var", "wbr"})
# The parser is fed this much at a time, and stops once it has more text than it keeps.
_CHUNK = 64 * 1024


def clean(value):
    """A string with lone surrogates as U+FFFD and characters XML forbids removed; else None."""
    if not isinstance(value, str):
        return None
    return _FORBIDDEN.sub("", _SURROGATES.sub("\ufffd", value))


class _TextOnly:
    """lxml parser target keeping the text a reader would see, whitespace folded as it comes."""

    def __init__(self):
        self.parts = []
        self.length = 0
        self.hidden = 0

    def start(self, tag, attrib):
        """An element opens: hidden content begins, or words are separated."""
        self._edge(tag, 1)

    def end(self, tag):
        """An element closes."""
        self._edge(tag, -1)

    def _edge(self, tag, step):
        tag = tag.lower() if isinstance(tag, str) else ""
        if tag in _DROPPED:
            self.hidden = max(0, self.hidden + step)
        elif tag not in _INLINE:
            self.data(" ")

    def data(self, data):
        """Text, already with its character references decoded by the parser."""
        if not self.hidden:
            folded = _SPACE.sub(" ", data)
            self.parts.append(folded)
            # Separators alone never stop the reading early: only text counts.
            self.length += len(folded.strip())

    def close(self):
        """The text gathered."""
        return "".join(self.parts)


def plain_text(value, limit=500):
    """Upstream markup reduced to plain text in linear time: tags and scripts dropped, entities
    decoded once (never read as markup again), spaces folded, at most `limit` characters."""
    value = clean(value)
    if value is None or not value.strip():
        return None
    target = _TextOnly()
    # A C tokenizer: linear whatever the input (no regex over tags, which backtracks).
    parser = etree.HTMLParser(target=target, recover=True, no_network=True,
                              remove_comments=True, remove_pis=True)
    for start in range(0, len(value), _CHUNK):
        parser.feed(value[start:start + _CHUNK])
        if target.length > limit:
            break
    try:
        text = parser.close()
    except etree.LxmlError:
        # Nothing the parser could read as a document: what it passed on so far is the text.
        text = target.close()
    text = clean(_SPACE.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text or None


def written_text(value, limit=500):
    """Text that is plain already (a post as its author wrote it, `<b>` and all): cleaned,
    spaces folded, at most `limit` characters; never read as markup."""
    text = clean(value)
    if text is None:
        return None
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text or None
