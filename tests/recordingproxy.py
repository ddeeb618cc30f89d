"""A loopback reverse proxy that records every request it passes to a server: what a browser
sent (method, path with query, headers, body), for tests of what leaves the browser."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import requests

from loopback import LoopbackServer

# Hop-by-hop headers, and those requests recomputes once it has decoded the body.
DROPPED = {"connection", "keep-alive", "transfer-encoding", "content-encoding",
           "content-length", "host"}


@dataclass
class Seen:
    """One request as the proxy received it."""

    method: str
    path: str
    headers: dict
    body: bytes

    def text(self):
        """Everything the request carried, as one string to search."""
        return "\n".join([self.method, self.path,
                          *(f"{k}: {v}" for k, v in self.headers.items()),
                          self.body.decode("utf-8", "replace")])


class RecordingProxy(LoopbackServer):
    """Forwards to `target` (a base URL) and keeps every request in `seen`."""

    def __init__(self, target):
        self.target = target.rstrip("/")
        self.seen = []
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    def requests_to(self, prefix):
        """The requests whose path starts with `prefix`."""
        with self._lock:
            return [seen for seen in self.seen if seen.path.startswith(prefix)]

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers), body)
                with proxy._lock:
                    proxy.seen.append(seen)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in DROPPED}
                answer = requests.request(self.command, proxy.target + self.path,
                                          headers=headers, data=body or None,
                                          allow_redirects=False, timeout=60)
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in DROPPED:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.content)

            do_GET = do_POST = do_HEAD = do_OPTIONS = do_PUT = do_DELETE = _forward  # noqa: N815

            def log_message(self, *args):
                pass

        return Handler
