"""The JSON API under /api/v1: resolve a page to trials, and trial documents."""

from flask import Blueprint, jsonify, request

from .document import trial_document
from .errors import BadRequest
from .state import base_url, state
from .trialfinder import find_trials

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_URL_LENGTH = 4096


def _flag(name):
    """A boolean query parameter: 1, true, yes or on."""
    return request.args.get(name, "").lower() in {"1", "true", "yes", "on"}


def _url_param():
    """The `url` query parameter, present and of a sane length."""
    url = request.args.get("url", "").strip()
    if not url:
        raise BadRequest("Give the page address as ?url=…", code="missing_url")
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"The URL is longer than {MAX_URL_LENGTH} characters.",
                         code="invalid_url")
    return url


@bp.get("/resolve")
def resolve_url():
    """The NCT IDs of a page, and the study it is about."""
    return jsonify(find_trials(_url_param(), state().fetcher))


@bp.get("/trials/<nct_id>")
def trial(nct_id):
    """The trial document."""
    record = state().trials.get(nct_id, refresh=_flag("refresh"))
    return jsonify(trial_document(record, base_url()))
