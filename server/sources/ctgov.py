"""ClinicalTrials.gov references: the results and derived papers of the record, and its see-also links."""

import hashlib
import re

from .base import Mention, Source, doi_url, normalise_doi, plain_text, safe_url

# References that are attention: papers reporting the trial (RESULT) or indexed with its ID
# (DERIVED). BACKGROUND references are prior work the trial cites, not work about the trial.
ATTENTION_TYPES = {"RESULT", "DERIVED"}
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s;,]+?)\.?(?=\s|$)", re.IGNORECASE)
_YEAR = re.compile(r"\.\s((?:19|20)\d{2})\b")


class CtGovReferences(Source):
    """Reads the references already in the registry record; it makes no upstream call."""

    id = "ctgov"
    name = "ClinicalTrials.gov references"
    about = "Results and derived papers listed in the registry record, and its see-also links."
    kinds = ("publication", "link")
    rate = None

    def find(self, trial, deadline=None):
        """Results and derived papers as publications, see-also links as links."""
        mentions = []
        for ref in trial.record.get("references") or []:
            if ref.get("type") not in ATTENTION_TYPES:
                continue
            citation = plain_text(ref.get("citation"), limit=1000)
            pmid = ref.get("pmid") if re.fullmatch(r"[0-9]+", str(ref.get("pmid") or "")) else None
            doi_match = _DOI.search(citation or "")
            doi = normalise_doi(doi_match.group(1)) if doi_match else None
            if pmid:
                url, external_id = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/", pmid
            else:
                url = doi_url(doi)
                external_id = "citation:" + hashlib.sha256(
                    (citation or "").encode()).hexdigest()[:16]
            year = _YEAR.search(citation or "")
            mentions.append(Mention(
                source=self.id, kind="publication", external_id=external_id, url=url,
                title=citation, published_at=None, snippet=_label(ref.get("type")),
                extra={"pmid": pmid, "doi": doi, "result": ref.get("type") == "RESULT",
                       "reference_type": ref.get("type"),
                       "year": int(year.group(1)) if year else None},
            ))
        for link in trial.record.get("see_also") or []:
            url = safe_url(link.get("url"))
            if url:
                mentions.append(Mention(source=self.id, kind="link", external_id="link:" + url,
                                        url=url, title=plain_text(link.get("label")) or url,
                                        snippet="Link in the registry record"))
        return mentions


def _label(reference_type):
    """What the registry says a reference is."""
    return {"RESULT": "Results publication, listed in the registry record",
            "DERIVED": "Publication indexed with this trial's ID"}.get(reference_type)
