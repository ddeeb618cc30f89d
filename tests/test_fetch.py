"""The guarded page fetcher against loopback servers: pages, limits and SSRF refusals."""

import errno
import ipaddress
import json
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from trialbuzz.errors import InvalidUrl, PageFetchError, UpstreamTimeout, UrlRefused
from trialbuzz.resolution.fetch import ACCEPT, Page, PageFetcher

HTML = "<html><head><title>Trial</title></head><body>NCT04280705 café</body></html>"
SIMPLE = {
    "/html": ("text/html; charset=utf-8", HTML.encode()),
    "/latin1": ("text/html; charset=ISO-8859-1", "café".encode("latin-1")),
    "/meta": ("text/html", b'<html><head><meta charset="windows-1252"></head>\x80 5</html>'),
    "/http-equiv": ("text/html", b'<meta http-equiv="Content-Type" content="text/html; '
                                 b'charset=koi8-r">\xd0\xd2\xc9\xd7\xc5\xd4'),
    "/bogus-charset": ("text/html; charset=no-such-codec", "café".encode()),
    "/bom": ("text/html; charset=windows-1252", "\ufeffcafé".encode("utf-16-le")),
    "/utf16-label": ("text/html; charset=utf-16", "café".encode()),
    "/ebcdic-label": ("text/html; charset=cp037", "café".encode()),
    "/bad-bytes": ("text/html", b"caf\xc3\xa9 \xff"),
    "/text": ("text/plain", b"NCT04280705 in plain text"),
    "/xhtml": ("application/xhtml+xml; charset=utf-8", b"<html>x</html>"),
    "/pdf": ("application/pdf", b"%PDF-1.4"),
    "/json": ("application/json", b"{}"),
    "/no-type": (None, b"<html>no type</html>"),
    "/exact-limit": ("text/plain", b"x" * 64 * 1024),
}


class Handler(BaseHTTPRequestHandler):
    """Routes for the loopback test server; every route behaves the way its name says."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if url.path in SIMPLE:
            return self.reply(200, *SIMPLE[url.path])
        if url.path == "/echo-headers":
            return self.reply(200, "text/plain", json.dumps(dict(self.headers)).encode())
        if url.path == "/redirect":
            return self.reply(int(query.get("status", 302)), None, b"", location=query["to"])
        if url.path.startswith("/chain/"):
            hops = int(url.path.rsplit("/", 1)[1])
            if hops == 0:
                return self.reply(200, *SIMPLE["/html"])
            return self.reply(302, None, b"", location=f"/chain/{hops - 1}")
        if url.path == "/relative":
            return self.reply(301, None, b"", location="text")
        if url.path == "/loop":
            return self.reply(302, None, b"", location="/loop")
        if url.path == "/no-location":
            return self.reply(302, None, b"")
        if url.path.startswith("/status/"):
            return self.reply(int(url.path.rsplit("/", 1)[1]), "text/html", b"<h1>no</h1>")
        if url.path == "/huge-declared":
            return self.reply(200, "text/html", b"<html>", length=10**9)
        if url.path == "/huge-stream":
            return self.stream(b"<p>" + b"x" * 16 * 1024, count=10**6, delay=0)  # 16 GB
        if url.path == "/drip":
            return self.stream(b"x", count=200, delay=0.05, length=200)
        if url.path == "/drip-unsized":  # no length: only the closed connection ends the body
            return self.stream(b"x", count=200, delay=0.05)
        if url.path == "/short":
            return self.reply(200, "text/html", b"NCT04280705 and then", length=1000)
        if url.path == "/over-limit":
            return self.reply(200, "text/html", b"NCT04280705 " + b"x" * 70_000 + b" NCT04292899")
        if url.path == "/drip-headers":
            for byte in b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"y" * 200:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
            return None
        if url.path == "/reset":
            # Linger 0 makes close() send a RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return None
        return self.reply(404, "text/plain", b"unknown route")

    def reply(self, status, content_type, body, location=None, length=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunk, count, delay, length=None):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        for _ in range(count):
            self.wfile.write(chunk)
            self.wfile.flush()
            time.sleep(delay)


class Server(ThreadingHTTPServer):
    """A quiet threaded HTTP server on loopback that records the requests it sees."""

    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        self.requests = []

    def server_bind(self):
        # HTTPServer.server_bind would look the address up with getfqdn(): no lookups in tests.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-reply is what many of these tests do on purpose

    def paths(self):
        return [path for path, _ in self.requests]

    def running(self):
        """Serve in a thread for as long as the fixture lasts, then stop and close."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            self.shutdown()
            self.server_close()


