"""Badges where readers are: SVG, embed.js and its batch API, shields, Altmetric-compatible API."""

import re
import textwrap
import time
from functools import lru_cache
from importlib import resources

import rjsmin
from flask import Blueprint, Response, jsonify, redirect, request, url_for

from trialbuzz import nctid, strictjson
from trialbuzz.attention.document import UNSETTLED
from trialbuzz.attention.service import Page
from trialbuzz.errors import BadRequest, Pending, TrialbuzzError, TrialNotFound
from trialbuzz.state import base_url, state
from trialbuzz.web import assets, badge_data, badges, ratelimits
from trialbuzz.web.handlers import error_response

bp = Blueprint("badges", __name__)

MAX_EMBED_IDS = 50
# Every listed mention, so that the compatible endpoint can count accounts and dates.
COMPAT_MENTIONS = 10_000
FRESH_IMAGE = "public, max-age=3600"
STALE_IMAGE = "public, max-age=300"
# A trial whose first harvest is still running: look again soon.
PENDING_IMAGE = "public, max-age=60"
FRESH_DATA = "public, max-age=60"
STALE_DATA = "public, max-age=5"
# How long browsers and caches keep the fixed /embed.js pointing at one hashed script.
EMBED_REDIRECT_CACHE = "public, max-age=300"
CONFIG_PLACEHOLDER = "/*TRIALBUZZ_CONFIG*/null"
CONFIG_TOKEN = "__TRIALBUZZ_CONFIG__"
EMBED_BANNER = "/* trialbuzz embed.js, minified from bookmarklet/embed.js and embed_badge.js */\n"
BADGE_PLACEHOLDER = "  /*TRIALBUZZ_BADGE*/\n"
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,4}")
# What an image badge says instead of a JSON error, by error code.
BADGE_ERRORS = {"invalid_nct_id": "invalid ID", "invalid_parameter": "invalid option",
                "trial_not_found": "no such trial"}


