"""A threaded HTTP server on a free loopback port, served from a background thread: the base of
the tests' fake upstreams and proxies."""

import sys
import threading
from http.server import ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    """A client that hangs up (the app's timeouts, a test that stops the server mid-answer) is
    expected here, not an error to print; anything else is still printed."""

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)) \
                or (isinstance(error, ValueError) and "closed file" in str(error)):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """Serves `handler_class` on 127.0.0.1; `start()`, `url`, `stop()`."""

    def __init__(self, handler_class):
        self.server = _Server(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        # A short poll interval lets stop() return at once rather than after half a second.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self):
        """Base URL of the server."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
