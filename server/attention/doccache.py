"""Assembled trial documents kept in memory until what they were built from changes."""

import threading
import time
from collections import OrderedDict
from sys import getsizeof


def approximate_size(value):
    """Roughly the bytes `value` holds: sys.getsizeof summed over its containers and values.
    Dictionary keys are left out: a document's keys are the same few strings, shared."""
    size = getsizeof(value)
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        return size
    for item in value:
        size += approximate_size(item) if isinstance(item, (dict, list, tuple)) else \
            getsizeof(item)
    return size


class DocumentCache:
    """A bounded LRU of documents, invalidated per trial; entries also expire after `ttl` s.

    Invalidation reaches this process only; the expiry bounds how long another process's
    refresh stays unseen here. The cache holds at most `size` entries and `max_bytes` of
    their stated sizes; it remembers the generations of the last `trials` trials changed.
    """

    def __init__(self, size=2048, ttl=30.0, max_bytes=64 * 1024 * 1024, trials=20_000):
        self.size = size
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.trials = trials
        self._entries = OrderedDict()
        self._bytes = 0
        # Generations come from one counter; a trial forgotten here takes `_floor`, which is
        # at least the generation it had, so a document built before it changed still misses.
        self._generations = OrderedDict()
        self._counter = 0
        self._floor = 0
        self._lock = threading.Lock()

    def __len__(self):
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self):
        """The stated sizes of the entries held, summed."""
        with self._lock:
            return self._bytes

    def get(self, key):
        """The value stored under `key`, or None when absent, expired or invalidated."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            nct_id, generation, stored_at, value, _ = entry
            if (self._generation(nct_id) != generation
                    or time.monotonic() - stored_at > self.ttl):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def generation(self, nct_id):
        """The current generation of trial `nct_id`: read it before reading the store."""
        with self._lock:
            return self._generation(nct_id)

    def put(self, key, nct_id, value, generation, size=0):
        """Store `value` of about `size` bytes, built from the store as it was at `generation`
        of trial `nct_id`; dropped if the trial changed since or it alone exceeds the bound."""
        with self._lock:
            if self._generation(nct_id) != generation or size > self.max_bytes:
                return
            self._drop(key)
            self._entries[key] = (nct_id, generation, time.monotonic(), value, size)
            self._bytes += size
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def invalidate(self, nct_id):
        """Forget every document built for trial `nct_id`."""
        with self._lock:
            self._counter += 1
            self._generations[nct_id] = self._counter
            self._generations.move_to_end(nct_id)
            if len(self._generations) > self.trials:
                # The oldest change has the smallest generation: raising the floor to it
                # keeps every forgotten trial's generation from going back.
                _, oldest = self._generations.popitem(last=False)
                self._floor = max(self._floor, oldest)

    def _generation(self, nct_id):
        """The generation of `nct_id` (called with the lock held)."""
        return self._generations.get(nct_id, self._floor)

    def _drop(self, key):
        """Remove an entry if present (called with the lock held)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[4]
