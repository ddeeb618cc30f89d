"""The score and its parts: counts per source and kind, history windows, publications after de-duplication."""

import math
from datetime import timedelta

from trialbuzz.attention.sources.base import KINDS

WINDOWS = {"1d": timedelta(days=1), "2d": timedelta(days=2), "3d": timedelta(days=3),
           "4d": timedelta(days=4), "5d": timedelta(days=5), "6d": timedelta(days=6),
           "1w": timedelta(weeks=1), "1m": timedelta(days=30), "3m": timedelta(days=91),
           "6m": timedelta(days=182), "1y": timedelta(days=365)}
# Which source's copy of a paper is listed when several found it: clean titles and dates first.
PUBLICATION_PREFERENCE = ("pubmed", "europepmc", "ctgov")
_IDENTIFIERS = ("pmid", "pmcid", "doi")


def weight(mention, weights):
    """What one mention adds to the score; Wikipedia is counted once per trial, not here."""
    if mention.kind == "forum" and (mention.extra or {}).get("comment"):
        return weights.get("forum_comment", 0)
    if mention.kind == "wikipedia":
        return 0
    return weights.get(mention.kind, 0)


def score_of(mentions, weights):
    """The score of some mentions, rounded up; Wikipedia adds its weight once however many pages."""
    total = sum(weight(m, weights) for m in mentions)
    if any(m.kind == "wikipedia" for m in mentions):
        total += weights.get("wikipedia", 0)
    # Round away float noise (0.25 * 4 may be 1.0000000002) before rounding up.
    return math.ceil(round(total, 6))


def history(mentions, weights, now):
    """Score of the mentions dated within each window, and `at` for all of them."""
    windows = {}
    for name, span in WINDOWS.items():
        since = now - span
        windows[name] = score_of([m for m in mentions
                                  if m.published_at is not None and m.published_at >= since],
                                 weights)
    windows["at"] = score_of(mentions, weights)
    return windows


def _identity_keys(mention):
    """The identifiers a paper can be matched on across sources."""
    extra = mention.extra or {}
    keys = []
    for name in _IDENTIFIERS:
        value = extra.get(name)
        if value:
            value = str(value).strip().lower()
            if name == "pmcid" and not value.startswith("pmc"):
                value = "pmc" + value
            keys.append(f"{name}:{value}")
    return keys


def group_publications(mentions):
    """Publications grouped into papers: two mentions sharing a PMID, PMCID or DOI are one paper."""
    parent = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    papers = [m for m in mentions if m.kind == "publication"]
    for mention in papers:
        node = ("mention", mention.id)
        parent.setdefault(node, node)
        for key in _identity_keys(mention):
            parent.setdefault(key, key)
            parent[find(key)] = find(node)
    groups = {}
    for mention in papers:
        groups.setdefault(find(("mention", mention.id)), []).append(mention)
    return list(groups.values())


def _representative(group):
    """The copy of a paper that is listed: preferred source first, then the earliest stored."""
    def rank(mention):
        order = (PUBLICATION_PREFERENCE.index(mention.source)
                 if mention.source in PUBLICATION_PREFERENCE else len(PUBLICATION_PREFERENCE))
        return (order, mention.id)
    return min(group, key=rank)


def summarize(mentions, weights, now):
    """Everything the trial document says about attention, from the stored mentions."""
    groups = group_publications(mentions)
    duplicates, papers = {}, {}
    results = preprints = 0
    for group in groups:
        listed = _representative(group)
        note = {}
        others = sorted({m.source for m in group} - {listed.source})
        if others:
            note["also_found_by"] = others
        if any((m.extra or {}).get("result") for m in group):
            note["result"] = True
            results += 1
        if note:
            papers[str(listed.id)] = note
        for mention in group:
            if mention is not listed:
                duplicates[mention.id] = listed.id
        preprints += any((m.extra or {}).get("preprint") for m in group)
    listed_mentions = [m for m in mentions if m.id not in duplicates]
    counts, kinds = {}, dict.fromkeys(KINDS, 0)
    for mention in mentions:
        counts[mention.source] = counts.get(mention.source, 0) + 1
    for mention in listed_mentions:
        if mention.kind in kinds:
            kinds[mention.kind] += 1
    scored = [m for m in listed_mentions if m.kind != "publication"]
    return {
        "score": score_of(scored, weights),
        "counts": counts,
        "kinds": kinds,
        "history": history(scored, weights, now),
        "publications": {"total": len(groups), "results": results, "preprints": preprints},
        "duplicates": duplicates,
        # What the listed copy of a paper stands for: other sources, a results paper.
        "papers": papers,
    }
