"""Collections on the web: the JSON API (create, read, change, delete), the upload form, the
collection page with its table, totals, timeline and embed, and its exports."""

import logging

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup

from trialbuzz import collections, strictjson
from trialbuzz.attention import bulk
from trialbuzz.attention.kinds import KINDS
from trialbuzz.clock import utcnow
from trialbuzz.errors import BadRequest
from trialbuzz.params import whole_number
from trialbuzz.state import base_url, state
from trialbuzz.web import badge_data, badges, exports, timeline
from trialbuzz.web.ratelimits import limiter

log = logging.getLogger(__name__)
bp = Blueprint("collections", __name__)

# The largest body a create or change request may send (an upload of IDs is small).
MAX_BODY = 1024 * 1024
# The trials a page lists are sorted by one of these: (label, key, descending by default).
SORTS = {"score": ("Score", True), "title": ("Title", False), "nct_id": ("NCT ID", False),
         "recent": ("Latest mention", True)}
# A collection's page shows as many trials as a read of the API lists by default.
PAGE_SIZE = collections.PAGE_SIZE
CSV_COLUMNS = ("nct_id", "title", "status", "phases", "score", *KINDS, "mentions_total",
               "state", "latest_mention_at", "details_url")


def _create_limit():
    """COLLECTION_CREATE_LIMIT, per client; only collections made count (a 201)."""
    return limiter.shared_limit(
        lambda: current_app.config["COLLECTION_CREATE_LIMIT"] or "1/second",
        scope="collections-create",
        exempt_when=lambda: not current_app.config["COLLECTION_CREATE_LIMIT"],
        deduct_when=lambda response: response.status_code == 201,
        error_message="Too many new collections from your address; try again later.")


def _max_trials():
    """COLLECTION_MAX_TRIALS."""
    return state().settings["COLLECTION_MAX_TRIALS"]


def _max_offset():
    """The largest offset a read takes."""
    return max(_max_trials(), collections.MAX_OFFSET)


def _body_size():
    """Refuse a body over MAX_BODY before reading it."""
    request.max_content_length = MAX_BODY


def _json_body():
    """The request's JSON object, or a 400."""
    _body_size()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('Send a JSON object such as {"name": "My trials", "nct_ids": '
                         '["NCT04280705"]}.', code="invalid_json")
    return body


def _queue(nct_ids):
    """Queue the first harvest of those of `nct_ids` never harvested; the workers run them.
    A queue that cannot be reached leaves them to the schedule."""
    try:
        state().jobs.request_many(state().collections.cold(nct_ids))
    except Exception as exc:  # noqa: BLE001 - the collection is made; the schedule queues them
        log.warning("could not queue the trials of a collection: %s", exc)


def _collection(collection_id):
    """A collection and its trials' IDs in its order; counted as a view."""
    collection, ids = state().collections.get(collection_id)
    state().collections.viewed(collection.id)
    return collection, ids


def _payload(collection, ids, shown, offset=0, limit=None, tallied=None, mentions=True):
    """The collection as the API gives it, with the compact documents of the trials `shown`
    (all of `ids`, or `limit` of them from `offset`), read in bulk (without their newest
    mentions unless `mentions`); the totals are always those of all its trials, added up
    from their tallies (`tallied`, or read now) when only some are shown."""
    attention = state().attention
    entries = attention.compacts(shown, base_url(), mentions=mentions)
    if len(shown) < len(ids):
        tallied = tallied or attention.tallies(ids, orders=False)
    return collections.payload(
        collection, ids, entries, base_url(), offset=offset, limit=limit or len(ids),
        totals=collections.totals(entries if len(shown) == len(ids) else tallied))


def _whole(collection_id):
    """The collection as the API gives it with every trial listed (`limit` is how many):
    exports."""
    collection, ids = _collection(collection_id)
    return collection, _payload(collection, ids, ids, limit=max(1, len(ids)))


def _window():
    """The `limit` (PAGE_SIZE unless asked, MAX_LIMIT at most) and `offset` of an API read,
    checked before anything is read or changed. An offset may run past a collection's end
    (an empty page)."""
    return (whole_number(request.args, "limit", PAGE_SIZE, 1, collections.MAX_LIMIT),
            whole_number(request.args, "offset", 0, 0, _max_offset()))


def _api_payload(collection_id, window):
    """The collection as GET answers it: `limit` trials from `offset` (`window`), in its
    order."""
    limit, offset = window
    collection, ids = _collection(collection_id)
    return _payload(collection, ids, ids[offset:offset + limit], offset, limit)


