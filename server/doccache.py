"""Assembled trial documents kept in memory until what they were built from changes."""

import threading
import time
from collections import OrderedDict


class DocumentCache:
    """A bounded LRU of documents, invalidated per trial; entries also expire after `ttl` s.

    Invalidation reaches this process only; the expiry bounds how long another process's
    refresh stays unseen here.
    """

    def __init__(self, size=2048, ttl=30.0):
        self.size = size
        self.ttl = ttl
        self._entries = OrderedDict()
        self._generations = {}
        self._lock = threading.Lock()

    def get(self, key):
        """The value stored under `key`, or None when absent, expired or invalidated."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            nct_id, generation, stored_at, value = entry
            if (self._generations.get(nct_id, 0) != generation
                    or time.monotonic() - stored_at > self.ttl):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def generation(self, nct_id):
        """The current generation of trial `nct_id`: read it before reading the store."""
        with self._lock:
            return self._generations.get(nct_id, 0)

    def put(self, key, nct_id, value, generation):
        """Store `value`, built from the store as it was at `generation` of trial `nct_id`;
        dropped if the trial changed since."""
        with self._lock:
            if self._generations.get(nct_id, 0) != generation:
                return
            self._entries[key] = (nct_id, generation, time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def invalidate(self, nct_id):
        """Forget every document built for trial `nct_id`."""
        with self._lock:
            self._generations[nct_id] = self._generations.get(nct_id, 0) + 1
