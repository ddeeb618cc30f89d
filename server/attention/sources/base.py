"""What every attention source is: an id, a name, the kinds it yields, and `find(trial)`."""

import dataclasses
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from trialbuzz import strictjson
from trialbuzz.attention.kinds import KINDS as _KIND_TABLE
from trialbuzz.errors import UpstreamBadResponse
from trialbuzz.text import clean, plain_text  # noqa: F401 - the adapters' text helpers live here
from trialbuzz.upstream import RETRY_STATUSES, Upstream

KINDS = tuple(_KIND_TABLE)
log = logging.getLogger(__name__)
# Upstream dates outside this span are errors (year 0, year 9999), and near the ends of
# Python's calendar, moving them between time zones overflows.
EARLIEST = datetime(1800, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
MAX_URL_LENGTH = 8192
EXTERNAL_ID_LENGTH = 512
# What a malformed item raises while it is read: a data error, never a bug in our code.
ITEM_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError)

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


class Found(list):
    """The mentions a source found, and how many items of the answers it had to skip."""

    def __init__(self, mentions=(), skipped=0):
        super().__init__(mentions)
        self.skipped = skipped
        self._identities = set()

    def read(self, read, *item):
        """Append `read(*item)`; an item it cannot read (None, or a data error) is skipped."""
        try:
            mention = read(*item)
        except ITEM_ERRORS as exc:
            log.info("skipped an unreadable item (%s)", exc.__class__.__name__)
            mention = None
        if mention is None:
            self.skipped += 1
        else:
            self.append(mention)
        return mention

    def read_once(self, read, *item):
        """`read`, but a mention found already (by its external id: the same item on two
        pages or in two searches) is not added again, nor counted as skipped."""
        mention = self.read(read, *item)
        if mention is None:
            return None
        if mention.external_id in self._identities:
            self.pop()
            return None
        self._identities.add(mention.external_id)
        return mention


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
    # Other settings the operator must give before the source can run (an instance's address).
    config_settings = ()
    # The setting that turns an opt-in source on (a stream is a standing connection).
    switch_setting = None
    # A stream files its mentions as they arrive; a trial's refresh does not ask it.
    stream = False
    # Our own pace towards the service, shared by every thread (a `limits` rate string).
    rate = "5/second"
    # Answers retried with backoff; a source whose limit window outlasts our backoff drops 429.
    retry_statuses = RETRY_STATUSES
    # Experimental sources say so in their status and documentation.
    experimental = False
    # A source that cannot be searched per trial (news feeds): its sweeps file everything it
    # finds, a refresh never asks it, and it is off while sweeps are.
    sweep_only = False

    def __init__(self, settings, storage=None):
        self.settings = settings
        base_url = settings[self.url_setting] if self.url_setting else ""
        rates = settings.get("SOURCE_RATES") or {}
        # "*" sets every source's pace at once (an empty string turns our own limits off).
        rate = rates.get(self.id, rates.get("*", self.rate))
        # The pace this source keeps (None: our own limits are off), for any other upstream it has.
        self.pace = rate or None
        self.upstream = Upstream(self.name, base_url, settings, rate=self.pace,
                                 storage=storage, retry_statuses=self.retry_statuses,
                                 key=self.id)

    @classmethod
    def unconfigured(cls, settings):
        """The settings this source needs that are not given (its key, an instance's address)."""
        needed = (*cls.config_settings, *((cls.key_setting,) if cls.key_setting else ()))
        return [name for name in needed if not str(settings.get(name) or "").strip()]

    @classmethod
    def available(cls, settings):
        """Whether the source can run with these settings: what it needs is given, its switch,
        if it has one, is on, and the sweeps, if it is read only by them, are on."""
        return not cls.unconfigured(settings) and \
            (not cls.switch_setting or bool(settings.get(cls.switch_setting))) and \
            (not cls.sweep_only or bool(settings.get("SWEEP_EVERY")))

    @classmethod
    def unusable(cls, settings):
        """Why the source cannot run with these settings though it is configured (an
        operator's file that cannot be read, say), or None."""
        return None

    @classmethod
    def searches(cls, settings):
        """Whether a trial's refresh accounts for this source with these settings: asks it, or
        (a source read only by sweeps) reads what its sweeps filed."""
        return cls.available(settings) and not cls.stream

    @classmethod
    def streams(cls, settings):
        """Whether this source reads a stream with these settings."""
        return cls.available(settings) and cls.stream

    @classmethod
    def mode(cls, settings):
        """How the source runs with these settings, when the operator should know (keyless at
        a low pace, say); None when there is nothing to tell."""
        return None

    def listed(self, data, *keys, what, missing_ok=False):
        """The list an answer holds under `keys` (objects within objects); a bad response
        naming `what` when it holds something else. With `missing_ok`, an absent key is an
        empty list (services that leave out what they did not find)."""
        value = data
        for depth, key in enumerate(keys):
            absent = ([] if depth == len(keys) - 1 else {}) if missing_ok else None
            value = value.get(key, absent) if isinstance(value, dict) else None
        if not isinstance(value, list):
            raise UpstreamBadResponse(f"{self.name} answered without {what}")
        return value

    def find(self, trial, deadline=None):
        """Return the mentions of `trial` (a TrialRecord); raise a TrialbuzzError on failure."""
        raise NotImplementedError