def _created(collection, token, ids):
    """What creating a collection answers: its ID, addresses and the edit token, once."""
    _queue(ids)
    base = base_url()
    return {"id": collection.id, "name": collection.name,
            "url": f"{base}/collections/{collection.id}",
            "api_url": f"{base}/api/v1/collections/{collection.id}",
            "feed_url": f"{base}/collections/{collection.id}/feed.atom",
            "edit_token": token, "nct_ids": ids}


def _no_store(response):
    """`response`, never kept by a cache (it may carry an edit token, or reflect an edit)."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/v1/collections")
@_create_limit()
def create():
    """Create a collection from `{"name", "nct_ids"}`: 201 with its ID, URL and edit token."""
    body = _json_body()
    name = collections.clean_name(body.get("name"))
    ids = collections.ids_from_list(body.get("nct_ids", []), _max_trials())
    collection, token = state().collections.create(name, ids)
    response = jsonify(_created(collection, token, ids))
    response.status_code = 201
    response.headers["Location"] = f"{base_url()}/api/v1/collections/{collection.id}"
    return _no_store(response)


@bp.get("/api/v1/collections/<collection_id>")
def read(collection_id):
    """A collection: the compact documents of its trials in its order, PAGE_SIZE of them
    from `offset` unless `limit` says otherwise, and the totals of them all."""
    response = jsonify(_api_payload(collection_id, _window()))
    # Edits show at once: clients always ask again, and get 304 while nothing changed.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.put("/api/v1/collections/<collection_id>")
def change(collection_id):
    """Rename a collection and/or replace its trials; needs its edit token."""
    book = state().collections
    book.authorize(collection_id, request.headers.get("Authorization"))
    window = _window()      # a bad limit or offset refuses the change, not only the answer
    body = _json_body()
    if "name" not in body and "nct_ids" not in body:
        raise BadRequest("Give a new name, new nct_ids, or both.", code="invalid_json")
    name = collections.clean_name(body["name"]) if "name" in body else None
    ids = collections.ids_from_list(body["nct_ids"], _max_trials()) \
        if "nct_ids" in body else None
    _queue(book.update(collection_id, name=name, nct_ids=ids))
    return _no_store(jsonify(_api_payload(collection_id, window)))


@bp.delete("/api/v1/collections/<collection_id>")
def remove(collection_id):
    """Delete a collection; needs its edit token."""
    state().collections.authorize(collection_id, request.headers.get("Authorization"))
    state().collections.delete(collection_id)
    return _no_store(Response(status=204))


@bp.get("/collections/new")
def new():
    """The form that makes a collection from a name and a list or file of NCT IDs."""
    return render_template("collection_new.html", max_trials=_max_trials(), error=None,
                           name="", ids="")


@bp.post("/collections/new")
@_create_limit()
def new_submitted():
    """Make a collection from the form: the IDs typed or pasted and those in an uploaded file."""
    _body_size()
    name_given = request.form.get("name", "")
    typed = request.form.get("nct_ids", "")
    try:
        name = collections.clean_name(name_given)
        upload = request.files.get("file")
        text = typed
        if upload is not None and upload.filename:
            text += "\n" + upload.read(MAX_BODY).decode("utf-8", "replace")
        ids = collections.ids_from_text(text, _max_trials())
        if not ids:
            raise BadRequest("No NCT ID found in the list or the file.", code="no_nct_id")
    except BadRequest as exc:
        return render_template("collection_new.html", max_trials=_max_trials(),
                               error=exc.message, name=name_given[:collections.MAX_NAME],
                               ids=typed[:20_000]), exc.status
    collection, token = state().collections.create(name, ids)
    created = _created(collection, token, ids)
    response = Response(render_template("collection_created.html", created=created),
                        status=201)
    return _no_store(response)


def _latest(entry):
    """The day the newest dated mention of a trial was published, or "": a tally says it, a
    compact document's newest mentions show it."""
    if "latest" in entry:
        return entry["latest"]
    dates = [m.get("published_at") or "" for m in entry.get("mentions") or []]
    return max(dates, default="")[:10]


def _sorted(entries, key, descending):
    """The rows in the order asked; pending and failed trials last, whatever the order."""
    values = {"score": lambda e: e.get("score") or 0,
              "title": lambda e: (e.get("title") or "").casefold(),
              "nct_id": lambda e: e["nct_id"], "recent": _latest}[key]
    known = [e for e in entries if not e.get("pending") and not e.get("error")]
    others = [e for e in entries if e.get("pending") or e.get("error")]
    return sorted(known, key=values, reverse=descending) + others


def _pages(collection_id, count, offset, key, descending):
    """The links to the previous and next pages of a long collection's table, in its order."""
    def link(start):
        return url_for("collections.page", collection_id=collection_id, sort=key,
                       order="desc" if descending else "asc", offset=start or None)
    pages = {}
    if offset > 0:
        pages["previous"] = link(max(0, offset - PAGE_SIZE))
    if offset + PAGE_SIZE < count:
        pages["next"] = link(offset + PAGE_SIZE)
    return pages


