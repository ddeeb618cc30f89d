"""Bookmarklet routes: the install page, the overlay script, the CSP fallback popup, a demo page,
and the browser extension's zip."""

from flask import Blueprint, Response, render_template, request

from trialbuzz import nctid
from trialbuzz.attention.service import MAX_TRIALS_PER_BADGE
from trialbuzz.errors import Pending, UpstreamError
from trialbuzz.state import base_url, state
from trialbuzz.web import bookmarklet_code, extension_build
from trialbuzz.web.assets import IMMUTABLE
from trialbuzz.web.ratelimits import reaching_upstream

bp = Blueprint("bookmarklet", __name__)

MAX_URL_LENGTH = 4096
MAX_TITLE_LENGTH = 300
# The popup shows other people's strings: it runs our script only, and no string may become code.
POPUP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
             "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
             "require-trusted-types-for 'script'; trusted-types 'none'")


@bp.get("/bookmarklet")
def install():
    """How to install the bookmarklet, with the link to drag and a demo page to try it on."""
    server = base_url()
    href = bookmarklet_code.href(server)
    return render_template("bookmarklet.html", href=href, length=len(href), server=server,
                           extension_host=extension_build.host_pattern(server))


@bp.get("/bookmarklet/overlay.js")
def overlay():
    """The overlay bundle: cached for a year under its content hash, revalidated otherwise."""
    version = bookmarklet_code.overlay_version()
    response = Response(bookmarklet_code.overlay_source(), mimetype="text/javascript")
    response.set_etag(version)
    # An older hash (a bookmarklet installed before an upgrade) gets today's code, revalidated.
    response.headers["Cache-Control"] = (IMMUTABLE if request.args.get("v") == version
                                         else "no-cache")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Pages that require CORP of what they embed (COEP) may still load it; it is not readable.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@bp.get("/popup")
def popup():
    """The overlay full-window on our origin, for pages whose policy blocks it in place."""
    ids = nctid.unique(filter(None, map(nctid.normalize,
                                         request.args.get("ids", "").split(","))))
    url = request.args.get("url", "").strip()
    url = url if len(url) <= MAX_URL_LENGTH else ""
    title = request.args.get("title", "").strip()[:MAX_TITLE_LENGTH]
    response = Response(render_template(
        "popup.html", ids=",".join(ids[:MAX_TRIALS_PER_BADGE]), url=url, title=title,
        overlay_version=bookmarklet_code.overlay_version()))
    response.headers["Content-Security-Policy"] = POPUP_CSP
    # The page address a reader was on stays with us, not with the sites they go on to.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _demo_work():
    """Upstream work of the demo page: fetching its trial from the registry, if not stored."""
    return int(state().trials.stored(request.view_args["nct_id"]) is None)


@bp.get("/demo/study/<nct_id>")
@reaching_upstream(_demo_work)
def demo_study(nct_id):
    """A page shaped like a study page on ClinicalTrials.gov, marked as a demo, to try it on."""
    nct_id = nctid.require(nct_id)
    try:
        record = state().attention.ensure(nct_id).record
    except (UpstreamError, Pending):
        # The demo is about the bookmarklet: without the registry it still names the trial.
        record = {}
    return render_template("demo_study.html", nct_id=nct_id, record=record)


@bp.get("/extension/" + extension_build.ZIP_NAME)
def extension_zip():
    """The browser extension, built for this server (its default), cached per address."""
    data = extension_build.zip_bytes(base_url())
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = \
        f"attachment; filename={extension_build.ZIP_NAME}"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    return response.make_conditional(request)
