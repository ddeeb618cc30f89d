"""HTML pages: the home page with its lookup box."""

from flask import Blueprint, render_template, request

from . import nctid, resolve, sources
from .ratelimits import reaching_upstream
from .errors import TrialbuzzError
from .state import base_url, state
from .trialfinder import find_trials

bp = Blueprint("pages", __name__)


def _lookup(query):
    """Resolve what a visitor typed (an NCT ID or a URL) into trials to show."""
    nct_id = nctid.normalize(query)
    if nct_id:
        found = {"url": None, "nct_ids": [nct_id], "primary": nct_id}
    else:
        url = query if "://" in query else "https://" + query
        found = find_trials(url, state().fetcher, state().page_work)
    trial = None
    shown = found["primary"] or (found["nct_ids"][0] if len(found["nct_ids"]) == 1 else None)
    if shown:
        trial = state().attention.compact(shown, base_url())
    return found, trial


@bp.get("/about/score")
def about_score():
    """How the score is computed, with this server's weights and sources."""
    settings = state().settings
    listed = []
    for source_class in sources.REGISTRY:
        idle = sources.status_of_idle(source_class, settings)
        listed.append({"name": source_class.name, "about": source_class.about,
                       "experimental": source_class.experimental,
                       "state": f"off: {idle}" if idle else "on"})
    return render_template("score.html", sources=listed, weights=settings["SCORE_WEIGHTS"],
                           freshness_hours=round(settings["FRESHNESS"] / 3600, 1))


def _lookup_needs_upstream():
    """Whether the home page's lookup will call upstream (a cold trial or a page to fetch)."""
    query = request.args.get("q", "").strip()
    if not query:
        return False
    nct_id = nctid.normalize(query)
    if nct_id:
        return state().attention.is_cold(nct_id)
    url = query if "://" in query else "https://" + query
    found = resolve.ids_from_url(url)
    if not found.nct_ids:
        return resolve.needs_page(url)
    return any(state().attention.is_cold(i) for i in found.nct_ids[:1])


@bp.get("/")
@reaching_upstream(_lookup_needs_upstream)
def home():
    """What trialbuzz is, and a lookup box whose result shows on the page."""
    query = request.args.get("q", "").strip()[:4096]
    found = trial = error = None
    status = 200
    if query:
        try:
            found, trial = _lookup(query)
        except TrialbuzzError as exc:
            error, status = exc.message, exc.status
    return render_template("home.html", query=query, found=found, trial=trial,
                           error=error), status
