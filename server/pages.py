"""HTML pages: the home page with its lookup box."""

from flask import Blueprint, render_template, request

from . import nctid
from .document import trial_document
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
        found = find_trials(url, state().fetcher)
    trial = None
    shown = found["primary"] or (found["nct_ids"][0] if len(found["nct_ids"]) == 1 else None)
    if shown:
        trial = trial_document(state().trials.get(shown), base_url())
    return found, trial


@bp.get("/")
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
