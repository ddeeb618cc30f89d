"""A local HTTP server that plays an upstream service: routes, delays, failures, call counts."""

import json
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from loopback import LoopbackServer


@dataclass
class Reply:
    """What the fake answers: status, headers, body, and how slowly."""

    status: int = 200
    body: bytes | str = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0          # seconds before the status line
    drip: float = 0.0           # seconds between body bytes (a server that drips)
    reset: bool = False         # drop the connection without answering
    sized: bool = True          # False: no Content-Length, the body ends when the connection does
    length: int | None = None   # a Content-Length other than the body's; the server then closes

    @classmethod
    def json(cls, data, status=200, **kwargs):
        """A JSON reply."""
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return cls(status, json.dumps(data), headers, **kwargs)

    @classmethod
    def text(cls, text, status=200, content_type="text/plain", **kwargs):
        """A text reply."""
        headers = {"Content-Type": f"{content_type}; charset=utf-8", **kwargs.pop("headers", {})}
        return cls(status, text, headers, **kwargs)


@dataclass
class Request:
    """A request the fake received."""

    method: str
    path: str
    query: dict
    headers: dict
    params: dict
    at: float = field(default_factory=time.monotonic)
    body: bytes = b""

    def arg(self, name, default=None):
        """The first value of query parameter `name`."""
        return self.query.get(name, [default])[0]


class FakeUpstream(LoopbackServer):
    """Routes `{placeholder}` path patterns to handlers; counts and records every call."""

    def __init__(self):
        self.routes = []
        self.calls = Counter()
        self.requests = []
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    def route(self, pattern, handler):
        """Answer paths matching `pattern` with `handler(request, **params)` (a Reply or a list)."""
        regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)",
                                        re.escape(pattern)) + "$")
        if isinstance(handler, (Reply, list)):
            handler = _sequence(handler)
        self.routes.insert(0, (pattern, regex, handler))

    def count(self, pattern):
        """How many calls the route `pattern` answered."""
        return self.calls[pattern]

    def _dispatch(self, method, raw_path, headers, body=b""):
        """Find the route for a request and produce its Reply."""
        parts = urlsplit(raw_path)
        for pattern, regex, handler in self.routes:
            match = regex.match(parts.path)
            if match:
                request = Request(method, parts.path, parse_qs(parts.query), headers,
                                  match.groupdict(), body=body)
                with self._lock:
                    self.calls[pattern] += 1
                    self.requests.append(request)
                return handler(request, **match.groupdict())
        return Reply.text("no such route in the fake", status=404)

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY each answer would
            # wait ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 - http.server's naming
                self._answer(fake._dispatch("GET", self.path, dict(self.headers)))

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(fake._dispatch("POST", self.path, dict(self.headers), body))

            def _answer(self, reply):
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    # Linger 0 turns the close into a reset; the file objects hold the socket
                    # open too, so they are closed first.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    self.rfile.close()
                    self.wfile.close()
                    self.connection.close()
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.sized:
                    self.send_header("Content-Length", str(len(body) if reply.length is None
                                                           else reply.length))
                else:
                    self.send_header("Connection", "close")
                if not reply.sized or reply.length is not None:
                    self.close_connection = True
                self.end_headers()
                try:
                    if reply.drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        return Handler


def _sequence(replies):
    """A handler that answers with each reply in turn, then repeats the last."""
    replies = [replies] if isinstance(replies, Reply) else list(replies)
    state = {"i": 0}
    lock = threading.Lock()

    def handler(request, **params):
        with lock:
            reply = replies[min(state["i"], len(replies) - 1)]
            state["i"] += 1
        return reply

    return handler
