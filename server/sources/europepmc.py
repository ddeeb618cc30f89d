"""Europe PMC: articles and preprints naming the trial in their text or as a mined accession."""

from urllib.parse import quote

from ..errors import UpstreamBadResponse
from .base import (Mention, Source, doi_url, normalise_doi, parse_datetime, plain_text,
                   safe_url)

class EuropePmc(Source):
    """Europe PMC REST search: a quoted free-text query and a text-mined accession query."""

    id = "europepmc"
    name = "Europe PMC"
    about = "Articles and preprints naming the trial in their text, or as a mined accession."
    kinds = ("publication",)
    url_setting = "EUROPEPMC_URL"
    # No published limit: stay at a few requests a second, as EBI asks of unknown clients.
    rate = "3/second"

    page_size = 1000
    # A trial named in more than 10,000 records is beyond what one refresh should page through.
    max_pages = 10

    def queries(self, nct_id):
        """The two searches: the ID as a phrase anywhere, and the ID as a mined NCT accession."""
        return [f'"{nct_id}"', f"ACCESSION_TYPE:nct AND ACCESSION_ID:{nct_id}"]

    def find(self, trial, deadline=None):
        """Return one publication mention per Europe PMC record found by either query."""
        mentions, seen = [], set()
        for query in self.queries(trial.nct_id):
            for result in self.search(query, deadline):
                mention = self.mention(result)
                if mention and mention.external_id not in seen:
                    seen.add(mention.external_id)
                    mentions.append(mention)
        return mentions

    def search(self, query, deadline=None):
        """Every result of one query, following cursorMark until the list runs out."""
        results, cursor, used = [], "*", set()
        for _ in range(self.max_pages):
            used.add(cursor)
            response = self.upstream.get("/search", params={
                "query": query, "format": "json", "resultType": "lite",
                "pageSize": self.page_size, "cursorMark": cursor,
            }, deadline=deadline)
            body = self.upstream.json(response)
            if not isinstance(body, dict):
                raise UpstreamBadResponse(f"{self.name} answered with something other than "
                                          "a search result")
            listing = body.get("resultList") or {}
            page = listing.get("result") or [] if isinstance(listing, dict) else None
            if not isinstance(page, list):
                raise UpstreamBadResponse(f"{self.name} answered with a malformed result list")
            results.extend(item for item in page if isinstance(item, dict))
            cursor = body.get("nextCursorMark")
            hits = body.get("hitCount")
            # Knowing the total saves the extra call that would only return an empty page.
            if (not page or not isinstance(cursor, str) or cursor in used
                    or (isinstance(hits, int) and len(results) >= hits)):
                break
        return results

    def mention(self, result):
        """One result as a Mention named by source and id, else by DOI; None if it has neither."""
        source = result.get("source").strip() if isinstance(result.get("source"), str) else ""
        ident = str(result.get("id")).strip() if isinstance(result.get("id"), (str, int)) else ""
        doi = normalise_doi(result.get("doi"))
        if source and ident:
            key = f"{source}:{ident}"
            url = safe_url("https://europepmc.org/article/"
                           f"{quote(source, safe='')}/{quote(ident, safe='')}")
        elif doi:
            key, url = f"DOI:{doi}", doi_url(doi)
        else:
            return None
        published = (parse_datetime(result.get("firstPublicationDate"))
                     or parse_datetime(result.get("pubYear")))
        year = plain_text(str(result.get("pubYear") or "")) or (
            str(published.year) if published else None)
        journal = plain_text(result.get("journalTitle"), limit=200)
        if not journal and source == "PPR":
            journal = "Preprint"
        extra = {"pmid": plain_text(result.get("pmid"), limit=20),
                 "pmcid": plain_text(result.get("pmcid"), limit=20),
                 "doi": doi}
        extra = {key: value for key, value in extra.items() if value}
        if source == "PPR":
            extra["preprint"] = True
        citations = result.get("citedByCount")
        if isinstance(citations, int) and not isinstance(citations, bool):
            extra["citations"] = citations
        return Mention(
            source=self.id, kind="publication", external_id=key, url=url,
            title=plain_text(result.get("title")),
            author=plain_text(result.get("authorString"), limit=200),
            published_at=published,
            snippet=", ".join(part for part in (journal, year) if part) or None,
            extra=extra,
        )
