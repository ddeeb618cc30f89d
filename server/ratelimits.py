"""Our own rate limits, per client, on requests that make us call upstream services (Flask-Limiter)."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# Warm reads come from the store and cost little, so they are not limited here; what reaches
# other people's services (cold lookups, forced refreshes, page fetches) shares one budget.
# Its own headers are off: it would stamp Retry-After on every limited route's answers, even a
# 503 that carries the upstream's Retry-After. Our 429s get theirs from retry_after().
limiter = Limiter(key_func=get_remote_address, headers_enabled=False, strategy="moving-window")


def init_app(app):
    """Configure the limiter from settings: storage (memory or Redis URL) and proxy hops."""
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATE_LIMIT_STORAGE_URL"] or "memory://"
    app.config["RATELIMIT_ENABLED"] = bool(app.config["CLIENT_UPSTREAM_LIMIT"])
    if app.config["TRUSTED_PROXIES"]:
        # Behind a reverse proxy the client is the address it forwards, not the proxy's.
        # X-Forwarded-Host is not trusted: many proxies pass a client's value through, and
        # links in cached answers would point wherever it said. Set PUBLIC_URL instead.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    limiter.init_app(app)


def reaching_upstream(predicate):
    """Limit a view by the shared upstream budget whenever `predicate()` says it goes upstream."""
    return limiter.shared_limit(
        lambda: current_app.config["CLIENT_UPSTREAM_LIMIT"], scope="upstream",
        exempt_when=lambda: not _safely(predicate),
        error_message="Too many lookups that need other services; try again in a minute.")


def _safely(predicate):
    """A predicate that fails (say on a malformed ID) means no upstream call will happen."""
    try:
        return bool(predicate())
    except Exception:  # noqa: BLE001 - the view reports the bad input itself
        return False


def retry_after():
    """Seconds until the breached limit lets this client in again (at least 1)."""
    import time

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()) + 1)
