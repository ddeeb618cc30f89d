"""Service routes: health and the OpenAPI document."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from trialbuzz import __version__
from trialbuzz.state import state
from trialbuzz.web import openapi

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    """Whether the app and its database answer."""
    try:
        with state().db.session() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported below
        database = f"error: {exc.__class__.__name__}"
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database,
            "version": __version__}
    return jsonify(body), 200 if healthy else 503


@bp.get("/api/openapi.json")
def openapi_document():
    """The OpenAPI 3 description of the API."""
    return jsonify(openapi.document())
