"""ClinicalTrials.gov references: the results and derived papers of the record, and its see-also links."""

import hashlib
import re

from trialbuzz.attention.sources.base import (
    ITEM_ERRORS,
    Found,
    Mention,
    Source,
    doi_url,
    normalise_doi,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.notices import notice_type, noticed_title
from trialbuzz.attention.sources.pubdates import dated, earliest
from trialbuzz.attention.sources.sweeping import SweptPage, when
from trialbuzz.attention.words import SOURCES
from trialbuzz.registry.citations import parse as parse_citation
from trialbuzz.registry.ctgov import parse_study

# The registry opened in 2000; its records' last-update dates start in 1999.
REGISTRY_ORIGIN = "1999-01-01"

# References that are attention: papers reporting the trial (RESULT) or indexed with its ID
# (DERIVED). BACKGROUND references are prior work the trial cites, not work about the trial.
ATTENTION_TYPES = {"RESULT", "DERIVED"}
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s;,]+?)\.?(?=\s|$)", re.IGNORECASE)
_YEAR = re.compile(r"\.\s((?:19|20)\d{2})\b")
_EPUB = re.compile(r"\bEpub\s+((?:19|20)\d{2}(?:\s+[A-Z][a-z]{2}(?:\s+\d{1,2})?)?)")


class CtGovReferences(Source):
    """Reads the references already in the registry record; it makes no upstream call."""

    id = "ctgov"
    name = SOURCES[id]
    about = "Results and derived papers listed in the registry record, and its see-also links."
    kinds = ("publication", "link")
    rate = None
    # Its findings come from the registry record: a refresh never asks anyone for them.
    calls_upstream = False

    def find(self, trial, deadline=None):
        """Results and derived papers as publications, see-also links as links."""
        found = Found()
        references = trial.record.get("references")
        for ref in references if isinstance(references, list) else []:
            if not isinstance(ref, dict):
                found.skipped += 1
            elif isinstance(ref.get("type"), str) and ref["type"] in ATTENTION_TYPES:
                found.read(self._publication, ref)
        links = trial.record.get("see_also")
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, dict):
                found.skipped += 1
            elif link.get("url") is not None:
                found.read(self._link, link)
        return found

    def _publication(self, ref):
        """One results or derived reference as a publication mention."""
        citation = plain_text(ref.get("citation"), limit=1000)
        pmid = ref.get("pmid")
        pmid = pmid if isinstance(pmid, str) and re.fullmatch(r"[0-9]{1,10}", pmid) else None
        doi_match = _DOI.search(citation or "")
        doi = normalise_doi(doi_match.group(1)) if doi_match else None
        if pmid:
            url, external_id = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/", pmid
        else:
            url = doi_url(doi)
            external_id = "citation:" + hashlib.sha256(
                (citation or "").encode()).hexdigest()[:16]
        year = _YEAR.search(citation or "")
        parts = parse_citation(citation)
        extra = {"pmid": pmid, "doi": doi, "result": ref["type"] == "RESULT",
                 "reference_type": ref["type"], "year": int(year.group(1)) if year else None}
        published = None
        if parts is not None and parts.parsed:
            extra["journal"] = parts.journal
            epub = _EPUB.search(citation or "")
            published = earliest(
                [dated(parts.date, parse_datetime)]
                + ([dated(epub.group(1), parse_datetime)] if epub else []))
        notice = notice_type([], parts.title if parts else None)
        if notice:
            extra["notice"] = notice
            title_key = noticed_title(parts.title)
            if title_key:
                extra["notice_for"] = {"title_key": title_key}
        return Mention(
            source=self.id, kind="publication", external_id=external_id, url=url,
            title=parts.title if parts else None,
            author=parts.first_author if parts else None,
            published_at=published,
            snippet=_snippet(ref["type"], parts), extra=extra,
        )

    def _link(self, link):
        """One see-also link as a link mention; None when its URL is not a safe link."""
        url = safe_url(link.get("url"))
        if not url:
            return None
        return Mention(source=self.id, kind="link", external_id="link:" + url, url=url,
                       title=plain_text(link.get("label")) or url,
                       snippet="Link in the registry record")


def _snippet(reference_type, parts):
    """What a reference is, and the journal and date its citation gives."""
    source = ", ".join(part for part in ((parts.journal, parts.date) if parts else ()) if part)
    return "; ".join(part for part in (_label(reference_type), source) if part) or None


def _label(reference_type):
    """What the registry says a reference is."""
    return {"RESULT": "Results publication, listed in the registry record",
            "DERIVED": "Publication indexed with this trial's ID"}.get(reference_type)


class RegistrySweep:
    """The registry's own sweep: the records of every study updated since the last one, from
    the listing endpoint, stored as records and read for their references."""

    id = CtGovReferences.id
    name = "ClinicalTrials.gov"

    def __init__(self, client, references):
        self.client = client
        self.references = references
        self.sweep_origin = when(REGISTRY_ORIGIN)

    def sweep_pages(self, scope, run, deadline=None):
        """Pages of 1,000 studies updated within the run's window (the whole registry when it
        starts at the origin), each stored as a record and read for its references."""
        from trialbuzz.registry.trials import TrialRecord

        run = dict(run)
        since = when(run["since"])
        since = None if since <= self.sweep_origin else since.date()
        while not run.get("done"):
            studies, token, total = self.client.updated_since(since, run.get("token"),
                                                              deadline=deadline)
            page = SweptPage()
            for study in studies:
                try:
                    record = parse_study(study) if isinstance(study, dict) else None
                except ITEM_ERRORS:
                    record = None
                if not record or not record.get("nct_id"):
                    page.skipped += 1
                    continue
                page.records.append(record)
                trial = TrialRecord(record["nct_id"], record, None, None, record["nct_id"])
                found = self.references.find(trial)
                page.skipped += found.skipped
                page.found.extend(([record["nct_id"]], mention) for mention in found)
            if total is not None:
                run["total"] = total
            run = {**run, "token": token, "done": token is None or token == run.get("token")}
            page.run = run
            yield page
