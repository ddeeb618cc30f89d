"""NCT IDs from a URL, and from a page's HTML or text."""

import bisect
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, ParserRejectedMarkup
from bs4.element import NavigableString, PreformattedString, Tag

from . import nctid
from .errors import InvalidUrl

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

_HIDDEN = frozenset({"script", "style", "template", "noscript"})
_BLOCKS = frozenset(
    "address article aside blockquote br dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot "
    "th thead title tr ul".split()
)
_BLOCK_END = object()  # yielded by _walk after the content of a block element
_LABEL_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th", "label"})
_ISRCTN_LABEL = re.compile(r"\s*ClinicalTrials\.gov\s+number\s*:?\s*", re.IGNORECASE)
_EUCTR_LABEL = re.compile(
    r"\s*(?:A\.5\.2\.?\s*)?US\s+NCT\s+\(ClinicalTrials\.gov\s+registry\)\s+number\s*:?\s*",
    re.IGNORECASE,
)
_LABEL_MAX = 120


@dataclass(frozen=True)
class UrlIds:
    """The NCT IDs a URL or page names, and the study it is about (None when unclear)."""

    nct_ids: list[str]
    primary: str | None = None


def ids_from_url(url):
    """Return the NCT IDs `url` names and the study it points at; raise InvalidUrl if unusable."""
    return _from_url(url)[1]


def needs_page(url):
    """Return True when `url` names no NCT ID and its page is worth fetching to find one."""
    host, ids = _from_url(url)
    # The modern registry site is a single-page app whose HTML holds no study data, and its
    # robots.txt disallows the search pages: fetching it would be impolite and useless.
    return not ids.nct_ids and host not in REGISTRY_HOSTS


def ids_from_html(html, base_url=None):
    """Return the NCT IDs in an HTML page, in document order, and the study the page is about."""
    html = _as_text(html)
    try:
        soup = BeautifulSoup(html, "html.parser")
    except ParserRejectedMarkup:
        return ids_from_text(re.sub(r"<[^>]*>", " ", html))
    # The classic error page echoes the bad request; nothing on it identifies a study.
    if soup.find("meta", attrs={"name": "ncbi_pdid", "content": "bad_url"}):
        return UrlIds([], None)

    found, identity = [], []  # (document position, ID)
    positions, starts, pieces, offset, block = [], [], [], 0, False
    for position, node in enumerate(_walk(soup)):
        if node is _BLOCK_END:
            block = True
        elif isinstance(node, Tag):
            block = block or node.name in _BLOCKS
            for nct, is_identity in _tag_ids(node, base_url):
                found.append((position, nct))
                if is_identity:
                    identity.append((position, nct))
        elif _is_visible_string(node) and not node.isspace():
            # Never glue neighbouring strings into one token; a block boundary becomes a line
            # break and source whitespace a space, as a browser would lay the text out.
            pieces.append("\n" if block and pieces else " ")
            offset += 1
            positions.append(position)
            starts.append(offset)
            pieces.append(" ".join(node.split()))
            offset += len(pieces[-1])
            block = False
    text = "".join(pieces)

    def position_of(text_offset):
        return positions[bisect.bisect_right(starts, text_offset) - 1]

    for text_offset, nct in _registrations(text):
        identity.append((position_of(text_offset), nct))
    for text_offset, nct in _scan(text):
        found.append((position_of(text_offset), nct))

    ids = nctid.unique(nct for _, nct in sorted(found, key=lambda item: item[0]))
    if identity:
        primary = min(identity, key=lambda item: item[0])[1]
    else:
        primary = ids[0] if len(ids) == 1 else None
    return UrlIds(ids, primary)


def ids_from_text(text):
    """Return the NCT IDs in plain text and the study a registration line or a lone ID names."""
    text = _as_text(text)
    ids = nctid.unique(nct for _, nct in _scan(text))
    registered = next(_registrations(text), None)
    if registered:
        return UrlIds(ids, registered[1])
    return UrlIds(ids, ids[0] if len(ids) == 1 else None)


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
             for _, nct in _scan(part)]
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


