"""NCT IDs from a URL or from plain text; `htmlreader` reads them from HTML."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from trialbuzz import nctid
from trialbuzz.errors import InvalidUrl

MAX_URL_LENGTH = 4096
# Scanning more than this costs seconds of parsing; a page that names its trial does so early.
MAX_SCAN_CHARS = 2_000_000

REGISTRY_HOSTS = frozenset({
    "clinicaltrials.gov",
    "www.clinicaltrials.gov",
    "beta.clinicaltrials.gov",
    "classic.clinicaltrials.gov",
    "cdn.clinicaltrials.gov",
})
_IDENTIFIERS_HOSTS = frozenset({"identifiers.org", "www.identifiers.org"})

# Matched against the whole percent-decoded path, so an ID must fill its path segment exactly:
# /study/NCT044375111 and /study/NCT04437511x name no study.
_STUDY_PATH = re.compile(
    r"/(?:study|show|ct2/show(?:/(?:record|study|results))?)/(?P<page>[^/]+)/?"
    r"|/api/(?:v2|int)/studies/(?P<api>[^/]+)(?:/.*)?"
    r"|/(?:ProvidedDocs|large-docs)/[0-9]{2}/(?P<doc>[^/]+)(?:/.*)?",
    re.IGNORECASE | re.DOTALL,
)
_IDENTIFIERS_PATH = re.compile(r"/clinicaltrials[:/](?P<id>[^/]+)/?", re.IGNORECASE)
_IDENTIFIERS_QUERY = re.compile(r"clinicaltrials:(?P<id>.+)", re.IGNORECASE | re.DOTALL)

# A trial registration line names the study the article or abstract reports. The gap between the
# phrase and the ID may not cross a sentence end, a semicolon or more than one line break (HTML
# blocks count as lines), so a later unrelated ID is not taken for the registration while
# "Trial registration" as a heading over the line that names the ID still is.
_REGISTRATION = re.compile(
    r"(?:ClinicalTrials\.gov\s*(?:number|identifier|id|registration(?:\s+number)?)"
    r"|Clinical\s+trial\s+information"
    r"|Trial\s+registration"
    r"|registered\s+(?:at|with|in|on)\s+(?:https?://)?(?:www\.)?ClinicalTrials\.gov)\b"
    r"(?:[^\n.;]|\.(?!\s)){0,80}?(?:\n(?:[^\n.;]|\.(?!\s)){0,80}?)?"
    r"(?<![A-Za-z0-9])(?P<id>NCT[0-9]{8})(?![A-Za-z0-9])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class UrlIds:
    """The NCT IDs a URL or page names, and the study it is about (None when unclear)."""

    nct_ids: list[str]
    primary: str | None = None
    # False when a page was only read in part (a size or time budget stopped the reading).
    complete: bool = True


def ids_from_url(url):
    """Return the NCT IDs `url` names and the study it points at; raise InvalidUrl if unusable."""
    return _from_url(url)[1]


def needs_page(url):
    """Return True when `url` names no NCT ID and its page is worth fetching to find one."""
    host, ids = _from_url(url)
    # The modern registry site is a single-page app whose HTML holds no study data, and its
    # robots.txt disallows the search pages: fetching it would be impolite and useless.
    return not ids.nct_ids and host not in REGISTRY_HOSTS


def ids_from_text(text):
    """Return the NCT IDs in plain text and the study a registration line or a lone ID names."""
    complete = not is_cut(text)
    text = as_text(text)
    ids = nctid.unique(nct for _, nct in scan(text))
    registered = next(registrations(text), None)
    primary = registered[1] if registered else ids[0] if len(ids) == 1 else None
    return UrlIds(ids, primary, complete)


# --- URLs -----------------------------------------------------------------------------------


def _from_url(url):
    """Validate `url` and return its host and UrlIds."""
    parts, host = _split(url)
    path = unquote(parts.path)
    params = parse_qsl(parts.query, keep_blank_values=True)
    primary = None
    if host in REGISTRY_HOSTS:
        match = _STUDY_PATH.fullmatch(path)
        if match:
            primary = nctid.normalize(match.group("page") or match.group("api") or match.group("doc"))
    elif host == "trialsearch.who.int" or (
        host == "apps.who.int" and path.lower().startswith("/trialsearch/")
    ):
        trial_ids = [value for key, value in params if key.lower() == "trialid"]
        primary = nctid.normalize(trial_ids[0]) if trial_ids else None
    elif host in _IDENTIFIERS_HOSTS:
        primary = _identifiers_primary(path, params)
    # The host is left out on purpose: a subdomain such as nct04280705.example.org names no trial.
    named = [nct for part in (path, unquote(parts.query), unquote(parts.fragment))
             for _, nct in scan(part)]
    ids = nctid.unique([primary, *named] if primary else named)
    return host, UrlIds(ids, primary)


def _split(url):
    """Return (SplitResult, host without trailing dot) for an absolute http(s) URL, or raise."""
    if not isinstance(url, str):
        raise InvalidUrl("The URL must be text: give an absolute http or https URL.")
    url = url.strip()
    if not url:
        raise InvalidUrl("The URL is empty: give an absolute http or https URL.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(f"The URL is longer than {MAX_URL_LENGTH:,} characters.")
    # isprintable() is False for control, format, separator and unassigned characters.
    if " " in url or not url.isprintable():
        raise InvalidUrl("The URL contains spaces or control characters; percent-encode them.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed or out-of-range port
    except ValueError:
        raise InvalidUrl("The URL is malformed: give an absolute http or https URL.") from None
    if not parts.scheme:
        raise InvalidUrl("The URL is relative: give an absolute URL starting with https://.")
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidUrl("Only http and https URLs can be resolved.")
    host = (host or "").rstrip(".")
    # Browsers read a backslash in the authority as a path separator, urlsplit does not: such a
    # URL would mean different hosts to us and to the reader's browser.
    if not host or "\\" in parts.netloc:
        raise InvalidUrl("The URL has no valid host: give an absolute http or https URL.")
    return parts, host


def _identifiers_primary(path, params):
    """Return the NCT ID an identifiers.org URL resolves, or None."""
    match = _IDENTIFIERS_PATH.fullmatch(path)
    if match:
        return nctid.normalize(match.group("id"))
    for key, value in params:
        if key.lower() == "query":
            match = _IDENTIFIERS_QUERY.fullmatch(value.strip())
            return nctid.normalize(match.group("id")) if match else None
    return None


# --- text -----------------------------------------------------------------------------------


def as_text(value):
    """Return `value` as a string cut to MAX_SCAN_CHARS; bytes are decoded, anything else is ''."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[: MAX_SCAN_CHARS * 4]).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    return value[:MAX_SCAN_CHARS]


def is_cut(value):
    """Whether as_text(value) leaves part of `value` unread."""
    if isinstance(value, (bytes, bytearray)):
        return len(value) > MAX_SCAN_CHARS and (
            len(value) > MAX_SCAN_CHARS * 4
            or len(bytes(value).decode("utf-8", errors="replace")) > MAX_SCAN_CHARS)
    return isinstance(value, str) and len(value) > MAX_SCAN_CHARS


def scan(text):
    """Yield (offset, ID) for every well-formed NCT ID in `text`."""
    yield from nctid.scan(text)


def registrations(text):
    """Yield (offset, ID) for every trial registration line in `text`."""
    for match in _REGISTRATION.finditer(text):
        nct = nctid.normalize(match.group("id"))
        if nct:
            yield match.start("id"), nct
