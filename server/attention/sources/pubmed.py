"""PubMed via NCBI E-utilities: records whose databank field or title/abstract names the trial."""

import re
from datetime import datetime, timezone

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    bounded,
    normalise_doi,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.notices import notice_type, noticed_title
from trialbuzz.attention.sources.pubdates import dated, earliest
from trialbuzz.errors import UpstreamBadResponse, UpstreamError

_PMID = re.compile(r"^\d{1,10}$")
_PMCID = re.compile(r"PMC\d+")
_LEADING_DATE = re.compile(r"^(\d{4})(?:\s+([A-Za-z]{3}))?")
# The history entries that say when PubMed indexed a record.
_INDEXED = ("entrez", "pubmed")
# esummary `references[].reftype` of a notice, naming the paper it is about.
_NOTICE_LINKS = {"erratumfor", "retractionof", "expressionofconcernfor", "correctionfor"}


def pubmed_date(value):
    """A PubMed date ("2025/07/11 00:00", "2025 Jul 11", "2025 Jul-Aug", "2025") in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return bounded(datetime.strptime(text, fmt).replace(tzinfo=timezone.utc))
        except ValueError:
            pass
    moment = parse_datetime(text)
    if moment:
        return moment
    # Ranges and seasons ("2025 Jul-Aug", "2024 Winter") keep their year and first month.
    match = _LEADING_DATE.match(text)
    if not match:
        return None
    return (match.group(2) and parse_datetime(f"{match.group(1)} {match.group(2)}")
            or parse_datetime(match.group(1)))


class PubMed(Source):
    """NCBI E-utilities: esearch for the PMIDs, then esummary for their citations."""

    id = "pubmed"
    name = "PubMed"
    about = "PubMed records carrying the trial's ID as a secondary source ID or in their abstract."
    kinds = ("publication",)
    url_setting = "PUBMED_URL"
    # NCBI allows 3 requests a second per IP without an API key and 10 with one.
    rate = "3/second"
    keyed_rate = "10/second"

    search_page = 1000
    # esearch cannot start past record 9,999 without the history server.
    max_records = 9999
    summary_batch = 500

    def __init__(self, settings, storage=None):
        # The base class reads self.rate, so the key decides it before SOURCE_RATES is applied.
        if settings.get("NCBI_API_KEY"):
            self.rate = self.keyed_rate
        super().__init__(settings, storage=storage)

    def common_params(self):
        """What NCBI asks on every call: the tool, the operator's e-mail, and the key when set."""
        params = {"tool": "trialbuzz"}
        contact = (self.settings.get("CONTACT") or "").strip().removeprefix("mailto:")
        if "@" in contact:
            params["email"] = contact
        if self.settings.get("NCBI_API_KEY"):
            params["api_key"] = self.settings["NCBI_API_KEY"]
        return params

    def find(self, trial, deadline=None):
        """Return one publication mention per PubMed record naming the trial."""
        pmids = self.search(trial.nct_id, deadline)
        found = Found()
        for start in range(0, len(pmids), self.summary_batch):
            batch = pmids[start:start + self.summary_batch]
            summaries = self.summaries(batch, deadline)
            for pmid in batch:
                summary = summaries.get(pmid)
                if isinstance(summary, dict) and "error" not in summary:
                    found.read(self.mention, pmid, summary)
                elif summary is not None:
                    found.skipped += 1
        return found

    def search(self, nct_id, deadline=None):
        """The PMIDs matching the trial, in esearch order, without repeats."""
        pmids, seen, start = [], set(), 0
        while start < self.max_records:
            params = {"db": "pubmed", "term": f"{nct_id}[si] OR {nct_id}[tiab]",
                      "retmode": "json", "retstart": start,
                      "retmax": min(self.search_page, self.max_records - start),
                      **self.common_params()}
            body = self.call("/esearch.fcgi", params, deadline)
            result = body.get("esearchresult")
            if not isinstance(result, dict):
                raise UpstreamBadResponse(f"{self.name} answered without a search result")
            self.refuse_error(result.get("ERROR"))
            ids = result.get("idlist") or []
            if not isinstance(ids, list):
                raise UpstreamBadResponse(f"{self.name} answered with a malformed id list")
            for pmid in map(str, ids):
                # Records added while we page shift later pages; PMIDs stay unique all the same.
                if _PMID.match(pmid) and pmid not in seen:
                    seen.add(pmid)
                    pmids.append(pmid)
            start += len(ids)
            try:
                count = int(result.get("count", 0))
            except (TypeError, ValueError):
                count = 0
            if not ids or start >= count:
                break
        return pmids

    def summaries(self, pmids, deadline=None):
        """The esummary records of up to 500 PMIDs, keyed by PMID."""
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "json",
                  **self.common_params()}
        body = self.call("/esummary.fcgi", params, deadline)
        result = body.get("result")
        if result is None and "esummaryresult" in body:
            # Unknown PMIDs only: NCBI names them instead of returning records.
            return {}
        if not isinstance(result, dict):
            raise UpstreamBadResponse(f"{self.name} answered without summaries")
        return result

    def call(self, path, params, deadline):
        """GET one E-utility and return its JSON object, refusing NCBI's in-band errors."""
        body = self.upstream.json(self.upstream.get(path, params=params, deadline=deadline))
        if not isinstance(body, dict):
            raise UpstreamBadResponse(f"{self.name} answered with something other than an object")
        self.refuse_error(body.get("error"))
        return body

    def refuse_error(self, message):
        """Raise UpstreamError for an error NCBI reports inside a 200 answer."""
        if not message:
            return
        text = plain_text(str(message), limit=120) or "unknown error"
        key = self.settings.get("NCBI_API_KEY")
        if key:
            text = text.replace(key, "[key]")
        raise UpstreamError(f"{self.name} refused the search: {text}")

    def mention(self, pmid, summary):
        """One esummary record as a Mention."""
        ids = {}
        articleids = summary.get("articleids")
        for item in articleids if isinstance(articleids, list) else []:
            if isinstance(item, dict) and isinstance(item.get("value"), str) and \
                    isinstance(item.get("idtype"), str):
                ids.setdefault(item["idtype"], item["value"])
        # "pmc" holds the bare PMCID; "pmcid" wraps it as "pmc-id: PMC…;".
        pmcid = _PMCID.search(ids.get("pmc") or ids.get("pmcid") or "")
        extra = {"pmid": pmid, "pmcid": pmcid.group(0) if pmcid else None,
                 "doi": normalise_doi(ids.get("doi"))}
        extra = {key: value for key, value in extra.items() if value}
        pubtypes = summary.get("pubtype")
        pubtypes = [plain_text(kind, limit=100)
                    for kind in (pubtypes if isinstance(pubtypes, list) else [])]
        extra["pubtype"] = [kind for kind in pubtypes if kind]
        notice = notice_type(extra["pubtype"], plain_text(summary.get("title")))
        if notice:
            extra["notice"] = notice
            extra.update(self.noticed(summary))
        published = self.published(summary)
        return Mention(
            source=self.id, kind="publication", external_id=pmid,
            url=safe_url(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"),
            title=plain_text(summary.get("title")),
            author=self.first_author(summary), published_at=published,
            snippet=(plain_text(summary.get("fulljournalname"), limit=200)
                     or plain_text(summary.get("source"), limit=200)),
            extra=extra,
        )

    @staticmethod
    def first_author(summary):
        """The first author, with "et al." when there are more."""
        authors = summary.get("authors")
        authors = [plain_text(item.get("name"), limit=100)
                   for item in (authors if isinstance(authors, list) else [])
                   if isinstance(item, dict)]
        authors = [name for name in authors if name]
        first = plain_text(summary.get("sortfirstauthor"), limit=100) or (
            authors[0] if authors else None)
        if first and len(authors) > 1:
            return f"{first} et al."
        return first

    @staticmethod
    def published(summary):
        """The earliest credible date of a record (online, issue, PubMed's sort date), never
        later than the day PubMed indexed it."""
        candidates = [dated(summary.get(name), pubmed_date)
                      for name in ("epubdate", "pubdate", "sortpubdate")
                      if isinstance(summary.get(name), str) and summary[name].strip()]
        history = summary.get("history")
        indexed = [pubmed_date(item.get("date")) for item in (
            history if isinstance(history, list) else [])
            if isinstance(item, dict) and item.get("pubstatus") in _INDEXED]
        indexed = [moment for moment in indexed if moment is not None]
        return earliest(candidates, indexed=min(indexed) if indexed else None)

    @staticmethod
    def noticed(summary):
        """What a notice says it is about: the PMID its references name ("Erratum for"), else
        the title named in its own title."""
        found = {}
        references = summary.get("references")
        for item in references if isinstance(references, list) else []:
            kind = item.get("reftype") if isinstance(item, dict) else None
            pmid = str(item.get("pmid")) if isinstance(item, dict) else ""
            if (isinstance(kind, str) and re.sub(r"[^a-z]", "", kind.lower()) in _NOTICE_LINKS
                    and _PMID.match(pmid)):
                found["notice_for"] = {"pmid": pmid}
                break
        title = noticed_title(plain_text(summary.get("title")))
        if title:
            found.setdefault("notice_for", {})["title_key"] = title
        return found
