"""HTML pages: the home page with its lookup box."""

from flask import Blueprint, g, render_template, request

from trialbuzz.attention import sources, words
from trialbuzz.attention.service import MAX_TRIALS_PER_BADGE
from trialbuzz.errors import TrialbuzzError
from trialbuzz.resolution import lookup, resolve
from trialbuzz.state import base_url, state
from trialbuzz.web.badge_views import awaited_compacts
from trialbuzz.web.ratelimits import reaching_upstream

bp = Blueprint("pages", __name__)

# A page lookup fetches the page and, most often, harvests the new trial it names.
PAGE_LOOKUP_UNITS = 2


def _asked():
    """The lookup box's input, read once per request; raises when it is neither ID nor address."""
    if "lookup" not in g:
        try:
            g.lookup = lookup.read(request.args.get("q", ""))
        except TrialbuzzError as exc:
            g.lookup = exc
    if isinstance(g.lookup, TrialbuzzError):
        raise g.lookup
    return g.lookup


def _lookup():
    """Resolve what a visitor typed (an NCT ID or a page address) into trials to show: the one
    the page is about, and every trial it names (in page order) when it names several."""
    found = lookup.find(_asked(), state().fetcher, state().page_work)
    shown = lookup.shown(found)
    trial = state().attention.compact(shown, base_url()) if shown else None
    named = found["nct_ids"][:MAX_TRIALS_PER_BADGE]
    listed = awaited_compacts(named) if len(named) > 1 else []
    return found, trial, listed


@bp.get("/about/score")
def about_score():
    """How the score is computed, with this server's weights and sources."""
    settings = state().settings
    listed = []
    for source_class in sources.REGISTRY:
        idle = sources.status_of_idle(source_class, settings)
        listed.append({"name": source_class.name, "about": source_class.about,
                       "experimental": source_class.experimental,
                       "state": words.NOT_USED if idle else "on"})
    return render_template("score.html", sources=listed, weights=settings["SCORE_WEIGHTS"],
                           freshness_hours=round(settings["FRESHNESS"] / 3600, 1))


def _lookup_work():
    """Upstream work the home page's lookup will do: a cold trial, or a page to fetch."""
    if not request.args.get("q", "").strip():
        return 0
    try:
        asked = _asked()
        if asked.nct_id:
            return int(state().attention.is_cold(asked.nct_id))
        found = resolve.ids_from_url(asked.url)
    except TrialbuzzError:
        return 0  # the view refuses the same input, before any work
    if not found.nct_ids:
        return PAGE_LOOKUP_UNITS if resolve.needs_page(asked.url) else 0
    # Every trial named is listed, so each cold one is harvested.
    return sum(state().attention.is_cold(nct_id)
               for nct_id in list(found.nct_ids)[:MAX_TRIALS_PER_BADGE])


@bp.get("/")
@reaching_upstream(_lookup_work)
def home():
    """What trialbuzz is, and a lookup box whose result shows on the page."""
    query = request.args.get("q", "").strip()
    found = trial = error = None
    listed = []
    status = 200
    if query:
        try:
            found, trial, listed = _lookup()
        except TrialbuzzError as exc:
            error, status = exc.message, exc.status
    return render_template("home.html", query=query[:lookup.MAX_LENGTH], found=found,
                           trial=trial, listed=listed, error=error), status
