"""Static files with content-hash URLs, cached for a year; the hash changes when the file does."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=None)
def content_hash(path):
    """The first 12 hex digits of a file's SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def init_app(app):
    """Offer `asset_url()` to templates and cache hashed static URLs for good."""
    static = Path(app.static_folder)

    def asset_url(filename):
        """URL of a static file with its content hash."""
        return url_for("static", filename=filename, v=content_hash(static / filename))

    app.jinja_env.globals["asset_url"] = asset_url

    @app.after_request
    def cache_static(response):
        """Hashed static URLs never change, so browsers may keep them for a year."""
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response
