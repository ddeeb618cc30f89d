"""The WSGI server `trialbuzz serve` runs: waitress, with health checks answered ahead of the
requests already queued, so that a load balancer's probe says whether the process is alive
rather than how long its queue is."""

from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

HEALTH_PATH = "/healthz"


class HealthFirst(ThreadedTaskDispatcher):
    """Waitress's thread pool, with a connection whose next request is the health check put at
    the head of the queue instead of its tail; every other request keeps its turn."""

    def add_task(self, task):
        if not _asks_for_health(task):
            super().add_task(task)
            return
        with self.lock:
            self.queue.appendleft(task)
            self.queue_cv.notify()


def _asks_for_health(task):
    """Whether the next request of a queued connection is the health check."""
    requests = getattr(task, "requests", None)
    return bool(requests) and getattr(requests[0], "path", None) == HEALTH_PATH


def serve(app, host, port, threads):
    """Serve `app` on host:port with `threads` request threads until stopped."""
    dispatcher = HealthFirst()
    dispatcher.set_thread_count(threads)
    server = create_server(app, host=host, port=port, threads=threads, ident="trialbuzz",
                           _dispatcher=dispatcher)
    try:
        server.run()
    finally:
        dispatcher.shutdown()
