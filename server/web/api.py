"""The JSON API under /api/v1: resolve a page to trials, trial documents, the bookmarklet payload."""

from flask import Blueprint, jsonify, request

from trialbuzz import nctid
from trialbuzz.attention.document import UNSETTLED
from trialbuzz.attention.service import MAX_TRIALS_PER_BADGE, Page
from trialbuzz.attention.sources.base import KINDS
from trialbuzz.errors import BadRequest
from trialbuzz.params import whole_number
from trialbuzz.resolution import lookup, resolve
from trialbuzz.state import base_url, state
from trialbuzz.web.ratelimits import reaching_upstream

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_URL_LENGTH = 4096
MAX_PAGE = 100
# Fresh documents may be cached a minute; stale ones only briefly, since a refresh is running.
FRESH_CACHE = "public, max-age=60"
STALE_CACHE = "public, max-age=5"


def _flag(name):
    """A boolean query parameter: 1, true, yes or on."""
    return request.args.get(name, "").lower() in {"1", "true", "yes", "on"}


def _url_param(required=True):
    """The `url` query parameter, of a sane length."""
    url = request.args.get("url", "").strip()
    if not url and required:
        raise BadRequest("Give the page address as ?url=…", code="missing_url")
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"The URL is longer than {MAX_URL_LENGTH} characters.",
                         code="invalid_url")
    return url


def _cached(payload, stale):
    """A JSON response with Cache-Control and an ETag, answering 304 when it still matches."""
    response = jsonify(payload)
    response.headers["Cache-Control"] = STALE_CACHE if stale else FRESH_CACHE
    response.add_etag()
    return response.make_conditional(request)


def _resolve_work():
    """Upstream work this resolve request will do: the page to fetch, if any."""
    asked = lookup.read(_url_param())
    if asked.nct_id:
        return 0
    return int(not resolve.ids_from_url(asked.url).nct_ids and resolve.needs_page(asked.url))


def _page():
    """Which mentions a trial request lists: limit, offset and kind, checked."""
    kind = request.args.get("kind") or None
    if kind is not None and kind not in (*KINDS, "link"):
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}, link.",
                         code="invalid_parameter")
    return Page(limit=whole_number(request.args, "limit", 20, 0, MAX_PAGE),
                offset=whole_number(request.args, "offset", 0, 0, 10_000_000), kind=kind)


def _trial_work():
    """Upstream work this trial request will do: a forced refresh or a trial not yet harvested."""
    _page()
    return int(_flag("refresh") or state().attention.is_cold(request.view_args["nct_id"]))


def _badge_request():
    """The page URL, what it names, and the trials a badge request will show, in order."""
    url = _url_param(required=False)
    raw_ids = request.args.get("ids", "")
    if len(raw_ids) > 20 * MAX_TRIALS_PER_BADGE:
        raise BadRequest("Too many ids.", code="invalid_parameter")
    given = [nctid.require(part) for part in raw_ids.split(",") if part.strip()]
    from_url = resolve.ids_from_url(url) if url else resolve.UrlIds([], None)
    ids = nctid.unique([*from_url.nct_ids, *given])[:MAX_TRIALS_PER_BADGE]
    return url, from_url, ids


def _badge_work():
    """Upstream work this badge request will do: one unit per trial not yet harvested."""
    _, _, ids = _badge_request()
    return sum(state().attention.is_cold(nct_id) for nct_id in ids)


@bp.get("/resolve")
@reaching_upstream(_resolve_work)
def resolve_url():
    """The NCT IDs of a page, and the study it is about; a bare NCT ID is read as itself."""
    raw = _url_param()
    found = lookup.find(lookup.read(raw), state().fetcher, state().page_work)
    return jsonify({**found, "url": found["url"] or raw})


@bp.get("/trials/<nct_id>")
@reaching_upstream(_trial_work)
def trial(nct_id):
    """The trial document, mentions newest first, paged with limit and offset."""
    document = state().attention.document(nct_id, base_url(), refresh=_flag("refresh"),
                                          page=_page())
    return _cached(document, document["stale"] or document["state"] in UNSETTLED)


@bp.get("/badge")
@reaching_upstream(_badge_work)
def badge():
    """The bookmarklet payload: the page's primary trial and a compact document per trial."""
    url, from_url, ids = _badge_request()
    if not ids:
        raise BadRequest("No NCT ID in the url or ids parameters.", code="no_nct_id")
    primary = from_url.primary or (ids[0] if len(ids) == 1 else None)
    payload = state().attention.badge_payload(primary, ids, base_url())
    payload["url"] = url or None
    stale = any(t.get("stale") or t.get("pending") or t.get("state") in UNSETTLED
                for t in payload["trials"])
    return _cached(payload, stale)
