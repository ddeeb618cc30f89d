"""trialbuzz: the online attention a clinical trial gets, on the page you are reading."""

import logging

from flask import Flask
from flask_cors import CORS

__version__ = "0.1.0"

log = logging.getLogger(__name__)


def create_app(config=None):
    """Build the app: defaults, then TRIALBUZZ_* environment, then `config`."""
    from trialbuzz import settings, state, strictjson, upstream
    from trialbuzz.storage import db
    from trialbuzz.web import (
        api,
        assets,
        badge_views,
        bookmarklet_views,
        collection_views,
        compression,
        details_views,
        explore_views,
        feed_views,
        handlers,
        labels,
        meta,
        pages,
        ratelimits,
    )

    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    app.config.update(settings.resolve(overrides=config))
    app.json = strictjson.StrictJSONProvider(app)
    app.json.sort_keys = False
    if not app.config["CONTACT"]:
        log.warning("TRIALBUZZ_CONTACT is empty: Wikimedia and NCBI ask API clients for an "
                    "operator e-mail or URL in the User-Agent; set it before going public.")
    upstream.install_log_redaction()
    # First, so that its after_request hook runs last, on the final answer.
    compression.init_app(app)
    db.init_app(app)
    state.init_app(app)
    assets.init_app(app)
    labels.init_app(app)
    handlers.register(app)
    ratelimits.init_app(app)
    for blueprint in (api.bp, meta.bp, pages.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(bookmarklet_views.bp)
    app.register_blueprint(badge_views.bp)
    app.register_blueprint(details_views.bp)
    app.register_blueprint(collection_views.bp)
    app.register_blueprint(feed_views.bp)
    app.register_blueprint(explore_views.bp)
    # The bookmarklet reads the API from other sites' pages; nothing else is cross-origin.
    CORS(app, resources={r"/api/*": {"origins": "*", "methods": ["GET"]}},
         send_wildcard=True, vary_header=False)
    return app