def safe_url(value):
    """`value` if it is an absolute http(s) URL with a host, else None (javascript:, data:,
    an unparseable host such as `http://[x/`, characters no link may hold)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if (len(value) > MAX_URL_LENGTH or clean(value) != value
            or not re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE)
            or re.search(r"[\s<>\"]", value)):
        return None
    try:
        parts = urlsplit(value)
        # Reading the port validates it ("host:99999" and "host:x" raise ValueError).
        if not parts.hostname or parts.port == 0:
            return None
    except ValueError:
        return None
    return value


def bounded(moment):
    """A datetime in UTC when it lies within the span of plausible upstream dates, else None."""
    if not isinstance(moment, datetime):
        return None
    try:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(
            timezone.utc)
    except (ValueError, OverflowError):
        return None
    return moment if EARLIEST <= moment < LATEST else None


def parse_datetime(value):
    """An upstream timestamp (ISO 8601, a date, year-month, year, or unix seconds) in UTC;
    None when it is unreadable or outside the plausible span."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        return None
    if isinstance(value, (int, float)):
        try:
            return bounded(datetime.fromtimestamp(value, timezone.utc))
        except (ValueError, OverflowError, OSError):
            return None
    text = value.strip()
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%d", "%Y-%m", "%Y", "%Y %b %d", "%Y %b"):
        try:
            return bounded(datetime.strptime(text, fmt))
        except ValueError:
            pass
    try:
        return bounded(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def count(value):
    """A non-negative whole number from an answer (ints, or digits sent as a string), or None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10 ** 15:
        return None
    return value


def finite(value):
    """A finite number as a float, or None (NaN, infinities, strings, booleans)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def storable(mention):
    """The mention with every field in a shape the store and every view take: strings clean,
    URL safe, date plausible, extra strict JSON; None when it has no usable identity."""
    external_id = clean(mention.external_id if isinstance(mention.external_id, str)
                        else str(mention.external_id)
                        if isinstance(mention.external_id, int) else None)
    if not external_id or not isinstance(mention.kind, str) or not isinstance(mention.source,
                                                                              str):
        return None
    try:
        extra = strictjson.loads(strictjson.dumps(mention.extra))
    except (TypeError, ValueError, RecursionError):
        extra = {}
    language = clean(mention.language)
    return dataclasses.replace(
        mention, external_id=external_id[:EXTERNAL_ID_LENGTH], url=safe_url(mention.url),
        title=clean(mention.title), author=clean(mention.author), snippet=clean(mention.snippet),
        language=language if language and len(language) <= 16 else None,
        published_at=bounded(mention.published_at),
        extra=extra if isinstance(extra, dict) else {})


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalise_doi(value):
    """A DOI lower-cased and without its resolver or `doi:` prefix; None when absent."""
    value = clean(value)
    if value is None:
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().lower()
    return doi or None


def doi_url(doi):
    """The doi.org link of a normalised DOI, or None when it cannot be a safe URL."""
    return safe_url(f"https://doi.org/{quote(doi, safe='/():;')}") if doi else None