# --- text and HTML ---------------------------------------------------------------------------


def _as_text(value):
    """Return `value` as a string cut to MAX_SCAN_CHARS; bytes are decoded, anything else is ''."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[: MAX_SCAN_CHARS * 4]).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    return value[:MAX_SCAN_CHARS]


def _scan(text):
    """Yield (offset, ID) for every well-formed NCT ID in `text`."""
    yield from nctid.scan(text)


def _registrations(text):
    """Yield (offset, ID) for every trial registration line in `text`."""
    for match in _REGISTRATION.finditer(text):
        nct = nctid.normalize(match.group("id"))
        if nct:
            yield match.start("id"), nct


def _walk(root):
    """Yield `root` and the nodes under it in document order, skipping what a reader never sees."""
    # Scripts, styles, templates and noscript are left out whole, markup included, as a browser
    # running scripts renders none of them. Iterative because hostile pages nest very deep.
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Tag) and node.name not in _HIDDEN:
            if node.name in _BLOCKS:
                stack.append(_BLOCK_END)
            stack.extend(reversed(node.contents))


def _is_visible_string(node):
    # PreformattedString covers comments, CDATA, doctypes, declarations and processing
    # instructions; none of them is text a reader sees.
    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def _visible_text(node, limit=None):
    """Return the visible text under `node`, stopping once it exceeds `limit` characters."""
    pieces, size = [], 0
    for child in _walk(node):
        if _is_visible_string(child):
            pieces.append(str(child))
            size += len(pieces[-1])
            if limit is not None and size > limit:
                break
    return " ".join(pieces)


def _is_label(tag, pattern):
    text = _visible_text(tag, limit=_LABEL_MAX)
    return len(text) <= _LABEL_MAX and pattern.fullmatch(text) is not None


def _tag_ids(tag, base_url):
    """Return [(ID, is_identity)] that the markup of `tag` itself gives."""
    name = tag.name
    if name == "link" and "canonical" in [rel.lower() for rel in tag.get_attribute_list("rel")]:
        return _page_url_ids(tag.get("href"), base_url)
    if name == "meta":
        key = (tag.get("property") or tag.get("name") or "").strip().lower()
        if key == "og:url":
            return _page_url_ids(tag.get("content"), base_url)
        if key == "ncbi_pcid":
            nct = nctid.normalize(tag.get("content"))
            return [(nct, True)] if nct else []
        return []
    if name == "a":
        ids = _link_ids(tag.get("href"), base_url)
        # A link is a pointer to another page, not a statement of what this page is about.
        return [(ids.primary, False)] if ids and ids.primary else []
    if name in _LABEL_TAGS and _is_label(tag, _ISRCTN_LABEL):
        return _value_ids(_value_after(tag))
    if name in ("td", "th") and _is_label(tag, _EUCTR_LABEL):
        cell = tag.find_next_sibling(["td", "th"])
        return _value_ids(_visible_text(cell)) if cell else []
    return []


def _page_url_ids(href, base_url):
    """IDs of the page's own URL (canonical or og:url): its primary is the page's identity."""
    ids = _link_ids(href, base_url)
    if ids is None:
        return []
    return [(nct, nct == ids.primary) for nct in ids.nct_ids]


def _link_ids(href, base_url):
    """Return UrlIds for `href` made absolute against `base_url`, or None when unusable."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base_url, href.strip()) if isinstance(base_url, str) else href.strip()
        return ids_from_url(absolute)
    except (InvalidUrl, ValueError):
        return None


def _value_after(label):
    """Return the text after a label: loose text up to the next element, then that element."""
    pieces = []
    for sibling in label.next_siblings:
        if isinstance(sibling, Tag):
            pieces.append(_visible_text(sibling))
            break
        if _is_visible_string(sibling):
            pieces.append(str(sibling))
    return " ".join(pieces)


def _value_ids(text):
    return [(nct, True) for _, nct in _scan(text)]
