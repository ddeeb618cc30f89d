"""Static files under content-hash URLs, cached for a year; scripts and styles minified.

`asset_url("trial.js")` is `/static/trial.js?v=<hash>`: the hash is that of the bytes served,
so it changes whenever the file (or its minifier) does. The current hash is cached for good;
any other (a page from before an upgrade) gets today's file, revalidated every time.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from flask import Response, abort, request, url_for
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MINIFIERS = {".js": lambda text: rjsmin.jsmin(text).strip() + "\n",
             ".css": lambda text: rcssmin.cssmin(text).strip() + "\n"}
MIMETYPES = {".js": "text/javascript", ".css": "text/css"}


def digest(data):
    """The first 12 hex digits of the SHA-256 of `data` (bytes or text)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:12]


@lru_cache(maxsize=None)
def served(path):
    """The bytes served for a static file: scripts and styles minified, others as they are."""
    path = Path(path)
    minify = MINIFIERS.get(path.suffix)
    if minify is None:
        return path.read_bytes()
    return minify(path.read_text(encoding="utf-8")).encode("utf-8")


@lru_cache(maxsize=None)
def content_hash(path):
    """The hash of what is served for the file at `path`."""
    return digest(served(path))


def cache_control(asked, current):
    """A year for the current hash; anything else is revalidated."""
    return IMMUTABLE if asked == current else REVALIDATE


def init_app(app):
    """Offer `asset_url()` to templates and serve static files minified under their hash."""
    static = Path(app.static_folder)

    def asset_url(filename):
        """URL of a static file with its content hash."""
        return url_for("static", filename=filename, v=content_hash(static / filename))

    def serve_static(filename):
        """A static file: scripts and styles minified from memory, others from disk."""
        path = safe_join(str(static), filename)
        if path is None or not Path(path).is_file():
            abort(404)
        version = content_hash(path)
        suffix = Path(path).suffix
        if suffix in MINIFIERS:
            response = Response(served(path), mimetype=MIMETYPES[suffix])
            response.set_etag(version)
            response = response.make_conditional(request)
        else:
            response = app.send_static_file(filename)
        response.headers["Cache-Control"] = cache_control(request.args.get("v"), version)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    app.jinja_env.globals["asset_url"] = asset_url
    app.view_functions["static"] = serve_static
