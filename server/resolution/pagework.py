"""A bound on page resolutions in flight, so that other routes always find a free thread.

Fetching a page is slow and reading it costs CPU; without a bound, a few clients resolving large
pages hold every server thread and even /healthz waits. Past `in_flight` resolutions a request
is told to come back shortly; at most `readers` pages are read at once, the rest wait their turn
within the fetch deadline.
"""

import threading
from contextlib import contextmanager

from trialbuzz.errors import Busy

RETRY_AFTER = 2


class PageWork:
    """Slots for page resolutions in flight, and turns for reading fetched pages."""

    def __init__(self, in_flight, readers, wait):
        self._slots = threading.BoundedSemaphore(max(1, in_flight))
        self._readers = threading.BoundedSemaphore(max(1, readers))
        self.wait = wait

    @contextmanager
    def slot(self):
        """Hold one of the resolution slots, or raise Busy at once when none is free."""
        if not self._slots.acquire(blocking=False):
            raise Busy("Too many pages are being read right now; try again in a moment.",
                       retry_after=RETRY_AFTER)
        try:
            yield
        finally:
            self._slots.release()

    @contextmanager
    def reading(self):
        """Take a turn at reading a page, waiting at most `wait` seconds for one."""
        if not self._readers.acquire(timeout=self.wait):
            raise Busy("Too many pages are being read right now; try again in a moment.",
                       retry_after=RETRY_AFTER)
        try:
            yield
        finally:
            self._readers.release()
