"""Every error mapped to its HTTP answer in one place: JSON under /api/, a page elsewhere."""

import logging

from flask import jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from trialbuzz.errors import Pending, TrialbuzzError
from trialbuzz.web import ratelimits

log = logging.getLogger(__name__)

# Codes for the HTTP errors Flask itself raises (unknown route, wrong method…).
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
              429: "rate_limited"}
# What an error page says in its heading, by code; the status number alone tells a reader
# nothing. Codes not listed fall back on their HTTP class.
HEADINGS = {
    "trial_not_found": "No such trial",
    "not_found": "Page not found",
    "rate_limited": "Too many requests",
    "collection_not_found": "No such collection",
    "busy": "Busy right now",
    "upstream_unavailable": "ClinicalTrials.gov is not answering",
    "upstream_rate_limited": "ClinicalTrials.gov is not answering",
    "upstream_timeout": "ClinicalTrials.gov is not answering",
    "upstream_bad_response": "ClinicalTrials.gov is not answering",
    "page_fetch_failed": "That page could not be read",
    "url_refused": "That page cannot be read",
}


def heading(status, code):
    """The heading of an error page: what happened, in words."""
    if code in HEADINGS:
        return HEADINGS[code]
    if status >= 500:
        return "Something went wrong"
    return "That did not work"


def wants_json():
    """API routes always answer JSON, whatever the client accepts."""
    return request.path.startswith("/api/") or request.path.startswith("/v1/")


def error_response(status, code, message, retry_after=None):
    """The one error shape: `{"error": {"code", "message"}}` with its status."""
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = make_response(render_template(
            "error.html", status=status, code=code, heading=heading(status, code),
            message=message, retry_after=retry_after))
    response.status_code = status
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="trialbuzz"'
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app):
    """Install the error handlers on `app`."""

    @app.errorhandler(Pending)
    def handle_pending(error):
        """Not an error: the trial's first lookup is under way; JSON says so, a page waits."""
        if wants_json():
            response = jsonify({"nct_id": error.nct_id, "state": "pending",
                                "message": error.message})
        else:
            response = make_response(render_template("pending.html", nct_id=error.nct_id,
                                                     message=error.message))
        response.status_code = 202
        response.headers["Retry-After"] = str(error.retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(TrialbuzzError)
    def handle_trialbuzz_error(error):
        """Our own errors carry their status and code."""
        return error_response(error.status, error.code, error.message, error.retry_after)

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        """Errors raised by Flask and Werkzeug, in our shape."""
        code = HTTP_CODES.get(error.code, "http_error")
        wait = ratelimits.retry_after() if error.code == 429 else None
        return error_response(error.code, code, error.description, wait)

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        """A bug: log it, and say so without a stack trace."""
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