class Canary:
    """Listening sockets on 127.0.0.1, 127.0.0.2 and [::1] (one port) that no test may reach."""

    def __init__(self):
        for _ in range(20):
            self.sockets = [self._listen(socket.AF_INET, "127.0.0.1", 0)]
            self.port = self.sockets[0].getsockname()[1]
            try:
                self.extra = [(family, host) for family, host in
                              ((socket.AF_INET, "127.0.0.2"), (socket.AF_INET6, "::1"))
                              if self._try_listen(family, host)]
                break
            except OSError:  # the port is taken on another loopback address: pick another
                self.close()
        self.has_ipv6 = any(family == socket.AF_INET6 for family, _ in self.extra)
        self.count = 0

    @staticmethod
    def _listen(family, host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((host, port))
        sock.listen(16)
        sock.setblocking(False)
        return sock

    def _try_listen(self, family, host):
        try:
            self.sockets.append(self._listen(family, host, self.port))
            return True
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise
            return False  # no such loopback address here

    def accepted(self):
        """Count connections ever made; the kernel queues them even when nobody accepts."""
        for sock in self.sockets:
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                self.count += 1
        return self.count

    def close(self):
        for sock in self.sockets:
            sock.close()


class FakeDns:
    """A stub resolver: fixed answers, a record of lookups, and never a packet on the wire."""

    def __init__(self, answers):
        self.answers = answers
        self.lookups = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.lookups.append(host)
        answer = self.answers.get(host)
        if callable(answer):
            answer = answer()
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port, 0, 0) if ":" in ip else (ip, port)) for ip in answer]


@pytest.fixture(scope="module")
def server():
    yield from Server().running()


