"""The words people read for sources, kinds of attention and source states, and how numbers are
written: one table for the pages, the badges, the overlay, the embeds and the command line."""

import math
from numbers import Number

# What each source is called wherever a person reads it; the ids stay in the API and exports.
SOURCES = {
    "ctgov": "ClinicalTrials.gov",
    "europepmc": "Europe PMC",
    "pubmed": "PubMed",
    "wikipedia": "Wikipedia",
    "hackernews": "Hacker News",
    "reddit": "Reddit",
    "gdelt": "GDELT news",
    "bluesky": "Bluesky",
    "feeds": "News and blog feeds",
    "altmetric": "Altmetric",
    "crossref": "Crossref",
    "mastodon": "Mastodon",
    "openalex": "OpenAlex",
}

# Each kind of mention: a heading ("News"), and how one and several of them are named.
KINDS = {
    "news": ("News", "news story", "news stories"),
    "blog": ("Blogs", "blog post", "blog posts"),
    "policy": ("Policy", "policy document", "policy documents"),
    "wikipedia": ("Wikipedia", "Wikipedia page", "Wikipedia pages"),
    "social": ("Social", "social post", "social posts"),
    "forum": ("Forums", "forum post", "forum posts"),
    "video": ("Video", "video", "videos"),
    "publication": ("Publications", "publication", "publications"),
    # Not attention: the see-also links of the registry record.
    "link": ("Links in the record", "link in the record", "links in the record"),
}

# A source's state on a trial, as a reader should take it.
NOT_USED = "not used on this server"
STATUSES = {
    "ok": "checked",
    "error": "failed",
    "rate_limited": "rate-limited",
    "pending": "waiting",
    "disabled": NOT_USED,
}


def source_label(source_id):
    """`europepmc` → "Europe PMC"; an unknown id is shown as it is."""
    return SOURCES.get(source_id, str(source_id or ""))


def kind_label(kind):
    """`news` → "News", the heading of a kind; an unknown kind is capitalised."""
    words = KINDS.get(kind)
    return words[0] if words else str(kind or "other").replace("_", " ").capitalize()


def kind_words(kind):
    """How one and several mentions of `kind` are named: ("news story", "news stories")."""
    words = KINDS.get(kind)
    if words:
        return words[1], words[2]
    name = str(kind or "other").replace("_", " ")
    return f"{name} mention", f"{name} mentions"


def one_of(kind):
    """What one mention of `kind` is, as a label: "News story", "Forum post"."""
    one = kind_words(kind)[0]
    return one[:1].upper() + one[1:]


def noun(kind, count):
    """`1 news story`, `2 forum posts`, `1,204 publications`."""
    one, many = kind_words(kind)
    return f"{number(count)} {one if count == 1 else many}"


def plural(count, one, many=None):
    """`1 preprint`, `3 preprints`: a count and the word for it."""
    return f"{number(count)} {one if count == 1 else many or one + 's'}"


def status_label(status):
    """`rate_limited` → "rate-limited"; what a source's state on a trial means to a reader."""
    return STATUSES.get(status, str(status or "").replace("_", " "))


def number(value):
    """A number as people write it: 1,234 and 8, not 1234 and 8.0; fractions to two places
    at most (0.25, 0.5)."""
    if isinstance(value, bool) or not isinstance(value, Number):
        return "" if value is None else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = round(value, 2)
        if value != int(value):
            whole, _, fraction = f"{value:,.2f}".partition(".")
            return f"{whole}.{fraction.rstrip('0')}"
        value = int(value)
    return f"{value:,}"


def for_scripts():
    """The same words for the browser scripts, as JSON-ready data their configuration carries."""
    return {
        "sources": dict(SOURCES),
        "kinds": {kind: {"label": label, "one": one, "many": many}
                  for kind, (label, one, many) in KINDS.items()},
        "statuses": dict(STATUSES),
    }

