"""ClinicalTrials.gov API v2: fetch one study and turn its record into trial fields."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from trialbuzz.errors import TrialNotFound, UpstreamBadResponse
from trialbuzz.nctid import normalize, require
from trialbuzz.text import clean
from trialbuzz.upstream import origin

STUDY_PAGE = "https://clinicaltrials.gov/study/{nct_id}"
STUDY_PATH = "/api/v2/studies/{nct_id}"
_REGISTRY_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
SEARCH_PATH = "/api/v2/studies"
# The parts of a record a listing asks for: what parse_study reads, and no more.
LISTED_FIELDS = ",".join((
    "protocolSection.identificationModule", "protocolSection.statusModule",
    "protocolSection.designModule", "protocolSection.sponsorCollaboratorsModule",
    "protocolSection.conditionsModule", "protocolSection.referencesModule", "hasResults"))
# Studies per listing page: the API's cap.
LISTING_PAGE = 1000
# No trial enrols more people than there are.
MAX_ENROLLMENT = 10 ** 10


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

    def updated_since(self, since=None, token=None, deadline=None):
        """One page of the studies whose last update was posted on or after `since` (a date;
        None lists the whole registry): (records, the token of the next page or None, the
        total when the registry says)."""
        params = {"fields": LISTED_FIELDS, "pageSize": LISTING_PAGE, "format": "json"}
        if since is not None:
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
        if token:
            params["pageToken"] = token
        else:
            params["countTotal"] = "true"
        body = self.upstream.json(self.upstream.get(SEARCH_PATH, params=params,
                                                    deadline=deadline))
        studies = body.get("studies") if isinstance(body, dict) else None
        if not isinstance(studies, list):
            raise UpstreamBadResponse("ClinicalTrials.gov answered a listing without studies.")
        following = body.get("nextPageToken")
        total = body.get("totalCount")
        return (studies, following if isinstance(following, str) and following else None,
                total if isinstance(total, int) and not isinstance(total, bool) else None)

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


def _section(mapping, key):
    """A part of the record that must be an object; {} when it is missing or anything else."""
    value = _get(mapping, key)
    return value if isinstance(value, dict) else {}


def _text(value):
    """A string field, cleaned; None when the record holds anything else (a number, a list)."""
    return clean(value) or None


def _date(struct):
    """The date string of a v2 `*DateStruct`, kept as given (it may be year-month only)."""
    return _text(struct.get("date")) if isinstance(struct, dict) else None


def _dated(struct):
    """A v2 `*DateStruct` as `{"date", "estimated"}`: estimated only when the registry marks it
    ESTIMATED (an anticipated date); None without a date in the registry's form (a day, a month
    or a year)."""
    date = _date(struct)
    if date is None or not _REGISTRY_DATE.fullmatch(date):
        return None
    return {"date": date, "estimated": struct.get("type") == "ESTIMATED"}


def _flag(value):
    """A yes/no answer of the record: True, False, or None when it gives none."""
    return value if isinstance(value, bool) else None


def _strings(values):
    """Only the string items of a list, cleaned (upstream lists are not to be trusted)."""
    return [text for text in map(_text, values) if text] if isinstance(values, list) else []


def _dicts(values):
    """Only the dict items of a list."""
    return [value for value in values if isinstance(value, dict)] if isinstance(values,
                                                                                list) else []


def _enrollment(value):
    """A head count: a whole number (not a float, not a boolean) of plausible size, else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_ENROLLMENT:
        return None
    return value


def parse_study(record):
    """The trial fields trialbuzz keeps from a v2 record; a field of the wrong type is left
    empty (None or []), so that the fields kept are always strings, whole numbers or lists."""
    protocol = _section(record, "protocolSection")
    ident = _section(protocol, "identificationModule")
    status = _section(protocol, "statusModule")
    design = _section(protocol, "designModule")
    nct_id = normalize(ident.get("nctId"))
    oversight = _section(protocol, "oversightModule")
    references = [{"pmid": _text(ref.get("pmid")), "type": _text(ref.get("type")),
                   "citation": _text(ref.get("citation"))}
                  for ref in _dicts(_get(protocol, "referencesModule", "references"))]
    enrollment = _section(design, "enrollmentInfo")
    countries = sorted({text for text in (_text(place.get("country")) for place in _dicts(
        _get(protocol, "contactsLocationsModule", "locations"))) if text})
    see_also = [{"label": _text(link.get("label")), "url": _text(link.get("url"))}
                for link in _dicts(_get(protocol, "referencesModule", "seeAlsoLinks"))
                if _text(link.get("url"))]
    return {
        "nct_id": nct_id,
        "aliases": [a for a in map(normalize, _strings(ident.get("nctIdAliases"))) if a],
        "title": _text(ident.get("briefTitle")),
        "official_title": _text(ident.get("officialTitle")),
        "acronym": _text(ident.get("acronym")),
        "status": _text(status.get("overallStatus")),
        "phases": _strings(design.get("phases")),
        "study_type": _text(design.get("studyType")),
        "sponsor": _text(_get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name")),
        "enrollment": _enrollment(enrollment.get("count")),
        "enrollment_estimated": enrollment.get("type") == "ESTIMATED",
        "start_date": _date(status.get("startDateStruct")),
        "completion_date": _date(status.get("completionDateStruct")),
        "dates": {"start": _dated(status.get("startDateStruct")),
                  "primary_completion": _dated(status.get("primaryCompletionDateStruct")),
                  "completion": _dated(status.get("completionDateStruct"))},
        "results_first_submitted": _text(status.get("resultsFirstSubmitDate")),
        "results_first_posted": _date(status.get("resultsFirstPostDateStruct")),
        # A certificate of delay (the "disposition" in the registry's terms) puts results off.
        "delay_first_submitted": _text(status.get("dispFirstSubmitDate")),
        "fda_regulated_drug": _flag(oversight.get("isFdaRegulatedDrug")),
        "fda_regulated_device": _flag(oversight.get("isFdaRegulatedDevice")),
        "primary_purpose": _text(_get(design, "designInfo", "primaryPurpose")),
        "countries": countries,
        "first_posted": _date(status.get("studyFirstPostDateStruct")),
        "last_updated": _date(status.get("lastUpdatePostDateStruct")),
        "has_results": _get(record, "hasResults") is True,
        "conditions": _strings(_get(protocol, "conditionsModule", "conditions")),
        "url": STUDY_PAGE.format(nct_id=nct_id),
        "references": references,
        "see_also": see_also,
    }
