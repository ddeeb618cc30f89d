"""One piece of work per key at a time: callers asking for a key already in flight share its result."""

import threading
from concurrent.futures import Future

from trialbuzz.errors import Busy

# Queued work holds a Future and its arguments (a trial record of a few kilobytes) until it
# runs; past this many keys at once, new work is turned away rather than queued.
MAX_QUEUED = 1000


class SingleFlight:
    """Keyed de-duplication of concurrent work within one process, with a bounded queue."""

    def __init__(self, limit=MAX_QUEUED):
        self.limit = limit
        self._inflight = {}
        # Re-entrant: work that is already done when its callback is attached runs the callback
        # at once, in this thread, while the lock is still held.
        self._lock = threading.RLock()

    def submit(self, key, executor, fn, *args):
        """Run `fn(*args)` on `executor` unless `key` is already in flight; return the Future,
        failed with Busy when `limit` keys are in flight already."""
        with self._lock:
            future = self._inflight.get(key)
            if future is None and len(self._inflight) >= self.limit:
                future = Future()
                future.set_exception(Busy())
            elif future is None:
                future = executor.submit(fn, *args)
                self._track(key, future)
            return future

    def call(self, key, fn, *args):
        """Run `fn(*args)` in this thread, or wait for the caller already running it for `key`."""
        with self._lock:
            future = self._inflight.get(key)
            leader = future is None
            if leader:
                future = Future()
                self._track(key, future)
        if leader:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def in_flight(self, key):
        """Whether work for `key` is under way."""
        with self._lock:
            return key in self._inflight

    def _track(self, key, future):
        """Remember `future` until it is done (called with the lock held)."""
        self._inflight[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key, future):
        """Drop a finished piece of work, unless a newer one already took its place."""
        with self._lock:
            if self._inflight.get(key) is future:
                del self._inflight[key]