@bp.after_request
def allow_compatible_clients(response):
    """Altmetric's API is read from browsers too, so /v1/ answers any origin, like /api/."""
    if request.path.startswith("/v1/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _cold():
    """Upstream work answering this request does: the first harvest of a trial, if it is new."""
    return int(state().attention.is_cold(request.view_args["nct_id"]))


def _svg_work():
    """As `_cold`, but a malformed ID or option costs nothing: the view answers it with an
    error image, before any work."""
    try:
        badges.options_from(request.args)
        return _cold()
    except TrialbuzzError:
        return 0


def _batch_ids():
    """The trials of an embed batch request, checked, without repeats, in the order asked."""
    raw = request.args.get("ids", "")
    if len(raw) > 16 * MAX_EMBED_IDS:
        raise BadRequest(f"At most {MAX_EMBED_IDS} ids at a time.", code="invalid_parameter")
    ids = nctid.unique(nctid.require(part) for part in raw.split(",") if part.strip())
    if not ids:
        raise BadRequest("Give the trials as ?ids=NCT…,NCT…", code="no_nct_id")
    if len(ids) > MAX_EMBED_IDS:
        raise BadRequest(f"At most {MAX_EMBED_IDS} ids at a time.", code="invalid_parameter")
    return ids


def _batch_work():
    """Upstream work of an embed batch: one unit per trial never harvested."""
    return sum(state().attention.is_cold(nct_id) for nct_id in _batch_ids())


@bp.errorhandler(429)
def rate_limited(error):
    """Over the per-client upstream budget: an image for image tags, the error shape elsewhere."""
    wait_seconds = ratelimits.retry_after()
    if request.path.startswith("/badge/"):
        response = _svg(badges.error_badge("rate limited", request.args.get("style", "flat")),
                        429, "no-store")
        response.headers["Retry-After"] = str(wait_seconds)
        return response
    return error_response(429, "rate_limited", error.description, wait_seconds)


def _compact(nct_id):
    """The compact document, awaiting a new trial's first harvest for up to COLD_WAIT seconds;
    and whether that harvest has finished (else the document shows what came in so far)."""
    try:
        compact = state().attention.compact(nct_id, base_url(), wait=True)
    except Pending:
        return None, False  # the registry record is still on its way: a pending badge
    return compact, not state().attention.is_cold(nct_id)


def _conditional(response, cache_control):
    """Cache-Control and an ETag on `response`, answering 304 when the client's copy matches."""
    response.headers["Cache-Control"] = cache_control
    response.add_etag()
    return response.make_conditional(request)


def _svg(body, status, cache_control):
    """An SVG response."""
    response = Response(body, status=status, mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if status != 200:
        response.headers["Cache-Control"] = cache_control
        return response
    return _conditional(response, cache_control)


@bp.get("/badge/<nct_id>.svg")
@ratelimits.reaching_upstream(_svg_work)
def badge_svg(nct_id):
    """The SVG badge; a new trial's first harvest is awaited for up to COLD_WAIT seconds."""
    try:
        options = badges.options_from(request.args)
        compact, finished = _compact(nct_id)
    except TrialbuzzError as exc:
        message = BADGE_ERRORS.get(exc.code, "unavailable" if exc.status >= 500 else "error")
        return _svg(badges.error_badge(message, request.args.get("style", "flat")),
                    exc.status, "no-store")
    figures = badge_data.figures(compact, nct_id, finished=finished)
    if not finished:
        cache = PENDING_IMAGE
    else:
        cache = STALE_IMAGE if compact.get("stale") or compact.get("state") == "partial" \
            else FRESH_IMAGE
    return _svg(badges.render(figures, options), 200, cache)


@bp.get("/api/v1/shields/<nct_id>.json")
@ratelimits.reaching_upstream(_cold)
def shields(nct_id):
    """shields.io endpoint JSON; a new trial's first harvest is awaited like the SVG badge's."""
    compact, finished = _compact(nct_id)
    payload = badge_data.shields(compact, finished=finished)
    cache = f"public, max-age={payload['cacheSeconds']}"
    return _conditional(jsonify(payload), cache)


@bp.get("/api/v1/badges")
@ratelimits.reaching_upstream(_batch_work)
def embed_batch():
    """Every badge of a page in one answer: a short document per ID, in the order asked."""
    ids = _batch_ids()
    trials = [badge_data.embed_entry(entry) for entry in awaited_compacts(ids)]
    waiting = any(t.get("pending") or t.get("stale") or t.get("state") in UNSETTLED
                  for t in trials)
    return _conditional(jsonify({"trials": trials}), STALE_DATA if waiting else FRESH_DATA)


def awaited_compacts(ids):
    """Compact documents of `ids`, in order: cold ones are harvested together, waiting a bounded
    time (then `{"nct_id", "pending": True}`); one that failed is `{"nct_id", "error"}`."""
    attention = state().attention

    def compact(nct_id):
        """The compact document, None while cold, or the error it came to."""
        try:
            return attention.compact(nct_id, base_url(), wait=False)
        except TrialbuzzError as exc:
            return {"nct_id": nct_id, "error": {"code": exc.code, "message": exc.message}}

    known = {nct_id: compact(nct_id) for nct_id in ids}
    cold = [nct_id for nct_id in ids if known[nct_id] is None]
    if cold:
        # compact() started each refresh and they run side by side; watch them finish.
        settings = state().settings
        deadline = time.monotonic() + settings["COLD_WAIT"]
        for nct_id in cold:
            # The refreshes run side by side in the workers: the waits overlap. A refresh is
            # keyed by the ID it was asked under (an alias the store did not know yet), which
            # may map to its study by now: both are waited for.
            for key in dict.fromkeys((nct_id, state().trials.canonical_id(nct_id))):
                state().jobs.wait(key, max(0.0, deadline - time.monotonic()))
        for nct_id in cold:
            known[nct_id] = compact(nct_id) or {"nct_id": nct_id, "pending": True,
                                                "state": "pending"}
    return [known[nct_id] for nct_id in ids]


@lru_cache(maxsize=1)
def _embed_template():
    """The embed script as shipped in the package, with the badge drawing put in its place,
    minified once per process; its configuration is left as a token to fill in."""
    package = resources.files("trialbuzz.bookmarklet")
    source = package.joinpath("embed.js").read_text("utf-8")
    drawing = package.joinpath("embed_badge.js").read_text("utf-8")
    if CONFIG_PLACEHOLDER not in source or BADGE_PLACEHOLDER not in source:
        raise RuntimeError("embed.js has lost a placeholder")
    source = source.replace(BADGE_PLACEHOLDER, textwrap.indent(drawing, "  "), 1)
    # A name, unlike the placeholder comment, survives minifying.
    minified = rjsmin.jsmin(source.replace(CONFIG_PLACEHOLDER, CONFIG_TOKEN, 1)).strip()
    if minified.count(CONFIG_TOKEN) != 1:
        raise RuntimeError("the minified embed.js lost its configuration token")
    return EMBED_BANNER + minified + "\n"


def _script_json(value):
    """JSON that stays inert inside a script, whatever the strings in it."""
    text = strictjson.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Keyed on the base URL the script points at: one per host name the server answers to.
@lru_cache(maxsize=16)
def embed_script(base):
    """The embed script for a server at `base`, and its content hash."""
    body = _embed_template().replace(CONFIG_TOKEN, _script_json(badge_data.embed_config(base)), 1)
    return body, assets.digest(body)


@bp.app_template_global("embed_url")
def embed_url():
    """The embed script's URL under its content hash, for this server's own pages."""
    return url_for("badges.embed_js", v=embed_script(base_url())[1])


@bp.get("/embed.js")
def embed_js():
    """The badge embed script, given this server's address and the words and colours of the
    kinds. Pages elsewhere name it by this fixed URL, which redirects (cached briefly) to the
    script under its content hash (cached for a year)."""
    body, version = embed_script(base_url())
    asked = request.args.get("v")
    if asked is None:
        response = redirect(url_for(".embed_js", v=version), code=302)
        response.headers["Cache-Control"] = EMBED_REDIRECT_CACHE
        return response
    response = Response(body, mimetype="text/javascript")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Pages that require CORP of what they embed (COEP) may still load it.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.set_etag(version)
    # A hash from before an upgrade gets today's script, revalidated.
    response.headers["Cache-Control"] = assets.cache_control(asked, version)
    return response.make_conditional(request)


def _not_found(cache_control=FRESH_DATA):
    """Altmetric's answer for an output it has no attention for: 404, plain text."""
    response = Response("Not Found", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = cache_control
    return response


def _callback():
    """The JSONP callback name, when one is asked for; only dotted identifiers are accepted."""
    name = request.args.get("callback")
    if name is None:
        return None
    if not _CALLBACK.fullmatch(name):
        raise BadRequest("callback must be a JavaScript name such as handle or app.handle.",
                         code="invalid_parameter")
    return name


@bp.get("/v1/nct_id/<nct_id>")
@ratelimits.reaching_upstream(_cold)
def altmetric_compatible(nct_id):
    """Altmetric Details Page API v1 counts of a trial; 404 `Not Found` without attention."""
    callback = _callback()
    try:
        document = state().attention.document(nct_id, base_url(),
                                              page=Page(limit=COMPAT_MENTIONS))
    except TrialNotFound:
        return _not_found()
    counts = badge_data.altmetric_counts(document, base_url())
    if counts is None:
        # Nothing yet while the first harvest runs is only briefly true.
        return _not_found(STALE_DATA if document.get("stale") else FRESH_DATA)
    cache = STALE_DATA if document.get("stale") else FRESH_DATA
    if callback:
        body = f"/**/{callback}({_script_json(counts)});"
        response = Response(body, mimetype="text/javascript")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return _conditional(response, cache)
    return _conditional(jsonify(counts), cache)
