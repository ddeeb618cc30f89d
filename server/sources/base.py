"""What every attention source is: an id, a name, the kinds it yields, and `find(trial)`."""

import html
import re
from urllib.parse import quote
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..upstream import RETRY_STATUSES, Upstream

from ..kinds import KINDS as _KIND_TABLE

KINDS = tuple(_KIND_TABLE)

# Every generation of study page address, without scheme: what other sites link to.
STUDY_URL_FORMS = (
    "clinicaltrials.gov/study/{id}",
    "www.clinicaltrials.gov/study/{id}",
    "clinicaltrials.gov/ct2/show/{id}",
    "www.clinicaltrials.gov/ct2/show/{id}",
    "classic.clinicaltrials.gov/ct2/show/{id}",
    "clinicaltrials.gov/show/{id}",
    "www.clinicaltrials.gov/show/{id}",
    "beta.clinicaltrials.gov/study/{id}",
)


@dataclass
class Mention:
    """One piece of attention: where it is, what it says, who wrote it and when."""

    source: str
    kind: str
    external_id: str
    url: str | None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    snippet: str | None = None
    language: str | None = None
    # Source-specific facts: pmid, pmcid, doi, "result" (a results paper), "comment" (forum).
    extra: dict = field(default_factory=dict)


class Source:
    """Base of the attention sources: subclasses set the class attributes and write `find`."""

    id = ""
    name = ""
    # One sentence for people: what the source finds.
    about = ""
    kinds = ()
    # The setting holding the base URL, and the one holding a key this source cannot work without.
    url_setting = None
    key_setting = None
    # Our own pace towards the service, shared by every thread (a `limits` rate string).
    rate = "5/second"
    # Answers retried with backoff; a source whose limit window outlasts our backoff drops 429.
    retry_statuses = RETRY_STATUSES
    # Experimental sources say so in their status and documentation.
    experimental = False

    def __init__(self, settings, storage=None):
        self.settings = settings
        base_url = settings[self.url_setting] if self.url_setting else ""
        rates = settings.get("SOURCE_RATES") or {}
        # "*" sets every source's pace at once (an empty string turns our own limits off).
        rate = rates.get(self.id, rates.get("*", self.rate))
        self.upstream = Upstream(self.name, base_url, settings, rate=rate or None,
                                 storage=storage, retry_statuses=self.retry_statuses)

    @classmethod
    def available(cls, settings):
        """Whether the source can run with these settings (its key, if it needs one, is set)."""
        return not cls.key_setting or bool(settings.get(cls.key_setting))

    def find(self, trial, deadline=None):
        """Return the mentions of `trial` (a TrialRecord); raise a TrialbuzzError on failure."""
        raise NotImplementedError


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(value, limit=500):
    """Upstream markup reduced to plain text: tags dropped, entities decoded, spaces folded."""
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", value))).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text or None


def safe_url(value):
    """`value` if it is an absolute http(s) URL, else None (javascript:, data: and the like)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE) and not re.search(r"[\s<>\"]",
                                                                               value):
        return value
    return None


def parse_datetime(value):
    """An upstream timestamp (ISO 8601, a date, year-month, year, or unix seconds) in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    text = str(value).strip()
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%d", "%Y-%m", "%Y", "%Y %b %d", "%Y %b"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalise_doi(value):
    """A DOI lower-cased and without its resolver or `doi:` prefix; None when absent."""
    if not isinstance(value, str):
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().lower()
    return doi or None


def doi_url(doi):
    """The doi.org link of a normalised DOI, or None when it cannot be a safe URL."""
    return safe_url(f"https://doi.org/{quote(doi, safe='/():;')}") if doi else None