@pytest.fixture(scope="module")
def canary():
    trap = Canary()
    yield trap
    trap.close()


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every outgoing connect() in a test; one to a non-loopback address fails before the syscall."""
    attempts = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):
        def connect(sock, address):
            attempts.append(tuple(address[:2]))
            if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
                raise AssertionError(f"a test tried to connect to {address[0]}")
            return real(sock, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))
    return attempts


DNS = {
    "page.test": ["127.0.0.1"], "localhost": ["127.0.0.1", "::1"], "localhost.": ["127.0.0.1"],
    "intranet.test": ["10.0.0.1"], "metadata.test": ["169.254.169.254"],
    "router.test": ["192.168.1.1"], "ula.test": ["fd00::1"], "cgnat.test": ["100.64.0.1"],
    "mixed.test": ["93.184.216.34", "10.0.0.1"], "mixed6.test": ["2606:4700::1111", "::1"],
    "mapped.test": ["::ffff:10.0.0.1"], "nat64.test": ["64:ff9b::a9fe:a9fe"],
    "rebind.test": ["127.0.0.1"], "zero.test": ["0.0.0.0"],
}


@pytest.fixture
def dns():
    return FakeDns(dict(DNS))


@pytest.fixture
def fetcher(server, dns):
    return PageFetcher(allow_hosts=[f"127.0.0.1:{server.port}", f"page.test:{server.port}"],
                       connect_timeout=1.0, total_timeout=2.0, max_bytes=64 * 1024,
                       user_agent="trialbuzz-test", resolver=dns)


# --- pages that may be fetched ---------------------------------------------------------------

def test_allowed_server_page_is_fetched(fetcher, server):
    url = f"http://127.0.0.1:{server.port}/html"
    assert fetcher.fetch(url) == Page(url, 200, "text/html", HTML)


def test_request_sends_host_user_agent_and_accept(fetcher, server):
    headers = json.loads(fetcher.fetch(f"http://127.0.0.1:{server.port}/echo-headers").text)
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["User-Agent"] == "trialbuzz-test"
    assert headers["Accept"] == ACCEPT == "text/html,application/xhtml+xml,text/plain;q=0.9"


def test_name_is_resolved_once_and_the_checked_address_is_used(fetcher, server, dns, connections):
    answers = iter([["127.0.0.1"]])
    dns.answers["page.test"] = lambda: next(answers, ["10.0.0.1"])  # a rebinding second answer
    page = fetcher.fetch(f"http://page.test:{server.port}/echo-headers")
    assert json.loads(page.text)["Host"] == f"page.test:{server.port}"
    assert dns.lookups == ["page.test"]
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("path, text", [
    ("/latin1", "café"), ("/meta", "€ 5"), ("/http-equiv", "привет"),
    ("/bogus-charset", "café"), ("/bad-bytes", "café \ufffd"), ("/bom", "café"),
    ("/utf16-label", "café"), ("/ebcdic-label", "café"),
])
def test_text_is_decoded_by_bom_then_header_then_meta_then_utf8(fetcher, server, path, text):
    assert text in fetcher.fetch(f"http://127.0.0.1:{server.port}{path}").text


@pytest.mark.parametrize("path, content_type", [
    ("/text", "text/plain"), ("/xhtml", "application/xhtml+xml"),
    ("/exact-limit", "text/plain"),
])
def test_text_and_xhtml_pages_are_accepted(fetcher, server, path, content_type):
    assert fetcher.fetch(f"http://127.0.0.1:{server.port}{path}").content_type == content_type


@pytest.mark.parametrize("path, final", [
    ("/relative", "/text"), ("/chain/5", "/chain/0"),
    ("/redirect?to=/html&status=307", "/html"), ("/redirect?to=/html&status=308", "/html"),
])
def test_permitted_redirects_end_at_the_final_url(fetcher, server, path, final):
    assert fetcher.fetch(f"http://127.0.0.1:{server.port}{path}").url == (
        f"http://127.0.0.1:{server.port}{final}")


# --- pages that are refused or fail ----------------------------------------------------------

@pytest.mark.parametrize("path, shown", [
    ("/pdf", "(application/pdf)"), ("/json", "(application/json)"), ("/no-type", "(no Content-Type)"),
])
def test_other_content_types_are_refused(fetcher, server, path, shown):
    with pytest.raises(UrlRefused, match="not an HTML or text page") as info:
        fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")
    assert info.value.message.endswith(shown)


@pytest.mark.parametrize("path", ["/huge-stream", "/over-limit"])
def test_pages_over_the_size_limit_are_cut_there_and_say_so(fetcher, server, path):
    start = time.monotonic()
    page = fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")
    assert time.monotonic() - start < 1
    assert page.truncated is True and len(page.text) == 64 * 1024
    assert page.text.startswith(("<p>x", "NCT04280705 x"))


def test_a_page_of_exactly_the_limit_is_whole(fetcher, server):
    assert fetcher.fetch(f"http://127.0.0.1:{server.port}/exact-limit").truncated is False


def test_default_limit_is_two_megabytes(server):
    fetcher = PageFetcher(allow_hosts=[f"127.0.0.1:{server.port}"])
    page = fetcher.fetch(f"http://127.0.0.1:{server.port}/huge-stream")
    assert page.truncated is True and len(page.text) == 2 * 1024 * 1024


@pytest.mark.parametrize("path", ["/short", "/huge-declared"])
def test_a_body_shorter_than_its_content_length_is_an_error(fetcher, server, path):
    with pytest.raises(PageFetchError, match="closed the connection before the whole page"):
        fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")


@pytest.mark.parametrize("path", ["/drip", "/drip-unsized", "/drip-headers"])
def test_slow_drip_is_cut_at_the_deadline(server, path):
    fetcher = PageFetcher(allow_hosts=[f"127.0.0.1:{server.port}"], total_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout, match="longer than 0.5 s"):
        fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")
    assert 0.4 < time.monotonic() - start < 1.5


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_upstream_errors_are_page_fetch_errors(fetcher, server, status):
    with pytest.raises(PageFetchError, match=f"HTTP {status}"):
        fetcher.fetch(f"http://127.0.0.1:{server.port}/status/{status}")


@pytest.mark.parametrize("path, words", [
    ("/chain/6", "more than 5 redirects"), ("/loop", "more than 5 redirects"),
    ("/no-location", "without a Location"), ("/reset", "reset"),
])
def test_broken_redirects_and_connections_are_page_fetch_errors(fetcher, server, path, words):
    with pytest.raises(PageFetchError, match=words):
        fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")


def test_refused_connection_is_a_page_fetch_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        fetcher = PageFetcher(allow_hosts=[f"127.0.0.1:{port}"], total_timeout=2.0)
        with pytest.raises(PageFetchError, match="could not connect"):
            fetcher.fetch(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("url", [
    None, "", "not a url", "/relative/path", "//example.com/", "ftp://example.com/",
    "file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1:70/", "http://",
    "http://exa mple.com/", "http://example.com\\@127.0.0.1/", "http://a:99999/", "http://a:0/",
    "http://a:x/", "http://-bad-.com/", "http://a..b/", "http://bad!.com/", "http://256.1.1.1/",
    "http://[::1/", "http://example.123/", "http://%31%32%37.0.0.1/", "http://a\tb/",
])
def test_malformed_urls_are_invalid_before_any_lookup(fetcher, dns, connections, url):
    with pytest.raises(InvalidUrl):
        fetcher.fetch(url)
    assert dns.lookups == [] and connections == []


def test_unicode_host_names_are_looked_up_in_idna_form(fetcher, dns):
    with pytest.raises(PageFetchError, match="could not resolve xn--bcher-kva.example"):
        fetcher.fetch("http://Bücher.example/")
    assert dns.lookups == ["xn--bcher-kva.example"]


# --- SSRF: nothing may reach the canary or a non-public address ------------------------------

DIRECT = [
    "http://127.0.0.1:{port}/", "http://127.0.0.2:{port}/", "http://[::1]:{port}/",
    "http://localhost:{port}/", "http://LOCALHOST.:{port}/", "http://2130706433:{port}/",
    "http://0x7f000001:{port}/", "http://0x7f.1:{port}/", "http://017700000001:{port}/",
    "http://0177.0.0.1:{port}/", "http://127.1:{port}/", "http://127.0.1:{port}/",
    "http://127.0.0.1.:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/", "http://[0:0:0:0:0:0:0:1]:{port}/", "http://0.0.0.0:{port}/",
    "http://0:{port}/", "http://[::]:{port}/", "http://[::127.0.0.1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/", "http://[2002:7f00:1::]:{port}/",
    "http://[fe80::1%25lo]:{port}/", "https://127.0.0.1:{port}/", "http://rebind.test:{port}/",
    "http://zero.test:{port}/", "http://user:pw@127.0.0.1:{port}/",
]


def _needs_ipv6(canary, url):
    if "[::1]" in url and not canary.has_ipv6:
        pytest.skip("no IPv6 loopback here")


@pytest.mark.parametrize("template", DIRECT)
def test_loopback_in_any_spelling_is_refused_before_connecting(
        fetcher, canary, connections, template):
    url = template.format(port=canary.port)
    _needs_ipv6(canary, url)
    with pytest.raises(UrlRefused):
        fetcher.fetch(url)
    assert connections == []
    assert canary.accepted() == 0


REDIRECTS = [
    "http://127.0.0.1:{port}/", "http://[::1]:{port}/", "http://127.0.0.2:{port}/",
    "http://localhost:{port}/", "http://2130706433:{port}/", "http://0x7f.1:{port}/",
    "http://017700000001:{port}/", "http://[::ffff:127.0.0.1]:{port}/", "http://0.0.0.0:{port}/",
    "https://localhost:{port}/", "http://metadata.test:{port}/latest/meta-data/",
    "file:///etc/passwd", "gopher://127.0.0.1:{port}/_", "ftp://127.0.0.1:{port}/",
    "http://user:pw@127.0.0.1:{port}/", "//127.0.0.1:{port}/", "http://[::1", "http://a b/",
]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("template", REDIRECTS)
def test_redirects_are_checked_again_before_connecting(
        fetcher, server, canary, connections, template, status):
    target = template.format(port=canary.port)
    _needs_ipv6(canary, target)
    with pytest.raises(UrlRefused):
        fetcher.fetch(f"http://127.0.0.1:{server.port}/redirect?to={quote(target)}&status={status}")
    assert set(connections) == {("127.0.0.1", server.port)}
    assert canary.accepted() == 0


def test_redirect_chain_to_the_canary_is_refused_at_the_last_hop(
        fetcher, server, canary, connections):
    inner = f"/redirect?to={quote(f'http://0x7f.1:{canary.port}/')}"
    with pytest.raises(UrlRefused, match="redirected to http://0x7f.1"):
        fetcher.fetch(f"http://page.test:{server.port}/redirect?to={quote(inner)}")
    assert len(connections) == 2 and set(connections) == {("127.0.0.1", server.port)}
    assert canary.accepted() == 0


def test_other_spelling_of_the_allowed_host_is_not_allowed(fetcher, server, connections):
    with pytest.raises(UrlRefused, match="loopback"):
        fetcher.fetch(f"http://127.0.0.1:{server.port}/redirect?to=http://2130706433:{server.port}/html")
    assert connections == [("127.0.0.1", server.port)]
    assert server.paths()[-1].startswith("/redirect")


@pytest.mark.parametrize("host, shown", [
    ("intranet.test", "resolves to 10.0.0.1, a private address"),
    ("metadata.test", "resolves to 169.254.169.254, a link-local address"),
    ("router.test", "resolves to 192.168.1.1, a private address"),
    ("ula.test", "resolves to fd00::1, a private (unique local) address"),
    ("mixed.test", "resolves to 10.0.0.1, a private address"),
    ("mixed6.test", "resolves to ::1, a loopback address"),
    ("cgnat.test", "resolves to 100.64.0.1, a shared (CGNAT) address"),
    ("mapped.test", "a private address (IPv4-mapped 10.0.0.1)"),
    ("nat64.test", "a link-local address (NAT64 for 169.254.169.254)"),
])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_names_resolving_to_private_addresses_are_refused(
        fetcher, canary, connections, dns, host, shown, scheme):
    with pytest.raises(UrlRefused, match=shown.replace("(", r"\(").replace(")", r"\)")):
        fetcher.fetch(f"{scheme}://{host}/")
    assert dns.lookups == [host]
    assert connections == []
    assert canary.accepted() == 0


# --- HTTPS: the checked address on the wire, the host name in SNI and the certificate ---------

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=page.test",
         "-addext", "subjectAltName=DNS:page.test"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server()
    server.sni = []
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.cert = str(cert)
    yield from server.running()


def _tls_fetcher(tls_server, dns, ca_certs):
    return PageFetcher(allow_hosts=[f"page.test:{tls_server.port}", f"wrong.test:{tls_server.port}"],
                       total_timeout=2.0, resolver=dns, ca_certs=ca_certs)


def test_https_uses_the_host_name_for_sni_and_certificate(tls_server, dns, connections):
    page = _tls_fetcher(tls_server, dns, tls_server.cert).fetch(
        f"https://page.test:{tls_server.port}/html")
    assert page.text == HTML
    assert tls_server.sni[-1] == "page.test"
    assert connections == [("127.0.0.1", tls_server.port)]


@pytest.mark.parametrize("host, ca", [("page.test", None), ("wrong.test", "own")])
def test_https_certificate_problems_are_page_fetch_errors(tls_server, dns, host, ca):
    dns.answers["wrong.test"] = ["127.0.0.1"]
    fetcher = _tls_fetcher(tls_server, dns, tls_server.cert if ca else None)
    with pytest.raises(PageFetchError, match="TLS"):
        fetcher.fetch(f"https://{host}:{tls_server.port}/html")
