"""Assembled trial documents kept in memory until what they were built from changes (a
change anywhere, when the generations of trials are shared through Redis)."""

import logging
import threading
import time
from collections import OrderedDict
from sys import getsizeof

from trialbuzz import shared

log = logging.getLogger(__name__)


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


class LocalGenerations:
    """Per-trial generations in this process's memory, for the last `trials` trials changed."""

    def __init__(self, trials=20_000):
        self.trials = trials
        # Generations come from one counter; a trial forgotten here takes `_floor`, which is
        # at least the generation it had, so a document built before it changed still misses.
        self._generations = OrderedDict()
        self._counter = 0
        self._floor = 0
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._generations)

    def current(self, nct_id):
        """The generation of trial `nct_id`."""
        with self._lock:
            return self._generations.get(nct_id, self._floor)

    def bump(self, nct_id):
        """Give trial `nct_id` a generation it never had."""
        with self._lock:
            self._counter += 1
            self._generations[nct_id] = self._counter
            self._generations.move_to_end(nct_id)
            if len(self._generations) > self.trials:
                # The oldest change has the smallest generation: raising the floor to it
                # keeps every forgotten trial's generation from going back.
                _, oldest = self._generations.popitem(last=False)
                self._floor = max(self._floor, oldest)


class SharedGenerations:
    """Generations every process sees: this process's own, paired with a counter in Redis.

    A Redis generation read is reused for `ttl` seconds. While Redis is unreachable the last
    ones read are kept, so the cache behaves as without Redis: this process's changes show at
    once, other processes' when the documents expire."""

    # A new value of one counter per change, so a trial's key that expired and came back never
    # repeats a generation an old document was built at; the counter starts at the server's
    # clock in microseconds, so it does not repeat itself after a Redis that lost its data.
    BUMP = """if redis.call('EXISTS', KEYS[1]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] * 1000000 + now[2])
end
local generation = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], generation, 'EX', ARGV[1])
return generation"""
    # Seconds Redis is left alone after a failed call.
    PAUSE = 5.0

    def __init__(self, client, prefix, ttl=1.0, keep=24 * 3600, trials=20_000):
        self.local = LocalGenerations(trials)
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
        # Seconds a trial's counter stays in Redis after its last change: far longer than a
        # document is cached.
        self.keep = int(keep)
        self.trials = trials
        self._bump = client.register_script(self.BUMP)
        self._read = OrderedDict()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def __len__(self):
        return len(self.local)

    def current(self, nct_id):
        """This process's generation of `nct_id` and the shared one (None if never changed
        or not known while Redis is unreachable)."""
        now = time.monotonic()
        with self._lock:
            read = self._read.get(nct_id)
            usable = read is not None and (now - read[0] < self.ttl or now < self._paused_until)
            paused = now < self._paused_until
        if not usable and not paused:
            try:
                raw = self.client.get(self.prefix + nct_id)
                read = (now, None if raw is None else int(raw))
                self._remember(nct_id, read)
            except Exception:  # noqa: BLE001 - any Redis failure leaves the local behaviour
                self._pause("reading")
        return self.local.current(nct_id), None if read is None else read[1]

    def bump(self, nct_id):
        """A new generation of `nct_id`, here at once and, through Redis, everywhere."""
        self.local.bump(nct_id)
        if time.monotonic() < self._paused_until:
            return
        try:
            generation = self._bump(keys=[self.prefix + "counter", self.prefix + nct_id],
                                    args=[self.keep])
            self._remember(nct_id, (time.monotonic(), int(generation)))
        except Exception:  # noqa: BLE001 - any Redis failure leaves the local behaviour
            self._pause("writing")

    def _remember(self, nct_id, read):
        """Keep a generation read, for the last `trials` trials."""
        with self._lock:
            self._read[nct_id] = read
            self._read.move_to_end(nct_id)
            while len(self._read) > self.trials:
                self._read.popitem(last=False)

    def _pause(self, doing):
        """Leave Redis alone for a while after a failure, saying so once."""
        with self._lock:
            if time.monotonic() < self._paused_until:
                return
            self._paused_until = time.monotonic() + self.PAUSE
        log.warning("%s document cache generations in Redis failed; other processes' "
                    "changes show when cached documents expire", doing, exc_info=True)


def generations_for(settings):
    """The generation store the settings ask for: shared through Redis when REDIS_URL is set."""
    client = shared.connect(settings)
    if client is None:
        return LocalGenerations()
    return SharedGenerations(client, shared.namespace(settings) + "docgen:",
                             keep=max(24 * 3600, 2 * settings["DOCUMENT_CACHE_SECONDS"]))


class DocumentCache:
    """A bounded LRU of documents, invalidated per trial; entries also expire after `ttl` s.

    Invalidation reaches other processes only through a shared generation store; the expiry
    bounds how long another process's refresh stays unseen without one. The cache holds at
    most `size` entries and `max_bytes` of their stated sizes.
    """

    def __init__(self, size=2048, ttl=30.0, max_bytes=64 * 1024 * 1024, trials=20_000,
                 generations=None):
        self.size = size
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.generations = LocalGenerations(trials) if generations is None else generations
        self._entries = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings):
        """The cache the settings ask for, its generations shared when REDIS_URL is set."""
        return cls(size=settings["DOCUMENT_CACHE_ENTRIES"],
                   ttl=settings["DOCUMENT_CACHE_SECONDS"],
                   max_bytes=settings["DOCUMENT_CACHE_BYTES"],
                   generations=generations_for(settings))

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
        # Read outside the lock: a shared store answers over the network.
        current = self.generations.current(nct_id)
        with self._lock:
            if current != generation or time.monotonic() - stored_at > self.ttl:
                if self._entries.get(key) is entry:
                    self._drop(key)
                return None
            if key in self._entries:
                self._entries.move_to_end(key)
            return value

    def generation(self, nct_id):
        """The current generation of trial `nct_id`: read it before reading the store."""
        return self.generations.current(nct_id)

    def put(self, key, nct_id, value, generation, size=0):
        """Store `value` of about `size` bytes, built from the store as it was at `generation`
        of trial `nct_id`; dropped if the trial changed since or it alone exceeds the bound."""
        current = self.generations.current(nct_id)
        with self._lock:
            if current != generation or size > self.max_bytes:
                return
            self._drop(key)
            self._entries[key] = (nct_id, generation, time.monotonic(), value, size)
            self._bytes += size
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def invalidate(self, nct_id):
        """Forget every document built for trial `nct_id`, in every process sharing the store."""
        self.generations.bump(nct_id)

    def _drop(self, key):
        """Remove an entry if present (called with the lock held)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[4]
