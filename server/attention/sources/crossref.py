"""Crossref's REST API: works whose publisher deposited the trial's number in their metadata."""

from datetime import datetime, timedelta, timezone

from trialbuzz.attention.sources.base import (
    ITEM_ERRORS,
    Found,
    Mention,
    Source,
    bounded,
    doi_url,
    normalise_doi,
    plain_text,
)
from trialbuzz.attention.sources.notices import notice_type, with_noticed_title
from trialbuzz.attention.sources.pubdates import DAY, MONTH, YEAR, earliest
from trialbuzz.attention.sources.sweeping import SweptPage, when
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamError
from trialbuzz.nctid import normalize, unique

# Works a page asks for: Crossref's largest page.
ROWS = 1000
# Pages one trial's search may take (a trial named by more than 5,000 works has none).
MAX_PAGES = 5
# Crossref's deposit schema for clinical trial numbers began in 2016 (not checked live: works
# indexed earlier may have had numbers added later; they are re-indexed with a new date then).
CROSSREF_ORIGIN = datetime(2016, 1, 1, tzinfo=timezone.utc)
# The dates a work names, most telling first: online, in print, the issue, then `issued`.
DATE_FIELDS = ("published-online", "published-print", "published", "issued")
_PRECISION = {1: YEAR, 2: MONTH, 3: DAY}
# Crossmark `update-to` types that make a work a notice about another (what a "correction",
# "retraction" or "expression of concern" is elsewhere); other updates (a new version, an
# addendum) leave it a paper.
UPDATE_NOTICES = {"correction": "correction", "erratum": "correction",
                  "corrigendum": "correction", "retraction": "retraction",
                  "partial_retraction": "retraction", "removal": "retraction",
                  "withdrawal": "retraction", "expression_of_concern": "expression_of_concern"}


class ExpiredCursor(UpstreamError):
    """Crossref refused a cursor: they expire five minutes after their last use."""


def contact_of(settings):
    """The operator's e-mail address for Crossref's polite pool, or None."""
    contact = (settings.get("CONTACT") or "").strip().removeprefix("mailto:")
    return contact if "@" in contact else None


def trial_ids(item):
    """The NCT IDs among a work's deposited clinical trial numbers (other registries' numbers
    are left out), in order and without repeats."""
    numbers = item.get("clinical-trial-number")
    found = []
    for entry in numbers if isinstance(numbers, list) else []:
        number = entry.get("clinical-trial-number") if isinstance(entry, dict) else None
        nct_id = normalize(number) if isinstance(number, str) else None
        if nct_id:
            found.append(nct_id)
    return unique(found)


