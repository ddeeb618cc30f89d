"""Europe PMC: articles and preprints naming the trial in their text or as a mined accession."""

from urllib.parse import quote

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    clean,
    count,
    doi_url,
    normalise_doi,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.notices import notice_type, with_noticed_title
from trialbuzz.attention.sources.pubdates import dated, earliest
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamBadResponse

# Corrections and retractions name the article they are about (core results only).
_NOTICE_LINKS = {"erratum for", "retraction of", "expression of concern for",
                 "correction for", "update of"}
from trialbuzz.attention.sources.sweeping import ORIGIN, SweptPage, ids_in, when
from trialbuzz.errors import TrialbuzzError

# The index-date field of a sweep's query: when Europe PMC first indexed a record, so that a
# record indexed today with an old publication date is still found (FIRST_PDATE ranges are
# documented; FIRST_IDATE as a query field is not checked live).
SWEEP_DATE_FIELD = "FIRST_IDATE"
# Results per sweep page (core results carry abstracts, the fallback when annotations fail).
SWEEP_PAGE = 500
# Articles per Annotations API call: the API takes at most 8.
ANNOTATED_AT_ONCE = 8


class EuropePmc(Source):
    """Europe PMC REST search: a quoted free-text query and a text-mined accession query."""

    id = "europepmc"
    name = SOURCES[id]
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
        found, seen = Found(), set()
        for query in self.queries(trial.nct_id):
            for result in self.search(query, deadline):
                key = self.key(result) if isinstance(result, dict) else None
                if key is None:
                    found.skipped += 1
                elif key not in seen:
                    seen.add(key)
                    found.read(self.mention, result)
        return found

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
            results.extend(page)
            cursor = body.get("nextCursorMark")
            hits = body.get("hitCount")
            # Knowing the total saves the extra call that would only return an empty page.
            if (not page or not isinstance(cursor, str) or cursor in used
                    or (isinstance(hits, int) and len(results) >= hits)):
                break
        return results

    @staticmethod
    def _names(result):
        """A result's source, id and DOI, each cleaned or empty."""
        source = (clean(result.get("source")) or "").strip()
        ident = result.get("id")
        ident = ((clean(ident) or "").strip() if isinstance(ident, str)
                 else str(ident) if isinstance(ident, int) and not isinstance(ident, bool)
                 else "")
        return source, ident, normalise_doi(result.get("doi"))

    def key(self, result):
        """What names a result: its source and id, else its DOI; None when it has neither."""
        source, ident, doi = self._names(result)
        if source and ident:
            return f"{source}:{ident}"
        return f"DOI:{doi}" if doi else None

    def mention(self, result):
        """One result as a Mention named by source and id, else by DOI; None if it has neither."""
        source, ident, doi = self._names(result)
        key = self.key(result)
        if key is None:
            return None
        if source and ident:
            url = safe_url("https://europepmc.org/article/"
                           f"{quote(source, safe='')}/{quote(ident, safe='')}")
        else:
            url = doi_url(doi)
        published = self.published(result)
        year = result.get("pubYear")
        year = (plain_text(str(year), limit=10) if isinstance(year, (str, int))
                and not isinstance(year, bool) else None) or (
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
        pubtypes = self.pubtypes(result)
        if pubtypes:
            extra["pubtype"] = pubtypes
        notice = notice_type(pubtypes, plain_text(result.get("title")))
        if notice:
            extra["notice"] = notice
            extra.update(self.noticed(result))
        citations = count(result.get("citedByCount"))
        if citations is not None:
            extra["citations"] = citations
        return Mention(
            source=self.id, kind="publication", external_id=key, url=url,
            title=plain_text(result.get("title")),
            author=plain_text(result.get("authorString"), limit=200),
            published_at=published,
            snippet=", ".join(part for part in (journal, year) if part) or None,
            extra=extra,
        )

    @staticmethod
    def published(result):
        """The earliest credible date of a result: online, first published, journal issue, a
        bare year; never later than Europe PMC first indexed it (its `firstPublicationDate` is
        often the issue's date, months later, even ahead of today)."""
        journal = result.get("journalInfo") if isinstance(result.get("journalInfo"), dict) else {}
        candidates = [dated(value, parse_datetime) for value in (
            result.get("electronicPublicationDate"), result.get("firstPublicationDate"),
            journal.get("printPublicationDate"),
            str(result["pubYear"]) if isinstance(result.get("pubYear"), (str, int))
            and not isinstance(result.get("pubYear"), bool) else None) if value]
        return earliest(candidates, indexed=parse_datetime(result.get("firstIndexDate")))

    @staticmethod
    def pubtypes(result):
        """The publication types of a result, lower case: lite answers give them as one
        "a; b" string, core answers as `pubTypeList.pubType[]`."""
        listed = result.get("pubTypeList")
        listed = listed.get("pubType") if isinstance(listed, dict) else None
        if isinstance(listed, list):
            kinds = listed
        elif isinstance(result.get("pubType"), str):
            kinds = result["pubType"].split(";")
        else:
            kinds = []
        kinds = [plain_text(kind, limit=100) for kind in kinds if isinstance(kind, str)]
        return [kind.strip().lower() for kind in kinds if kind and kind.strip()]

    @staticmethod
    def noticed(result):
        """What a notice says it is about: the PMID from a core result's comment-correction
        list, else the title named in its own title."""
        found = {}
        corrections = result.get("commentCorrectionList")
        corrections = corrections.get("commentCorrection") if isinstance(corrections,
                                                                         dict) else None
        for item in corrections if isinstance(corrections, list) else []:
            if (isinstance(item, dict) and isinstance(item.get("type"), str)
                    and item["type"].strip().lower() in _NOTICE_LINKS
                    and item.get("source") == "MED" and isinstance(item.get("id"), str)
                    and item["id"].isdigit()):
                found["notice_for"] = {"pmid": item["id"]}
                break
        return with_noticed_title(found, plain_text(result.get("title")))

    # Sweeps: every record text-mined as naming an NCT accession, by index date.
    sweep_origin = ORIGIN

    def sweep_query(self, run):
        """The search of one run: NCT accessions among records indexed within its window."""
        since, until = when(run["since"]).date(), when(run["until"]).date()
        return f"ACCESSION_TYPE:nct AND {SWEEP_DATE_FIELD}:[{since} TO {until}]"

    def sweep_pages(self, scope, run, deadline=None):
        """The run's search page by page (cursorMark), each article filed under the NCT IDs
        the Annotations API says it names; where annotations fail, under those in its title
        and abstract."""
        run = dict(run)
        while not run.get("done"):
            cursor = run.get("cursor") or "*"
            response = self.upstream.get("/search", params={
                "query": self.sweep_query(run), "format": "json", "resultType": "core",
                "pageSize": SWEEP_PAGE, "cursorMark": cursor}, deadline=deadline)
            body = self.upstream.json(response)
            listing = body.get("resultList") if isinstance(body, dict) else None
            results = listing.get("result") if isinstance(listing, dict) else None
            if not isinstance(results, list):
                raise UpstreamBadResponse(f"{self.name} answered with a malformed result list")
            page = SweptPage()
            articles = [result for result in results if isinstance(result, dict)
                        and self.key(result)]
            page.skipped += len(results) - len(articles)
            named = {}
            for start in range(0, len(articles), ANNOTATED_AT_ONCE):
                page.calls += 1
                named.update(self.accessions(articles[start:start + ANNOTATED_AT_ONCE],
                                             deadline))
            for article in articles:
                key = self.key(article)
                ids = named.get(key)
                if not ids:
                    ids = ids_in(article.get("title"), article.get("abstractText"))
                mention = Found().read(self.mention, article) if ids else None
                if mention is None:
                    page.skipped += 1
                else:
                    page.found.append((ids, mention))
            following = body.get("nextCursorMark")
            done = (not results or not isinstance(following, str) or following == cursor)
            run = {**run, "cursor": following if not done else None, "done": done}
            page.run = run
            yield page

    def accessions(self, articles, deadline=None):
        """{article key: NCT IDs} from the Annotations API for up to 8 articles; articles it
        could not answer for are left out (the caller falls back to their text)."""
        asked = {}
        for article in articles:
            source, ident, _ = self._names(article)
            if source and ident:
                asked[f"{source}:{ident}"] = self.key(article)
        if not asked:
            return {}
        base = self.settings.get("EUROPEPMC_ANNOTATIONS_URL") or ""
        try:
            response = self.upstream.get(base.rstrip("/") + "/annotationsByArticleIds", params={
                "articleIds": ",".join(asked), "type": "Accession Numbers",
                "provider": "Europe PMC", "format": "JSON"}, deadline=deadline)
            body = self.upstream.json(response)
        except TrialbuzzError:
            return {}
        named = {}
        for entry in body if isinstance(body, list) else []:
            if not isinstance(entry, dict):
                continue
            key = asked.get(f"{entry.get('source')}:{entry.get('extId')}")
            annotations = entry.get("annotations")
            if key is None or not isinstance(annotations, list):
                continue
            texts = []
            for annotation in annotations:
                if not isinstance(annotation, dict):
                    continue
                texts.append(annotation.get("exact"))
                tags = annotation.get("tags")
                for tag in tags if isinstance(tags, list) else []:
                    if isinstance(tag, dict):
                        texts.extend((tag.get("name"), tag.get("uri")))
            named[key] = ids_in(*texts)
        return named
