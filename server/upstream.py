"""HTTP clients for upstream services: timeouts, retries honouring Retry-After, rate limits, a polite User-Agent."""

import logging
import re
import threading
import time
from urllib.parse import urljoin, urlsplit

import requests
from limits import parse as parse_rate
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from trialbuzz import __version__, strictjson
from trialbuzz.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SECRET_PARAMS = re.compile(r"((?:api_)?key=)[^&\s'\"]+", re.IGNORECASE)


class RedactKeys(logging.Filter):
    """Hide API keys that urllib3's retry warnings would print as part of a request URL."""

    def filter(self, record):
        """Rewrite the message with every key=… value replaced."""
        message = record.getMessage()
        redacted = _SECRET_PARAMS.sub(r"\1REDACTED", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction():
    """Attach RedactKeys to the loggers that print upstream URLs (once)."""
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())


# The deadline of the call this thread is making: retries must not sleep past it.
_call = threading.local()


class CappedRetry(Retry):
    """urllib3 Retry that gives up rather than sleep past a long Retry-After or the deadline."""

    max_retry_after = 10.0

    def new(self, **kwargs):
        """A copy for the next attempt, keeping our cap (urllib3 copies only its own options)."""
        retry = super().new(**kwargs)
        retry.max_retry_after = self.max_retry_after
        return retry

    def sleep_for_retry(self, response=None):
        """Sleep for Retry-After, never longer than the cap."""
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            time.sleep(min(retry_after, self.max_retry_after))
            return True
        return False

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        """Stop retrying when the server asks us to wait longer than the cap."""
        if response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after is not None and retry_after > self.max_retry_after:
                # With raise_on_status off, urllib3 hands the response back to the caller.
                raise MaxRetryError(_pool, url, ResponseError(
                    f"Retry-After {retry_after:.0f}s is longer than we wait"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        deadline = getattr(_call, "deadline", None)
        if deadline is not None:
            wait = retry.get_backoff_time()
            if response is not None:
                wait = min(self.get_retry_after(response) or wait, self.max_retry_after)
            if time.monotonic() + wait >= deadline:
                # No time for another attempt: hand back the answer (or the error) we have.
                raise MaxRetryError(_pool, url, error or ResponseError("no time left to retry"))
        return retry


def user_agent(contact):
    """The User-Agent sent upstream: name, version and the operator's contact."""
    agent = f"trialbuzz/{__version__} (+https://github.com/trialbuzz/trialbuzz"
    return agent + (f"; {contact})" if contact else ")")


class RateLimit:
    """A rate shared by every thread of the process, or by every process when `storage` is
    shared (`limits` moving window; with Redis storage, a StorageError when it is down)."""

    def __init__(self, rate, key, storage=None):
        self.item = parse_rate(rate) if rate else None
        self.key = key
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def wait(self, deadline=None):
        """Block until one call is allowed; False if that would pass `deadline` (monotonic)."""
        if self.item is None:
            return True
        while not self.limiter.hit(self.item, self.key):
            reset_at = self.limiter.get_window_stats(self.item, self.key).reset_time
            pause = max(0.01, min(reset_at - time.time(), 1.0))
            if deadline is not None and time.monotonic() + pause > deadline:
                return False
            time.sleep(pause)
        return True


def origin(url):
    """The (scheme, host, port) of `url`, default port filled in; None if it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS.get(parts.scheme)


class SameOriginSession(requests.Session):
    """A Session that follows a redirect only within the origin of the request it answers."""

    def __init__(self, name):
        super().__init__()
        self.name = name
        self.max_redirects = MAX_REDIRECTS

    def get_redirect_target(self, resp):
        """The absolute URL a redirect leads to, refused when it leaves the origin."""
        location = super().get_redirect_target(resp)
        if location is None:
            return None
        target = urljoin(resp.url, location)
        if origin(target) is None or origin(target) != origin(resp.url):
            resp.close()
            raise UpstreamBadResponse(f"{self.name} redirected outside its origin")
        # A redirect's body is never used: requests would read it whole, past the size cap and
        # the deadline, so the connection is closed unread instead.
        resp.raw.close()
        resp._content = b""
        return target


class Upstream:
    """One upstream service: a base URL, one Session with retries, and its own rate limit."""

    def __init__(self, name, base_url, settings, rate=None, storage=None,
                 retry_statuses=RETRY_STATUSES, key=None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = (settings["UPSTREAM_CONNECT_TIMEOUT"], settings["UPSTREAM_READ_TIMEOUT"])
        self.max_bytes = settings["UPSTREAM_MAX_BYTES"]
        # The pace's key in a storage shared by several upstreams (a source's id).
        self.rate = RateLimit(rate, key=key or name, storage=storage)
        retry = CappedRetry(
            total=settings["UPSTREAM_RETRIES"], connect=settings["UPSTREAM_RETRIES"],
            read=1, status=settings["UPSTREAM_RETRIES"],
            backoff_factor=settings["UPSTREAM_BACKOFF"], backoff_max=10,
            status_forcelist=retry_statuses, allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True, raise_on_status=False,
        )
        retry.max_retry_after = settings["UPSTREAM_MAX_RETRY_AFTER"]
        self.session = SameOriginSession(name)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": user_agent(settings["CONTACT"]),
                                     "Accept": "application/json"})

    def get(self, path_or_url, params=None, deadline=None, **kwargs):
        """GET a path under the base URL (or an absolute URL); map network failures to our errors."""
        return self._send("GET", path_or_url, deadline, params=params, **kwargs)

    def post(self, path_or_url, json=None, deadline=None, **kwargs):
        """POST a JSON body (a log-in, a token); never retried, since it may not be idempotent."""
        return self._send("POST", path_or_url, deadline, json=json, **kwargs)

    def _send(self, method, path_or_url, deadline, **kwargs):
        """One paced call within the deadline and the size cap, network failures as our errors."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        try:
            paced = self.rate.wait(deadline)
        except StorageError as exc:
            # Without the shared pace no process may call: together they would exceed it.
            raise UpstreamUnavailable(f"{self.name}: the pace shared with other processes "
                                      "cannot be read (Redis is unreachable)") from exc
        if not paced:
            raise UpstreamUnavailable(f"{self.name}: our own rate limit leaves no room before "
                                      "the deadline", code="rate_limited")
        timeout = self.timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UpstreamTimeout(f"{self.name} did not answer in time")
            timeout = (min(timeout[0], left), min(timeout[1], left))
        _call.deadline = deadline
        try:
            response = self.session.request(method, url, timeout=timeout, stream=True, **kwargs)
            self._read_body(response, deadline)
            return response
        except requests.Timeout as exc:
            raise UpstreamTimeout(f"{self.name} did not answer in time") from exc
        except requests.exceptions.RetryError as exc:
            raise UpstreamUnavailable(f"{self.name} kept failing: {_reason(exc)}") from exc
        except requests.ConnectionError as exc:
            if _timed_out(exc):
                raise UpstreamTimeout(f"{self.name} did not answer in time") from exc
            raise UpstreamUnavailable(f"{self.name} is unreachable: {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise UpstreamError(f"{self.name} request failed: {_reason(exc)}") from exc
        finally:
            _call.deadline = None

    def _read_body(self, response, deadline):
        """Read the body within the deadline and the size cap; a dripping server is cut off."""
        watchdog = None
        if deadline is not None:
            # A read timeout bounds each wait, not the whole body: a server sending a byte
            # now and then would never trip it. The watchdog shuts the socket at the deadline.
            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort,
                                       args=(response,))
            watchdog.daemon = True
            watchdog.start()
        try:
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise UpstreamBadResponse(f"{self.name} sent more than "
                                              f"{self.max_bytes // (1024 * 1024)} MB")
                chunks.append(chunk)
            if deadline is not None and time.monotonic() >= deadline:
                # The watchdog's cut looks like the end of a body sent without a length.
                raise UpstreamTimeout(f"{self.name} did not finish answering in time")
            response._content = b"".join(chunks)
        except (requests.RequestException, OSError, AttributeError, ValueError) as exc:
            if deadline is not None and time.monotonic() >= deadline - 0.05:
                raise UpstreamTimeout(f"{self.name} did not finish answering in time") from exc
            raise UpstreamUnavailable(f"{self.name} broke off its answer") from exc
        finally:
            if watchdog is not None:
                watchdog.cancel()
            response.close()

    def raise_for_status(self, response):
        """Turn 429 and 5xx answers into our errors, carrying Retry-After when given."""
        if response.status_code == 429:
            raise UpstreamUnavailable(f"{self.name} is rate-limiting us (429)",
                                      code="upstream_rate_limited",
                                      retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"{self.name} failed with HTTP {response.status_code}",
                                      retry_after=_retry_after(response))
        if response.status_code >= 400:
            raise UpstreamError(f"{self.name} refused the request with HTTP "
                                f"{response.status_code}")

    def json(self, response):
        """Decode a JSON body, refusing HTML or malformed bodies with a clear error."""
        self.raise_for_status(response)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type and "json" not in content_type and content_type != "text/plain":
            raise UpstreamBadResponse(f"{self.name} answered {content_type} where JSON was "
                                      "expected")
        try:
            return strictjson.loads(_json_text(response))
        except ValueError as exc:
            raise UpstreamBadResponse(f"{self.name} answered with malformed JSON") from exc


def _json_text(response):
    """The body as text: its declared charset, else the UTF flavour JSON's first bytes show."""
    content = response.content or b""
    declared = "charset" in response.headers.get("Content-Type", "").lower()
    encoding = (declared and response.encoding) or requests.utils.guess_json_utf(content) \
        or "utf-8"
    try:
        return content.decode(encoding, errors="replace")
    except LookupError:
        # An unknown or non-text charset name: JSON is UTF-8 unless it says otherwise.
        return content.decode("utf-8", errors="replace")


def _retry_after(response):
    """Seconds from a Retry-After header, or None."""
    value = response.headers.get("Retry-After", "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _abort(response):
    """Shut the socket under a response, waking a read blocked on it (even when the response
    reads until the connection closes and owns the socket alone)."""
    try:
        response.raw.shutdown()
    except (AttributeError, ValueError, RuntimeError, OSError):
        pass  # already closed or released: nothing left to wake


def _timed_out(exc):
    """Whether a requests ConnectionError is really a read timeout that retries gave up on."""
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", cause), (ReadTimeoutError, TimeoutError))


def _reason(exc):
    """A short reason for a requests exception, without the URL's query string (keys live there)."""
    text = str(exc.args[0] if exc.args else exc)
    return text.split("(Caused by")[-1].strip(" )")[:200] or exc.__class__.__name__
