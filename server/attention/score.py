"""The score and its parts: counts per source and kind, history windows, publications after de-duplication."""

import math
from datetime import timedelta

from trialbuzz.attention.sources.base import KINDS
from trialbuzz.attention.sources.notices import title_key

WINDOWS = {"1d": timedelta(days=1), "2d": timedelta(days=2), "3d": timedelta(days=3),
           "4d": timedelta(days=4), "5d": timedelta(days=5), "6d": timedelta(days=6),
           "1w": timedelta(weeks=1), "1m": timedelta(days=30), "3m": timedelta(days=91),
           "6m": timedelta(days=182), "1y": timedelta(days=365)}
# Which source's copy of a paper is listed when several found it: clean titles and dates first.
PUBLICATION_PREFERENCE = ("pubmed", "europepmc", "ctgov", "crossref", "openalex")
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


def _notice(group):
    """The kind of notice a group of copies is ("correction", …), or None for a paper."""
    for mention in group:
        kind = (mention.extra or {}).get("notice")
        if isinstance(kind, str):
            return kind
    return None


def _noticed_paper(group, papers_by_key):
    """The paper (a group of copies) a notice is about, when one of its copies says which by
    PMID, by DOI or by the title it names; else None."""
    for mention in group:
        about = (mention.extra or {}).get("notice_for")
        if not isinstance(about, dict):
            continue
        if about.get("pmid") and f"pmid:{about['pmid']}" in papers_by_key:
            return papers_by_key[f"pmid:{about['pmid']}"]
        doi = str(about.get("doi") or "").strip().lower()
        if doi and f"doi:{doi}" in papers_by_key:
            return papers_by_key[f"doi:{doi}"]
        if about.get("title_key") and f"title:{about['title_key']}" in papers_by_key:
            return papers_by_key[f"title:{about['title_key']}"]
    return None


def summarize(mentions, weights, now):
    """Everything the trial document says about attention, from the stored mentions.
    Corrections, retractions and expressions of concern are notices: listed, marked, attached
    to the paper they are about when the source says which, never counted as publications."""
    groups = group_publications(mentions)
    duplicates, papers, notices = {}, {}, {}
    results = preprints = notice_count = 0
    papers_by_key = {}
    for group in groups:
        notices[id(group)] = _notice(group)
        if notices[id(group)] is None:
            for mention in group:
                for key in _identity_keys(mention):
                    papers_by_key.setdefault(key, group)
                title = title_key(mention.title)
                if title:
                    papers_by_key.setdefault(f"title:{title}", group)
    for group in groups:
        listed = _representative(group)
        note = papers.setdefault(str(listed.id), {})
        others = sorted({m.source for m in group} - {listed.source})
        if others:
            note["also_found_by"] = others
        kind = notices[id(group)]
        if kind:
            notice_count += 1
            note["notice"] = kind
            paper = _noticed_paper(group, papers_by_key)
            if paper is not None:
                target = _representative(paper)
                note["notice_for"] = {"title": target.title, "url": target.url}
                papers.setdefault(str(target.id), {}).setdefault("notices", []).append(
                    {"type": kind, "title": listed.title, "url": listed.url})
        elif any((m.extra or {}).get("result") for m in group):
            note["result"] = True
            results += 1
        for mention in group:
            if mention is not listed:
                duplicates[mention.id] = listed.id
        if not kind:
            preprints += any((m.extra or {}).get("preprint") for m in group)
    papers = {key: value for key, value in papers.items() if value}
    noticed = {m.id for group in groups if notices[id(group)] for m in group}
    listed_mentions = [m for m in mentions if m.id not in duplicates]
    counts, kinds = {}, dict.fromkeys(KINDS, 0)
    for mention in mentions:
        counts[mention.source] = counts.get(mention.source, 0) + 1
    for mention in listed_mentions:
        if mention.kind in kinds and mention.id not in noticed:
            kinds[mention.kind] += 1
    scored = [m for m in listed_mentions if m.kind != "publication"]
    return {
        "score": score_of(scored, weights),
        "counts": counts,
        "kinds": kinds,
        "history": history(scored, weights, now),
        "publications": {"total": len(groups) - notice_count, "results": results,
                         "preprints": preprints, "notices": notice_count},
        "duplicates": duplicates,
        # What the listed copy of a paper stands for: other sources, a results paper, a notice
        # (and the paper it is about), the notices about it.
        "papers": papers,
    }
