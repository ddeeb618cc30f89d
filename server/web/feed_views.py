"""Atom feeds of new mentions: of one trial, and of every trial of a collection. Reading a feed
never harvests on the request: a trial never seen is queued, and its feed is empty meanwhile."""

from flask import Blueprint, Response, redirect, request, url_for

from trialbuzz.attention import bulk
from trialbuzz.attention import sources as source_registry
from trialbuzz.errors import Pending
from trialbuzz.state import base_url, state
from trialbuzz.web import feeds, ratelimits

bp = Blueprint("feeds", __name__)

FEED_CACHE = "public, max-age=300"


def _source_names():
    """Each source's name by its ID."""
    return {source.id: source.name for source in source_registry.REGISTRY}


def _feed(body):
    """An Atom response with an ETag, 304 when the reader's copy is current."""
    response = Response(body, mimetype=feeds.MIMETYPE)
    response.headers["Cache-Control"] = FEED_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    return response.make_conditional(request)


def _cold():
    """Upstream work reading this feed starts: the first harvest of a trial never seen (queued,
    never waited for)."""
    return int(state().attention.is_cold(request.view_args["nct_id"]))


@bp.get("/trial/<nct_id>/feed.atom")
@ratelimits.reaching_upstream(_cold)
def trial_feed(nct_id):
    """The mentions of a trial, found most lately first."""
    try:
        trial = state().attention.ensure(nct_id, wait=False)
    except Pending as pending:
        trial, canonical = None, pending.nct_id
    else:
        canonical = trial.nct_id
        if canonical != nct_id:
            return redirect(url_for(".trial_feed", nct_id=canonical), code=301)
    base = base_url()
    page = f"{base}/trial/{canonical}"
    record = trial.record if trial is not None and isinstance(trial.record, dict) else {}
    title = record.get("title")
    rows = bulk.newest_found(state().db, [canonical], feeds.MAX_ENTRIES) if trial else []
    if trial is None:
        subtitle = f"{canonical} is being looked up for the first time; mentions follow."
    elif trial.harvested_at is None:
        subtitle = f"Mentions of {canonical} are being collected for the first time."
    else:
        subtitle = f"New mentions of {canonical} found by trialbuzz, newest first."
    return _feed(feeds.render(
        feeds.stable_id("trial", canonical),
        f"{canonical}: {title}" if isinstance(title, str) and title else canonical, subtitle,
        f"{page}/feed.atom", page, rows, _source_names(), {canonical: page},
        trial.harvested_at or trial.fetched_at if trial else None))


@bp.get("/collections/<collection_id>/feed.atom")
def collection_feed(collection_id):
    """The mentions of every trial of a collection, found most lately first."""
    collection, ids = state().collections.get(collection_id)
    state().collections.viewed(collection.id)
    canonical = bulk.canonical(state().db, ids)
    rows = bulk.newest_found(state().db, canonical, feeds.MAX_ENTRIES)
    base = base_url()
    page = f"{base}/collections/{collection.id}"
    return _feed(feeds.render(
        feeds.stable_id("collection", collection.id), f"{collection.name} · trialbuzz",
        f"New mentions of the {len(ids)} trials of this collection, newest first.",
        f"{page}/feed.atom", page, rows, _source_names(),
        {nct_id: f"{base}/trial/{nct_id}" for nct_id in canonical}, collection.updated_at,
        prefix_ids=True))
