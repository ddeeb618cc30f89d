"""Fetch a user-supplied page safely: scheme, address, redirect, time and size limits."""

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import certifi
import urllib3
import webencodings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.ssl_match_hostname import CertificateError

from trialbuzz.errors import InvalidUrl, PageFetchError, UpstreamTimeout, UrlRefused
from trialbuzz.resolution import netguard
from trialbuzz.resolution.netguard import parse_url

ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

_CHUNK = 16 * 1024
_SNIFF_BYTES = 2048
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*\"?\s*([A-Za-z0-9_.:-]+)", re.I)
# Pages lie about their charset. Without a byte-order mark a UTF-16 label names an ASCII page
# (HTML ignores it in <meta>), and "replacement" would blank a page whose IDs are harmless.
_IGNORED_ENCODINGS = frozenset({"utf-16be", "utf-16le", "replacement"})


@dataclass(frozen=True)
class Page:
    """A fetched page: the final URL after redirects, its status, media type and decoded text;
    `truncated` when only its first `max_bytes` were read."""

    url: str
    status: int
    content_type: str
    text: str
    truncated: bool = False


class _Deadline:
    """The time left for one fetch; when it runs out the watched socket is shut to unblock reads."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock = None
        # A socket timeout bounds each read, not their sum: a server dripping a byte a second
        # never trips it, so a timer cuts the connection itself.
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self):
        """Seconds left, or UpstreamTimeout when there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise UpstreamTimeout(f"the page took longer than {self.seconds:g} s")
        return left

    def watch(self, sock):
        """Watch a freshly connected socket (a duplicate, so TLS wrapping cannot detach it)."""
        with self._lock:
            self._release()
            self._sock = socket.fromfd(sock.fileno(), sock.family, sock.type)
            if self.expired:
                self._shutdown()

    def _expire(self):
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self):
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _release(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def close(self):
        """Stop the timer and drop the watched socket."""
        self._timer.cancel()
        with self._lock:
            self._release()


class _Watched:
    """Mixin: hand the TCP socket to the fetch deadline as soon as it is connected."""

    deadline = None

    def _new_conn(self):
        sock = super()._new_conn()
        self.deadline.watch(sock)
        return sock


class _HTTPConnection(_Watched, HTTPConnection):
    """An HTTP connection the fetch deadline can cut."""


class _HTTPSConnection(_Watched, HTTPSConnection):
    """An HTTPS connection the fetch deadline can cut."""


def _content_type(value):
    """Split a Content-Type header into its lower-case media type and charset (or None)."""
    if not value:
        return "", None
    media_type, _, params = value.partition(";")
    charset = _CHARSET_PARAM.search(params)
    return media_type.strip().lower(), charset.group(1) if charset else None


def _decode(body, charset):
    """Decode the way a browser would: by byte-order mark, else the header charset, else a
    <meta> charset near the top, else UTF-8; a charset is a WHATWG Encoding Standard label."""
    meta = _META_CHARSET.search(body[:_SNIFF_BYTES])
    encoding = webencodings.UTF8
    for label in (charset, meta.group(1).decode("ascii") if meta else None):
        declared = webencodings.lookup(label) if label else None
        if declared is not None and declared.name not in _IGNORED_ENCODINGS:
            encoding = declared
            break
    return webencodings.decode(body, encoding, errors="replace")[0]


def _root_cause(exc):
    """Return the innermost exception behind a urllib3 or http.client error (often an OSError)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return exc


class PageFetcher:
    """Fetches pages from user-supplied URLs without letting them reach private networks."""

    def __init__(self, allow_hosts=(), connect_timeout=5.0, total_timeout=10.0,
                 max_bytes=2 * 1024 * 1024, max_redirects=5, user_agent="trialbuzz",
                 resolver=socket.getaddrinfo, ca_certs=None):
        self.allow_hosts = tuple(allow_hosts or ())
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.resolver = resolver
        self.ca_certs = ca_certs or certifi.where()

    def fetch(self, url):
        """Fetch `url`, following permitted redirects, and return the Page or raise why not."""
        target = parse_url(url)
        deadline = _Deadline(self.total_timeout)
        try:
            for redirects in range(self.max_redirects + 1):
                addresses = self._addresses(target, redirected=redirects > 0)
                conn, response = self._connect(target, addresses, deadline), None
                try:
                    conn.request("GET", target.request_target, headers=self._headers(target),
                                 preload_content=False, decode_content=True)
                    response = conn.getresponse()
                    location = self._redirect_location(target, response)
                    if location is None:
                        return self._read_page(target, response, deadline)
                finally:
                    # With "Connection: close" the response owns the socket, so close both.
                    if response is not None:
                        response.close()
                    conn.close()
                if redirects == self.max_redirects:
                    raise PageFetchError(f"{url}: more than {self.max_redirects} redirects")
                target = self._redirect_target(target, location)
        except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError,
                CertificateError) as exc:
            raise self._failure(exc, target, deadline) from exc
        finally:
            deadline.close()

    def _addresses(self, target, redirected):
        """Resolve the host once and check every address; return the ones to connect to."""
        allowed = netguard.is_allowed_host(target.written_host, target.port, self.allow_hosts)
        if target.literal is not None:
            addresses = [target.literal]
        else:
            try:
                infos = self.resolver(target.host, target.port, type=socket.SOCK_STREAM)
                addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
            except (OSError, UnicodeError, ValueError):
                # The resolver's own words (errno texts) mean nothing to a reader.
                raise PageFetchError(f"could not resolve {target.host}") from None
            if not addresses:
                raise PageFetchError(f"{target.host} has no address")
        if not allowed:
            for address in addresses:
                reason = netguard.refusal_reason(address)
                if reason:
                    if target.literal is None:
                        shown = f"{target.host} resolves to {address}, {reason}"
                    elif target.written_host != target.host:  # show what "0x7f.1" stands for
                        shown = f"{target.written_host} ({target.host}) is {reason}"
                    else:
                        shown = f"{target.host} is {reason}"
                    prefix = f"redirected to {target.url}, but " if redirected else ""
                    raise UrlRefused(f"{prefix}{shown}")
        # A mapped address is the IPv4 host; an IPv6 socket to it fails without dual-stack.
        return [getattr(address, "ipv4_mapped", None) or address for address in addresses]

    def _connect(self, target, addresses, deadline):
        """Connect to the first checked address that answers; no further name lookup happens."""
        error = None
        for address in addresses:
            timeout = min(self.connect_timeout, deadline.remaining())
            if target.scheme == "https":
                # SNI and the certificate check use the host name while the socket goes to the
                # address we checked, so a second DNS answer can never redirect us (rebinding).
                conn = _HTTPSConnection(str(address), target.port, timeout=timeout,
                                        server_hostname=target.host, assert_hostname=target.host,
                                        cert_reqs="CERT_REQUIRED", ca_certs=self.ca_certs)
            else:
                conn = _HTTPConnection(str(address), target.port, timeout=timeout)
            conn.deadline = deadline
            try:
                conn.connect()
                conn.timeout = deadline.remaining()
                return conn
            except urllib3.exceptions.NewConnectionError as exc:
                conn.close()
                error = exc  # refused on this address: the next checked one may answer
            except BaseException:
                conn.close()
                raise
        raise error

    def _headers(self, target):
        """The request headers: the original Host, our User-Agent and the page types we take."""
        return {
            "Host": target.host_header,
            "User-Agent": self.user_agent,
            "Accept": ACCEPT,
            # Compressed bodies would make the size limit count the wire, not the page.
            "Accept-Encoding": "identity",
            "Connection": "close",
        }

    @staticmethod
    def _redirect_location(target, response):
        """Return the Location of a redirect response, or None for any other response."""
        if response.status not in REDIRECT_STATUSES:
            return None
        location = response.headers.get("Location")
        if not location:
            raise PageFetchError(f"{target.url} answered HTTP {response.status} without a Location")
        return location

    @staticmethod
    def _redirect_target(target, location):
        """Resolve a Location against the current URL and check its shape from scratch."""
        url = location.strip()
        try:
            url = urljoin(target.url, url)
            return parse_url(url)
        except ValueError as exc:
            raise UrlRefused(f"refused to follow a malformed redirect: {exc}") from None
        except (InvalidUrl, UrlRefused) as exc:
            shown = url if len(url) <= 200 else url[:200] + "…"
            raise UrlRefused(f"refused to follow the redirect to {shown}: {exc.message}") from None

    def _read_page(self, target, response, deadline):
        """Check status and type, then read at most `max_bytes` of the body within the time
        limit and decode it; a longer page is cut there and marked truncated."""
        if response.status >= 400:
            raise PageFetchError(
                f"{target.url} answered HTTP {response.status} {response.reason or ''}".rstrip())
        if not 200 <= response.status < 300:
            raise PageFetchError(f"{target.url} answered HTTP {response.status}, not a page")
        media_type, charset = _content_type(response.headers.get("Content-Type"))
        if media_type not in PAGE_TYPES:
            raise UrlRefused(f"not an HTML or text page ({media_type or 'no Content-Type'})")
        body = bytearray()
        for chunk in response.stream(_CHUNK, decode_content=True):
            body += chunk
            if len(body) > self.max_bytes:
                break
        if deadline.expired:
            # Cutting the socket at the deadline looks like the end of a body without a length.
            raise UpstreamTimeout(f"{target.url} took longer than {deadline.seconds:g} s")
        truncated = len(body) > self.max_bytes
        return Page(target.url, response.status, media_type,
                    _decode(bytes(body[:self.max_bytes]), charset), truncated)

    def _failure(self, exc, target, deadline):
        """Turn a network-level error into the trialbuzz error a caller can report."""
        where = target.host_header
        cause = _root_cause(exc)
        if deadline.expired:
            return UpstreamTimeout(f"{target.url} took longer than {deadline.seconds:g} s")
        if isinstance(exc, urllib3.exceptions.NewConnectionError):
            reason = getattr(cause, "strerror", None) or "connection failed"
            return PageFetchError(f"could not connect to {where}: {reason.lower()}")
        if isinstance(cause, TimeoutError) or isinstance(exc, urllib3.exceptions.TimeoutError):
            return UpstreamTimeout(f"{where} did not answer in time")
        if isinstance(cause, (ssl.SSLError, CertificateError)):
            return PageFetchError(f"TLS with {where} failed: {cause}")
        if isinstance(cause, ConnectionResetError):
            return PageFetchError(f"{where} reset the connection")
        if isinstance(cause, http.client.IncompleteRead):
            return PageFetchError(f"{where} closed the connection before the whole page arrived")
        return PageFetchError(f"could not fetch {target.url}: {str(cause) or type(cause).__name__}")
