"""OpenAlex, opt-in with the operator's key: works whose title, abstract or full text name the
trial."""

import re

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    doi_url,
    normalise_doi,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamError

PER_PAGE = 100
# Pages one trial's search may take (500 works is far beyond any trial); each page is a search
# call, of which a free key has about 1,000 a day.
MAX_PAGES = 5
# The fields asked for: what a mention shows and the identifiers that join copies of a paper.
SELECT = "id,doi,title,display_name,publication_date,primary_location,ids"
KEY_MESSAGE = "OpenAlex refused the key: check TRIALBUZZ_OPENALEX_KEY"
_WORK_ID = re.compile(r"^(?:https://openalex\.org/)?(W\d{1,15})$", re.IGNORECASE)
_PMID = re.compile(r"^(?:https?://pubmed\.ncbi\.nlm\.nih\.gov/)?(\d{1,10})/?$")
_PMCID = re.compile(r"(PMC\d{1,12})/?$", re.IGNORECASE)


class OpenAlex(Source):
    """OpenAlex's search of works for the quoted ID; runs only when OPENALEX_KEY is set."""

    id = "openalex"
    name = SOURCES[id]
    about = "Works whose title, abstract or full text name the trial (needs an operator key)."
    kinds = ("publication",)
    url_setting = "OPENALEX_URL"
    key_setting = "OPENALEX_KEY"
    # OpenAlex allows 100 requests a second, but a free key's daily budget is about 1,000
    # searches: the pace is modest and the budget is what limits.
    rate = "2/second"

    def find(self, trial, deadline=None):
        """Every work the search finds, once, paged by cursor up to MAX_PAGES."""
        found, cursor = Found(), "*"
        for _ in range(MAX_PAGES):
            results, cursor = self._page(trial.nct_id, cursor, deadline)
            for work in results:
                if isinstance(work, dict):
                    found.read_once(self._mention, work)
                else:
                    found.skipped += 1
            if not results or cursor is None:
                break
        return found

    def _page(self, nct_id, cursor, deadline):
        """One page of the search: (works, next cursor or None)."""
        response = self.upstream.get("/works", params={
            "search": f'"{nct_id}"', "per-page": PER_PAGE, "cursor": cursor,
            "api_key": self.settings["OPENALEX_KEY"].strip(), "select": SELECT},
            deadline=deadline)
        if response.status_code in (401, 403):
            raise UpstreamError(KEY_MESSAGE, code="openalex_key")
        body = self.upstream.json(response)
        results = self.listed(body, "results", what="a list of works")
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        following = meta.get("next_cursor")
        return results, following if isinstance(following, str) and following else None

    def _mention(self, work):
        """One work as a publication Mention; None without an OpenAlex work ID."""
        work_id = _WORK_ID.match(work.get("id") or "") if isinstance(work.get("id"),
                                                                       str) else None
        if work_id is None:
            return None
        work_id = work_id.group(1).upper()
        ids = work.get("ids") if isinstance(work.get("ids"), dict) else {}
        doi = normalise_doi(work.get("doi") if isinstance(work.get("doi"), str)
                            else ids.get("doi") if isinstance(ids.get("doi"), str) else None)
        doi = doi if doi and doi.startswith("10.") and "/" in doi else None
        location = work.get("primary_location")
        location = location if isinstance(location, dict) else {}
        venue = location.get("source") if isinstance(location.get("source"), dict) else {}
        pmid = _PMID.match(ids.get("pmid") or "") if isinstance(ids.get("pmid"), str) else None
        pmcid = _PMCID.search(ids.get("pmcid") or "") if isinstance(ids.get("pmcid"),
                                                                      str) else None
        extra = {"openalex": work_id, "doi": doi, "pmid": pmid.group(1) if pmid else None,
                 "pmcid": pmcid.group(1).upper() if pmcid else None}
        title = work.get("title") if isinstance(work.get("title"), str) else work.get(
            "display_name")
        return Mention(
            source=self.id, kind="publication", external_id=work_id,
            url=(doi_url(doi) or safe_url(location.get("landing_page_url"))
                 or safe_url(f"https://openalex.org/{work_id}")),
            title=plain_text(title) if isinstance(title, str) else None,
            published_at=parse_datetime(work.get("publication_date")),
            snippet=(plain_text(venue.get("display_name"), limit=200)
                     if isinstance(venue.get("display_name"), str) else None),
            extra={key: value for key, value in extra.items() if value},
        )