def _row(entry):
    """What the table shows of one trial: its figures, an inline badge, its state in words."""
    finished = not entry.get("pending") and entry.get("state") != "collecting"
    compact = None if entry.get("pending") or entry.get("error") else entry
    figures = badge_data.figures(compact, entry["nct_id"], finished=finished)
    if entry.get("error"):
        note = entry["error"]["message"]
    elif entry.get("pending"):
        note = "Looking it up on ClinicalTrials.gov…"
    elif entry.get("state") == "collecting":
        note = "Collecting…"
    elif entry.get("state") == "partial":
        note = "Partial: " + ((entry.get("coverage") or {}).get("message") or "")
    else:
        note = ""
    return {"entry": entry, "latest": _latest(entry), "note": note,
            "badge": Markup(badges.render(figures)) if not entry.get("error") else ""}


def _embed_snippet(ids):
    """The snippet that shows the badges of the collection's trials (those the registry knows,
    or may yet) on another site: embed.js draws them all, 50 a request."""
    base = base_url()
    lines = [f'<script async src="{base}/embed.js"></script>']
    lines += [f'<div class="trialbuzz-embed" data-nct-id="{nct_id}" data-badge-type="1" '
              'data-badge-popover="right"></div>' for nct_id in ids]
    return "\n".join(lines)


@bp.get("/collections/<collection_id>")
def page(collection_id):
    """The collection page: totals, a timeline of all its mentions, a sortable table of its
    trials with badges, exports, its feed and an embed snippet."""
    key = request.args.get("sort", "score")
    key = key if key in SORTS else "score"
    order = request.args.get("order")
    descending = SORTS[key][1] if order not in ("asc", "desc") else order == "desc"
    collection, ids = _collection(collection_id)
    # Past the end (a bookmark of a list since made shorter): its last page.
    offset = min(whole_number(request.args, "offset", 0, 0, _max_offset()),
                 (len(ids) - 1) // PAGE_SIZE * PAGE_SIZE if ids else 0)
    if len(ids) <= PAGE_SIZE:
        offset = 0
        payload = _payload(collection, ids, ids)
        every = payload["trials"]
        shown = _sorted(every, key, descending)
    else:
        # A page of a long list: the order of them all comes from their tallies, and only
        # the page's documents are read, without mentions: a row shows only the day of the
        # newest, which its tally has.
        every = state().attention.tallies(ids)
        page = _sorted(every, key, descending)[offset:offset + PAGE_SIZE]
        payload = _payload(collection, ids, [e.get("requested_id") or e["nct_id"] for e in page],
                           offset, PAGE_SIZE, every, mentions=False)
        shown = [{**entry, "latest": tally.get("latest", "")}
                 for entry, tally in zip(payload["trials"], page)]
    canonical = [e["nct_id"] for e in every if not e.get("pending") and not e.get("error")]
    counts = bulk.monthly_kinds(state().db, canonical)
    today = utcnow().date()
    pages = _pages(collection.id, len(ids), offset, key, descending)
    response = Response(render_template(
        "collection.html", collection=collection, payload=payload, totals=payload["totals"],
        rows=[_row(e) for e in shown], sorts=SORTS, sort=key, pages=pages, page_size=PAGE_SIZE,
        descending=descending, chart=Markup(timeline.charts(counts, today)),
        legend=timeline.legend(counts), kinds=KINDS, dark_colors=badges.DARK_COLORS,
        embed=_embed_snippet([e["nct_id"] for e in every if not e.get("error")])))
    response.headers["Cache-Control"] = "no-cache"
    return response


def _export_rows(entries):
    """One row per trial, in the collection's order, every cell as CSV_COLUMNS says."""
    for entry in entries:
        kinds = entry.get("kinds") or {}
        state_ = "error" if entry.get("error") else entry.get("state")
        yield [entry["nct_id"], entry.get("title"), entry.get("status"),
               ";".join(entry.get("phases") or []), entry.get("score"),
               *(kinds.get(kind) for kind in KINDS), entry.get("mentions_total"), state_,
               _latest(entry) or None, entry.get("details_url")]


@bp.get("/collections/<collection_id>/trials.<any(csv, json):extension>")
def export(collection_id, extension):
    """The collection's trials and figures as CSV (safe to open in a spreadsheet) or JSON."""
    collection, payload = _whole(collection_id)
    if extension == "csv":
        body = exports.table_csv(CSV_COLUMNS, _export_rows(payload["trials"]))
        mimetype = "text/csv"
    else:
        body = strictjson.dumps(payload, ensure_ascii=False, indent=1)
        mimetype = "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="collection-{collection.id}.{extension}"')
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

