"""PubMed via NCBI E-utilities: records whose databank field or title/abstract names the trial."""

import re
from datetime import date, datetime, timedelta, timezone

from lxml import etree

from trialbuzz.attention.sources.base import (
    ITEM_ERRORS,
    Found,
    Mention,
    Source,
    bounded,
    normalise_doi,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.notices import notice_type, with_noticed_title
from trialbuzz.attention.sources.pubdates import dated, earliest
from trialbuzz.attention.sources.sweeping import ORIGIN, SweptPage, ids_in, when
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamBadResponse, UpstreamError
from trialbuzz.nctid import normalize

# What a sweep asks for: records carrying a ClinicalTrials.gov accession in their databank
# field, or an NCT ID in title or abstract (truncation `NCT0*` is documented for four letters
# or more; how many words it expands to on PubMed today is not checked live).
SWEEP_TERM = "clinicaltrials.gov[si] OR NCT0*[tiab]"
# Both dates a record may become findable on: when it entered PubMed (publisher-supplied
# accessions), and when MEDLINE indexing added its databank field (the MeSH date).
SWEEP_DATE_TYPES = ("edat", "mhda")
# esearch returns at most 9,999 IDs of one query: a window with more is split by days.
SEARCH_CAP = 9999
# PMIDs per efetch call (XML records with abstracts, a few kB each).
FETCH_BATCH = 200
# The XML of efetch is read without its DTD, external entities or the network.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                       huge_tree=False, remove_comments=True)

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
    name = SOURCES[id]
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
        return with_noticed_title(found, plain_text(summary.get("title")))

    # Sweeps: every record naming a trial, by the dates it became findable.
    sweep_origin = ORIGIN

    def sweep_pages(self, scope, run, deadline=None):
        """esearch per window and date type (a window over the cap split by days), then the
        records by efetch XML, 200 a call, each filed under the NCT IDs of its databank field
        and of its title and abstract."""
        run = dict(run)
        if run.get("windows") is None and not run.get("pmids") and not run.get("done"):
            since, until = when(run["since"]).date(), when(run["until"]).date()
            # A sweep of the whole history finds every record by its Entrez date, with the
            # databank field it has now: the MeSH date would only list them all again.
            kinds = SWEEP_DATE_TYPES[:1] if run.get("from_origin") else SWEEP_DATE_TYPES
            run["windows"] = [[since.isoformat(), until.isoformat(), kind] for kind in kinds]
        while not run.get("done"):
            if run.get("pmids"):
                batch, rest = run["pmids"][:FETCH_BATCH], run["pmids"][FETCH_BATCH:]
                page = self.fetch_records(batch, deadline)
                run = {**run, "pmids": rest}
            elif run.get("windows"):
                start, end, kind = run["windows"][0]
                page, windows, pmids = SweptPage(), run["windows"][1:], []
                count, ids = self.sweep_search(start, end, kind, deadline)
                if count > SEARCH_CAP and start < end:
                    middle = date.fromisoformat(start) + (
                        date.fromisoformat(end) - date.fromisoformat(start)) / 2
                    windows = [[start, middle.isoformat(), kind],
                               [(middle + timedelta(days=1)).isoformat(), end, kind], *windows]
                else:
                    pmids = ids
                    if count > SEARCH_CAP:
                        run["capped"] = run.get("capped", 0) + count - len(ids)
                run = {**run, "windows": windows, "pmids": pmids}
            else:
                run = {**run, "done": True}
                continue
            run["done"] = not run["pmids"] and not run["windows"]
            page.run = run
            yield page

    def sweep_search(self, start, end, kind, deadline=None):
        """How many records one window holds, and the PMIDs of the first 9,999."""
        params = {"db": "pubmed", "term": SWEEP_TERM, "datetype": kind,
                  "mindate": start.replace("-", "/"), "maxdate": end.replace("-", "/"),
                  "retmode": "json", "retstart": 0, "retmax": SEARCH_CAP,
                  **self.common_params()}
        body = self.call("/esearch.fcgi", params, deadline)
        result = body.get("esearchresult")
        if not isinstance(result, dict):
            raise UpstreamBadResponse(f"{self.name} answered without a search result")
        self.refuse_error(result.get("ERROR"))
        ids = result.get("idlist")
        if not isinstance(ids, list):
            raise UpstreamBadResponse(f"{self.name} answered with a malformed id list")
        try:
            count = int(result.get("count", 0))
        except (TypeError, ValueError):
            raise UpstreamBadResponse(f"{self.name} answered without a count") from None
        return count, list(dict.fromkeys(str(pmid) for pmid in ids if _PMID.match(str(pmid))))

    def fetch_records(self, pmids, deadline=None):
        """The records of up to 200 PMIDs by efetch XML, as a SweptPage."""
        response = self.upstream.get("/efetch.fcgi", params={
            "db": "pubmed", "id": ",".join(pmids), "retmode": "xml", **self.common_params()},
            deadline=deadline)
        self.upstream.raise_for_status(response)
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind and "xml" not in kind and kind != "text/plain":
            raise UpstreamBadResponse(f"{self.name} answered {kind} where XML was expected")
        try:
            root = etree.fromstring(response.content, _XML)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise UpstreamBadResponse(f"{self.name} answered with malformed XML") from exc
        articles = root.findall("PubmedArticle") if root is not None else []
        if not articles and root is not None and root.find("ERROR") is not None:
            self.refuse_error(_all_text(root.find("ERROR")) or "error")
        page = SweptPage()
        for article in articles:
            try:
                ids, mention = self.article_mention(article)
            except ITEM_ERRORS:
                ids, mention = [], None
            if ids and mention is not None:
                page.found.append((ids, mention))
            else:
                page.skipped += 1
        return page

    def article_mention(self, article):
        """The NCT IDs one PubmedArticle names and the record as a Mention."""
        citation = article.find("MedlineCitation")
        pmid = _all_text(citation.find("PMID")) if citation is not None else None
        if not pmid or not _PMID.match(pmid):
            return [], None
        body = citation.find("Article")
        if body is None:
            return [], None
        title = _all_text(body.find("ArticleTitle"))
        abstract = " ".join(filter(None, (_all_text(node)
                                          for node in body.findall("Abstract/AbstractText"))))
        accessions = []
        for bank in body.findall("DataBankList/DataBank"):
            if (_all_text(bank.find("DataBankName")) or "").lower() == "clinicaltrials.gov":
                accessions.extend(_all_text(node) for node in
                                  bank.findall("AccessionNumberList/AccessionNumber"))
        ids = list(dict.fromkeys([*filter(None, map(normalize, accessions)),
                                  *ids_in(title, abstract)]))
        ids_of = {node.get("IdType"): _all_text(node)
                  for node in article.findall("PubmedData/ArticleIdList/ArticleId")}
        pmcid = _PMCID.search(ids_of.get("pmc") or "")
        extra = {"pmid": pmid, "pmcid": pmcid.group(0) if pmcid else None,
                 "doi": normalise_doi(ids_of.get("doi"))}
        extra = {key: value for key, value in extra.items() if value}
        extra["pubtype"] = [kind for kind in (
            plain_text(_all_text(node), limit=100)
            for node in body.findall("PublicationTypeList/PublicationType")) if kind]
        issued = body.find("Journal/JournalIssue/PubDate")
        published = None
        if issued is not None:
            published = pubmed_date(_all_text(issued.find("MedlineDate")) or " ".join(
                filter(None, (_all_text(issued.find(part)) for part in ("Year", "Month", "Day")))))
        authors = []
        for author in body.findall("AuthorList/Author"):
            name = _all_text(author.find("CollectiveName")) or " ".join(filter(None, (
                _all_text(author.find("LastName")), _all_text(author.find("Initials")))))
            if plain_text(name, limit=100):
                authors.append(plain_text(name, limit=100))
        first = authors[0] if authors else None
        return ids, Mention(
            source=self.id, kind="publication", external_id=pmid,
            url=safe_url(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"),
            title=plain_text(title), author=f"{first} et al." if len(authors) > 1 else first,
            published_at=published,
            snippet=plain_text(_all_text(body.find("Journal/Title")), limit=200),
            extra=extra,
        )


def _all_text(node):
    """The whole text of an XML element (inline markup such as <i> joined), or None."""
    if node is None:
        return None
    text = "".join(node.itertext()).strip()
    return text or None
