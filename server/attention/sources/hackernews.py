"""Hacker News through Algolia's search API: stories and comments naming or linking to a trial."""

import re
from datetime import datetime, timezone

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    count,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.sweeping import SweptPage, ids_in, when
from trialbuzz.attention.words import SOURCES

HITS_PER_PAGE = 100
# Algolia serves at most 1,000 hits per query anyway; 500 per query is far beyond any trial.
MAX_PAGES = 5
# Algolia splits a URL into words, so these also match the www. and classic. hosts.
LINK_FORMS = ("clinicaltrials.gov/study/{id}", "clinicaltrials.gov/ct2/show/{id}")
# What a sweep asks for, by date: stories linking the registry; comments quoting its address;
# stories and comments naming an ID ("NCT" matches the words it begins, as Algolia matches the
# last word of a query as a prefix: not checked live).
SWEEP_QUERIES = (
    {"query": "clinicaltrials.gov", "restrictSearchableAttributes": "url", "tags": "story"},
    {"query": "clinicaltrials.gov", "tags": "comment"},
    {"query": "NCT", "tags": "(story,comment)"},
)
# Algolia serves at most this many hits of one query: a window holding more is split in two.
HIT_CAP = 1000
SWEEP_HITS_PER_PAGE = 1000
# Hacker News began in October 2006.
HN_ORIGIN = datetime(2006, 10, 1, tzinfo=timezone.utc)


class HackerNews(Source):
    """Stories and comments quoting the NCT ID, and stories whose link is the study page."""

    id = "hackernews"
    name = SOURCES[id]
    about = "Stories and comments naming the trial or linking its study page."
    kinds = ("forum",)
    url_setting = "HN_URL"
    # Algolia states 10,000 requests per hour per IP (2.8/s); 2/s stays under it even when busy.
    rate = "2/second"

    def queries(self, nct_id):
        """The searches sent for one trial: the ID in text, then the study page as a link."""
        return [{"query": nct_id, "tags": "(story,comment)"}] + [
            {"query": form.format(id=nct_id), "restrictSearchableAttributes": "url"}
            for form in LINK_FORMS]

    def find(self, trial, deadline=None):
        """Every matching item once, however many searches found it."""
        found, seen = Found(), set()
        for query in self.queries(trial.nct_id):
            for hit in self._hits(query, deadline):
                object_id = hit.get("objectID") if isinstance(hit, dict) else None
                # The ID goes into our link, so only Hacker News's numeric item IDs are accepted.
                if not (isinstance(object_id, str) and re.fullmatch(r"[0-9]{1,20}", object_id)):
                    found.skipped += 1
                elif object_id not in seen:
                    seen.add(object_id)
                    found.read(self._mention, object_id, hit)
        return found

    def _hits(self, query, deadline):
        """Yield the hits of one search, page by page, until the last page or the cap."""
        for page in range(MAX_PAGES):
            response = self.upstream.get("/search", params={
                **query, "hitsPerPage": HITS_PER_PAGE, "page": page}, deadline=deadline)
            data = self.upstream.json(response)
            hits = self.listed(data, "hits", what="a hits list")
            yield from hits
            pages = data.get("nbPages")
            if not hits or not isinstance(pages, int) or page + 1 >= pages:
                return

    def _mention(self, object_id, hit):
        """One story or comment as a Mention."""
        tags = hit.get("_tags") if isinstance(hit.get("_tags"), list) else []
        comment = any(tag == "comment" for tag in tags)
        title = plain_text(hit.get("title"))
        if not title and plain_text(hit.get("story_title")):
            title = "Comment on " + plain_text(hit.get("story_title"))
        created = hit.get("created_at_i")
        published = parse_datetime(created) if isinstance(created, int) else None
        published = published or parse_datetime(hit.get("created_at"))
        link = safe_url(hit.get("url")) or safe_url(hit.get("story_url"))
        return Mention(
            source=self.id, kind="forum", external_id=object_id,
            url=safe_url(f"https://news.ycombinator.com/item?id={object_id}"),
            title=title, author=plain_text(hit.get("author"), limit=100),
            published_at=published,
            snippet=(plain_text(hit.get("comment_text")) or plain_text(hit.get("story_text"))
                     or safe_url(hit.get("url"))),
            extra={"comment": comment, "points": _count(hit.get("points")),
                   "num_comments": _count(hit.get("num_comments")), "story_url": link},
        )

    # Sweeps: every story and comment linking or naming any study, by date.
    sweep_origin = HN_ORIGIN

    def sweep_pages(self, scope, run, deadline=None):
        """Each query over the run's window, by `created_at_i`; a window holding more hits than
        Algolia serves is split in halves until each fits."""
        run = dict(run)
        since, until = int(when(run["since"]).timestamp()), int(when(run["until"]).timestamp())
        while run.setdefault("query", 0) < len(SWEEP_QUERIES):
            windows = run.get("windows") or [[since, until]]
            start, end = windows[0]
            page_number = run.get("page", 0)
            response = self.upstream.get("/search_by_date", params={
                **SWEEP_QUERIES[run["query"]], "hitsPerPage": SWEEP_HITS_PER_PAGE,
                "page": page_number,
                "numericFilters": f"created_at_i>={start},created_at_i<{end}"},
                deadline=deadline)
            data = self.upstream.json(response)
            hits = self.listed(data, "hits", what="a hits list")
            total, pages = data.get("nbHits"), data.get("nbPages")
            page = SweptPage()
            if page_number == 0 and isinstance(total, int) and total > HIT_CAP and end - start > 1:
                middle = (start + end) // 2
                run = {**run, "windows": [[start, middle], [middle, end], *windows[1:]],
                       "page": 0}
            else:
                for hit in hits:
                    self._sweep_hit(hit, page)
                if hits and isinstance(pages, int) and page_number + 1 < pages:
                    run = {**run, "windows": windows, "page": page_number + 1}
                elif len(windows) > 1:
                    run = {**run, "windows": windows[1:], "page": 0}
                else:
                    run = {**run, "query": run["query"] + 1, "windows": None, "page": 0,
                           "done": run["query"] + 1 >= len(SWEEP_QUERIES)}
            page.run = run
            yield page

    def _sweep_hit(self, hit, page):
        """File one hit under the IDs its link (stories) or text names."""
        object_id = hit.get("objectID") if isinstance(hit, dict) else None
        if not (isinstance(object_id, str) and re.fullmatch(r"[0-9]{1,20}", object_id)):
            page.skipped += 1
            return
        ids = ids_in(hit.get("url"), hit.get("title"), hit.get("story_text"),
                     hit.get("comment_text"))
        if not ids:
            page.skipped += 1
            return
        found = Found()
        mention = found.read(self._mention, object_id, hit)
        if mention is None:
            page.skipped += 1
        else:
            page.found.append((ids, mention))


def _count(value):
    """A non-negative whole number from the hit, or None (digits sent as a string are not)."""
    return count(value) if isinstance(value, int) else None
