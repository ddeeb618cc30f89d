"""ClinicalTrials.gov API v2: fetch one study and turn its record into trial fields."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import TrialNotFound, UpstreamBadResponse
from .nctid import normalize, require
from .upstream import origin

STUDY_PAGE = "https://clinicaltrials.gov/study/{nct_id}"
STUDY_PATH = "/api/v2/studies/{nct_id}"


@dataclass(frozen=True)
class Study:
    """A v2 record as the registry answered it, and the ID it redirected the asked one to."""

    record: dict
    redirected_to: str | None = None


class CtGovClient:
    """Reads single studies from `/api/v2/studies/{id}` under the `CTGOV_URL` setting."""

    def __init__(self, upstream):
        self.upstream = upstream

    def fetch_study(self, nct_id, deadline=None):
        """Return the Study answered for `nct_id`, following an alias's 301 to the real study;
        a record naming any other study than the one asked or redirected to is refused."""
        nct_id = require(nct_id)
        response = self.upstream.get(STUDY_PATH.format(nct_id=nct_id), deadline=deadline)
        if response.status_code == 404:
            raise TrialNotFound(f"ClinicalTrials.gov has no study {nct_id}.")
        if response.status_code == 400:
            # The grammar was checked before the call, so a 400 means upstream changed its rules.
            raise UpstreamBadResponse(f"ClinicalTrials.gov refused {nct_id} as malformed.")
        record = self.upstream.json(response)
        named = normalize(_get(record, "protocolSection", "identificationModule", "nctId"))
        if named is None:
            raise UpstreamBadResponse("ClinicalTrials.gov answered without a study record.")
        redirected_to = self._redirect_target(nct_id, response) if response.history else None
        if named != (redirected_to or nct_id):
            # Only the registry's redirect may say that one ID stands for another study.
            raise UpstreamBadResponse(f"ClinicalTrials.gov answered {redirected_to or nct_id} "
                                      f"with the record of {named}.")
        return Study(record, redirected_to if redirected_to != nct_id else None)

    def _redirect_target(self, nct_id, response):
        """The study ID a redirect for `nct_id` ended at; anything but a study path is refused."""
        prefix = urlsplit(self.upstream.base_url).path + STUDY_PATH.format(nct_id="")
        path, target = urlsplit(response.url).path, None
        if origin(response.url) == origin(self.upstream.base_url) and path.startswith(prefix):
            target = normalize(path[len(prefix):])
        if target is None:
            raise UpstreamBadResponse(f"ClinicalTrials.gov redirected {nct_id} somewhere that is "
                                      "not a study.")
        return target


def _get(mapping, *path, default=None):
    """Walk nested dicts; missing keys or non-dicts give `default`."""
    for key in path:
        if not isinstance(mapping, dict) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


def _date(struct):
    """The date string of a v2 `*DateStruct`, kept as given (it may be year-month only)."""
    return struct.get("date") if isinstance(struct, dict) else None


def _strings(values):
    """Only the string items of a list (upstream lists are not to be trusted)."""
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def parse_study(record):
    """The trial fields trialbuzz keeps from a v2 record; optional fields may be None or empty."""
    protocol = _get(record, "protocolSection", default={})
    ident = _get(protocol, "identificationModule", default={})
    status = _get(protocol, "statusModule", default={})
    design = _get(protocol, "designModule", default={})
    nct_id = normalize(ident.get("nctId"))
    enrollment = _get(design, "enrollmentInfo", "count")
    references = []
    for ref in _get(protocol, "referencesModule", "references", default=[]) or []:
        if isinstance(ref, dict):
            references.append({"pmid": ref.get("pmid") if isinstance(ref.get("pmid"), str)
                               else None,
                               "type": ref.get("type"), "citation": ref.get("citation")})
    see_also = [
        {"label": link.get("label"), "url": link.get("url")}
        for link in _get(protocol, "referencesModule", "seeAlsoLinks", default=[]) or []
        if isinstance(link, dict) and isinstance(link.get("url"), str)
    ]
    return {
        "nct_id": nct_id,
        "aliases": [a for a in map(normalize, _strings(ident.get("nctIdAliases"))) if a],
        "title": ident.get("briefTitle"),
        "official_title": ident.get("officialTitle"),
        "acronym": ident.get("acronym"),
        "status": status.get("overallStatus"),
        "phases": _strings(design.get("phases")),
        "study_type": design.get("studyType"),
        "sponsor": _get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name"),
        "enrollment": enrollment if isinstance(enrollment, int) else None,
        "start_date": _date(status.get("startDateStruct")),
        "completion_date": _date(status.get("completionDateStruct")),
        "first_posted": _date(status.get("studyFirstPostDateStruct")),
        "last_updated": _date(status.get("lastUpdatePostDateStruct")),
        "has_results": bool(record.get("hasResults")),
        "conditions": _strings(_get(protocol, "conditionsModule", "conditions")),
        "url": STUDY_PAGE.format(nct_id=nct_id),
        "references": references,
        "see_also": see_also,
    }