def date_parts(value):
    """`(moment, precision)` of a Crossref partial date (`{"date-parts": [[2024, 5, 2]]}`)."""
    parts = value.get("date-parts") if isinstance(value, dict) else None
    first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
    numbers = []
    for part in first[:3]:
        if isinstance(part, bool) or not isinstance(part, int):
            break
        numbers.append(part)
    if not numbers:
        return None, YEAR
    try:
        moment = datetime(numbers[0], *(numbers[1:] or [1]), *([1] if len(numbers) < 3 else []),
                          tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None, YEAR
    return bounded(moment), _PRECISION[len(numbers)]


class Crossref(Source):
    """Crossref works that declare the trial's number: by one trial, or swept day by day."""

    id = "crossref"
    name = SOURCES[id]
    about = "Papers whose publisher deposited the trial's number with Crossref."
    kinds = ("publication",)
    url_setting = "CROSSREF_URL"
    # The polite pool allows about 10 requests a second; we stay well under it.
    rate = "3/second"

    def params(self, filters, cursor):
        """The query of one page: filters, cursor, rows, and the operator's address."""
        params = {"filter": filters, "cursor": cursor, "rows": ROWS}
        contact = contact_of(self.settings)
        if contact:
            params["mailto"] = contact
        return params

    def page(self, filters, cursor, deadline):
        """One page of works: (items, next cursor)."""
        response = self.upstream.get("/works", params=self.params(filters, cursor),
                                     deadline=deadline)
        if cursor != "*" and response.status_code in (400, 404):
            raise ExpiredCursor(f"{self.name} refused a cursor (HTTP {response.status_code})")
        body = self.upstream.json(response)
        items = self.listed(body, "message", "items", what="a list of works")
        message = body["message"]
        following = message.get("next-cursor")
        return items, following if isinstance(following, str) and following else None

    def find(self, trial, deadline=None):
        """Every work whose deposited trial numbers include this trial's, once."""
        found, cursor = Found(), "*"
        for _ in range(MAX_PAGES):
            items, following = self.page(f"clinical-trial-number:{trial.nct_id}", cursor,
                                         deadline)
            for item in items:
                if not isinstance(item, dict) or trial.nct_id not in trial_ids(item):
                    found.skipped += 1
                    continue
                found.read_once(self.mention, item)
            if len(items) < ROWS or following is None:
                break
            cursor = following
        return found

    def mention(self, item):
        """One work as a publication Mention; None without a usable DOI."""
        doi = normalise_doi(item.get("DOI"))
        url = doi_url(doi) if doi and doi.startswith("10.") and "/" in doi else None
        if url is None:
            return None
        kind = item.get("type") if isinstance(item.get("type"), str) else None
        extra = {"doi": doi, "type": kind}
        if kind == "posted-content" and item.get("subtype") == "preprint":
            extra["preprint"] = True
        title = _first(item.get("title"))
        extra.update(_notice(item, title))
        return Mention(
            source=self.id, kind="publication", external_id=doi, url=url,
            title=title, author=_first_author(item.get("author")),
            published_at=earliest([date_parts(item.get(name)) for name in DATE_FIELDS]),
            snippet=_first(item.get("container-title"), limit=200),
            extra={key: value for key, value in extra.items() if value is not None},
        )

    # Sweeps: every work declaring any clinical trial number, by the day Crossref indexed it.
    sweep_origin = CROSSREF_ORIGIN

    def sweep_pages(self, scope, run, deadline=None):
        """Day by day from the run's start to its end, each day paged by cursor until a page
        holds fewer works than asked for; each work filed under every NCT ID it declares."""
        run = dict(run)
        day = run.get("day") or when(run["since"]).date().isoformat()
        last = when(run["until"]).date().isoformat()
        cursor = run.get("cursor") or "*"
        while True:
            try:
                items, following = self.page(
                    f"has-clinical-trial-number:true,from-index-date:{day},"
                    f"until-index-date:{day}", cursor, deadline)
            except ExpiredCursor:
                # A run resumed after a pause holds a dead cursor: the day is asked again from
                # its start (what was filed is filed again, unchanged).
                if run.get("restarted") == day:
                    raise
                run, cursor = {**run, "restarted": day}, "*"
                continue
            page = SweptPage()
            for item in items:
                self._sweep_item(item, page)
            if len(items) >= ROWS and following:
                run = {**run, "day": day, "cursor": following}
            elif day < last:
                day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
                run = {**run, "day": day, "cursor": "*"}
            else:
                run = {**run, "day": day, "cursor": None, "done": True}
            cursor = run["cursor"]
            page.run = run
            yield page
            if run.get("done"):
                return

    def _sweep_item(self, item, page):
        """File one work under the NCT IDs it declares."""
        try:
            ids = trial_ids(item) if isinstance(item, dict) else []
            mention = self.mention(item) if ids else None
        except ITEM_ERRORS:
            mention = None
        if mention is None:
            page.skipped += 1
        else:
            page.found.append((ids, mention))


def _notice(item, title):
    """What a notice says of itself: `notice` (its kind) and `notice_for` (the DOI it updates,
    or the title its own title names); {} for a paper."""
    for update in item.get("update-to") if isinstance(item.get("update-to"), list) else []:
        kind = update.get("type") if isinstance(update, dict) else None
        if isinstance(kind, str) and kind.strip().lower() in UPDATE_NOTICES:
            found = {"notice": UPDATE_NOTICES[kind.strip().lower()]}
            doi = normalise_doi(update.get("DOI")) if isinstance(update.get("DOI"), str) else None
            if doi:
                found["notice_for"] = {"doi": doi}
            return with_noticed_title(found, title)
    kind = notice_type([], title)
    return with_noticed_title({"notice": kind}, title) if kind else {}


def _first(values, limit=500):
    """The first readable string of a Crossref list field (titles are lists), as plain text."""
    for value in values if isinstance(values, list) else [values]:
        text = plain_text(value, limit=limit) if isinstance(value, str) else None
        if text:
            return text
    return None


def _first_author(authors):
    """The first author (family name, given name's initials or an organisation's name), with
    "et al." when there are more."""
    names = []
    for author in authors if isinstance(authors, list) else []:
        if not isinstance(author, dict):
            continue
        family = plain_text(author.get("family"), limit=100) if isinstance(
            author.get("family"), str) else None
        given = plain_text(author.get("given"), limit=100) if isinstance(
            author.get("given"), str) else None
        name = (f"{family} {''.join(part[0] for part in given.split() if part)}" if family
                and given else family) or (plain_text(author.get("name"), limit=100)
                                           if isinstance(author.get("name"), str) else None)
        if name:
            names.append(name)
    if not names:
        return None
    return f"{names[0]} et al." if len(names) > 1 else names[0]
