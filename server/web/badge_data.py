"""What badges, embeds, the shields endpoint and the Altmetric-compatible API say of a trial."""

from datetime import datetime
from urllib.parse import urlsplit

from trialbuzz.attention import words
from trialbuzz.attention.kinds import EMPTY_COLOR, KINDS
from trialbuzz.web.badges import ATTENTION_KINDS, DARK_COLORS, SIZES, Figures, has_attention

# Altmetric's count field for each kind; social and forum have no Altmetric twin (its fields
# name single services such as Reddit), so they get fields of their own in the same pattern.
ALTMETRIC_FIELDS = {
    "news": "cited_by_msm_count",
    "blog": "cited_by_feeds_count",
    "policy": "cited_by_policies_count",
    "wikipedia": "cited_by_wikipedia_count",
    "social": "cited_by_social_count",
    "forum": "cited_by_forum_count",
    "video": "cited_by_videos_count",
}
# Platforms Altmetric counts in fields of their own, beside the kind's count above.
ALTMETRIC_SOURCE_FIELDS = {"reddit": "cited_by_rdts_count", "bluesky": "cited_by_bluesky_count"}
ALTMETRIC_TYPE = "clinical_trial_study_record"
IMAGE_SIZES = dict(zip(("small", "medium", "large"), SIZES))
SHIELDS_LABEL = "attention"
SHIELDS_FRESH_SECONDS = 3600
# shields.io never caches an endpoint for less than 300 s, so asking for less is pointless.
SHIELDS_MIN_SECONDS = 300
EMBED_FIELDS = ("nct_id", "requested_id", "title", "acronym", "score", "kinds", "publications",
                "mentions_total", "stale", "state", "context", "details_url", "badge_url")
# Of the coverage, what a popover says: the sentence and the time of the retry.
EMBED_COVERAGE = ("message", "retry_at")


def figures(compact, nct_id=None, finished=True):
    """The badge figures of a compact document; pending when it is None, or when its first
    harvest has not finished and has found nothing so far."""
    if compact is None:
        return Figures(nct_id=nct_id or "", pending=True)
    kinds = compact.get("kinds") or {}
    return Figures(nct_id=compact["nct_id"], score=compact.get("score") or 0, kinds=kinds,
                   title=compact.get("title"), pending=not finished and not has_attention(kinds),
                   partial=compact.get("state") == "partial",
                   reporting=compact.get("reporting"))


def embed_entry(entry):
    """One trial of the embed batch: only what a badge and its popover show."""
    if entry.get("pending") or entry.get("error"):
        return entry
    trimmed = {name: entry[name] for name in EMBED_FIELDS if name in entry}
    trimmed["has_attention"] = has_attention(entry.get("kinds"))
    if entry.get("state") == "partial":
        trimmed["coverage"] = {name: entry.get("coverage", {}).get(name)
                               for name in EMBED_COVERAGE}
    return trimmed


def embed_config(base_url):
    """What embed.js is given when served: where the API is, and the kinds' labels and colours."""
    return {
        "base": base_url,
        "kinds": [{"id": kind, "label": KINDS[kind]["label"], "color": KINDS[kind]["color"],
                   "dark": DARK_COLORS.get(kind, KINDS[kind]["color"]),
                   "one": words.kind_words(kind)[0], "many": words.kind_words(kind)[1],
                   "scored": kind in ATTENTION_KINDS} for kind in KINDS],
        "empty": EMPTY_COLOR,
    }


def shields(compact, finished=True):
    """The shields.io endpoint JSON for a compact document (None while the first harvest runs)."""
    if compact is None or (not finished and not has_attention(compact.get("kinds"))):
        return {"schemaVersion": 1, "label": SHIELDS_LABEL, "message": "pending",
                "color": "lightgrey", "cacheSeconds": SHIELDS_MIN_SECONDS}
    seconds = SHIELDS_MIN_SECONDS if compact.get("stale") or not finished else \
        SHIELDS_FRESH_SECONDS
    if not has_attention(compact.get("kinds")):
        # Nothing found, but a missing source may yet find something: not "none".
        partial = compact.get("state") == "partial"
        return {"schemaVersion": 1, "label": SHIELDS_LABEL,
                "message": "partial" if partial else "none", "color": "lightgrey",
                "cacheSeconds": SHIELDS_MIN_SECONDS if partial else seconds}
    return {"schemaVersion": 1, "label": SHIELDS_LABEL, "message": words.number(compact["score"]),
            "color": "b3261e", "cacheSeconds": seconds}


def altmetric_counts(document, base_url):
    """Altmetric Details Page API v1 counts for a trial document; None without attention."""
    kinds = document.get("kinds") or {}
    if not has_attention(kinds):
        return None
    nct_id = document["nct_id"]
    attention = [m for m in document.get("mentions") or [] if m.get("kind") in ATTENTION_KINDS]
    response = {
        "title": document.get("title") or nct_id,
        "type": ALTMETRIC_TYPE,
        "nct_id": nct_id,
        "url": document.get("url"),
        "score": document.get("score") or 0,
        "history": document.get("history") or {},
    }
    # Altmetric leaves zero counts out rather than sending 0.
    for kind, field in ALTMETRIC_FIELDS.items():
        if kinds.get(kind):
            response[field] = kinds[kind]
    # Altmetric's own fields for the platforms it counts apart, where a source is one of them.
    for source in document.get("sources") or []:
        field = ALTMETRIC_SOURCE_FIELDS.get(source.get("id"))
        if field and source.get("count"):
            response[field] = source["count"]
    response["cited_by_posts_count"] = sum(kinds.get(kind) or 0 for kind in ATTENTION_KINDS)
    response["cited_by_accounts_count"] = len({_account(m) for m in attention}) or \
        response["cited_by_posts_count"]
    response["images"] = {name: f"{base_url}/badge/{nct_id}.svg?style=donut&size={size}"
                          for name, size in IMAGE_SIZES.items()}
    response["details_url"] = document.get("details_url") or f"{base_url}/trial/{nct_id}"
    updated = _unix(document.get("updated_at"))
    dated = [_unix(m.get("published_at")) for m in attention if m.get("published_at")]
    response["added_on"] = min([d for d in dated if d is not None], default=updated)
    response["last_updated"] = updated
    return response


def _account(mention):
    """Who posted a mention: its author, else its site; each Wikipedia page counts on its own."""
    if mention.get("author"):
        return (mention.get("source"), mention["author"].strip().lower())
    url = mention.get("url") or ""
    if mention.get("kind") == "wikipedia":
        return (mention.get("source"), url)
    try:
        return (mention.get("source"), urlsplit(url).hostname or url)
    except ValueError:
        # A stored link that does not parse ("http://[x/") still stands for one account.
        return (mention.get("source"), url)


def _unix(moment):
    """An ISO 8601 timestamp as unix seconds, or None."""
    if not moment:
        return None
    try:
        return int(datetime.fromisoformat(moment).timestamp())
    except (TypeError, ValueError, OverflowError):
        return None
