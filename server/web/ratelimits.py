"""Our own rate limits, per client, on requests that make us call upstream services (Flask-Limiter)."""

import ipaddress
import logging
import threading

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage
from werkzeug.middleware.proxy_fix import ProxyFix

from trialbuzz import shared
from trialbuzz.errors import TrialbuzzError

log = logging.getLogger(__name__)

# Warm reads come from the store and cost little, so they are not limited here; what reaches
# other people's services (cold lookups, forced refreshes, page fetches) shares one budget.
# Its own headers are off: it would stamp Retry-After on every limited route's answers, even a
# 503 that carries the upstream's Retry-After. Our 429s get theirs from retry_after().
# The sliding window keeps two counters per client and limit, where a moving window keeps
# every hit of the last hour.
MEMORY_STORAGE = "trialbuzz-memory://"


def client_key():
    """Whom a limit counts: the IPv4 address, or the /64 network of an IPv6 address (one
    subscriber's usual allocation, any address of which it can send from)."""
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


limiter = Limiter(key_func=client_key, headers_enabled=False, strategy="sliding-window-counter")


class BoundedMemoryStorage(MemoryStorage):
    """The limits library's memory storage, holding at most `max_keys` counters: the oldest
    go first, so clients spread over countless addresses cannot grow it without end."""

    STORAGE_SCHEME = ["trialbuzz-memory"]
    # Two counters per client and limit, each about 0.4 KB with its key, expiry and lock.
    max_keys = 40_000

    def __init__(self, uri=None, **options):
        super().__init__(uri, **options)
        self._evicting = threading.Lock()

    def incr(self, key, expiry, amount=1):
        """Count `amount` hits on `key`, first making room for it if it is new."""
        if key not in self.storage:
            with self._evicting:
                while len(self.storage) >= self.max_keys:
                    try:
                        oldest = next(iter(self.storage))
                    except (RuntimeError, StopIteration):  # the expiry timer changed it
                        continue
                    self.clear(oldest)
        return super().incr(key, expiry, amount)


def init_app(app):
    """Configure the limiter from settings: storage (memory or Redis URL) and proxy hops."""
    storage, options = shared.client_limit_storage(app.config)
    app.config["RATELIMIT_STORAGE_URI"] = MEMORY_STORAGE if storage == "memory://" else storage
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    # While a shared storage is unreachable each process counts on its own rather than fail.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = storage != "memory://"
    app.config["RATELIMIT_ENABLED"] = bool(app.config["CLIENT_UPSTREAM_LIMIT"])
    if app.config["TRUSTED_PROXIES"]:
        # Behind a reverse proxy the client is the address it forwards, not the proxy's.
        # X-Forwarded-Host is not trusted: many proxies pass a client's value through, and
        # links in cached answers would point wherever it said. Set PUBLIC_URL instead.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    limiter.init_app(app)


def reaching_upstream(work):
    """Charge a view to the shared upstream budget: `work()` units, one per upstream lookup it
    will start (a cold trial, a forced refresh, a page fetch); none means no charge."""
    return limiter.shared_limit(
        lambda: current_app.config["CLIENT_UPSTREAM_LIMIT"], scope="upstream",
        exempt_when=lambda: not _units(work), cost=lambda: _units(work),
        error_message="Too many lookups that need other services; try again in a minute.")


def _units(work):
    """`work()`, once per request. Bad input raises its 4xx here, before the view does any
    work; any other failure is charged one unit rather than let the work go unlimited."""
    counted = g.setdefault("upstream_units", {})
    if work not in counted:
        try:
            counted[work] = max(0, int(work()))
        except TrialbuzzError:
            raise
        except Exception:  # noqa: BLE001 - a failing estimate must not lift the limit
            log.exception("estimating the upstream work of %s failed", request.path)
            counted[work] = 1
    return counted[work]


def retry_after():
    """Seconds until the breached limit lets this client in again (at least 1)."""
    import time

    try:
        current = limiter.current_limit
        reset_at = None if current is None else current.reset_at
    except Exception:  # noqa: BLE001 - a storage that went away since the check
        reset_at = None
    if reset_at is None:
        return 60
    return max(1, int(reset_at - time.time()) + 1)
