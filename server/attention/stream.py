"""Reading the Bluesky firehose (Jetstream): one reader per deployment, resumed from its cursor.

The reader holds a lease on its row in `stream_cursors`; another process (a second worker)
waits until the lease runs out. It saves the time of the last event it read every few seconds
and, after a restart or a dropped connection, asks Jetstream to replay from a little before
it: posts are filed by their identity, so a replayed post is stored once, and none is lost.
"""

import json
import logging
import os
import random
import socket
import threading
import time
from collections import OrderedDict
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, update
from websockets.exceptions import InvalidURI, WebSocketException
from websockets.sync.client import connect

from trialbuzz.attention.sources.bluesky import (
    POST,
    Bluesky,
    event_cursor,
    identity,
    read_post,
    with_handle,
)
from trialbuzz.clock import aware, utcnow
from trialbuzz.storage.models import StreamCursor

log = logging.getLogger(__name__)
NAME = "bluesky"
# Seconds between saves of the cursor, and of the lease's length (renewed at each save).
SAVE_EVERY = 5.0
LEASE = timedelta(seconds=60)
# A reader resuming a saved cursor starts this many microseconds before it, as Jetstream
# advises (its instances' clocks differ a little); posts read twice are stored once. A
# connection dropped while reading resumes at the last event read, which is known exactly.
REWIND_US = 10_000_000
# Waits between attempts to reconnect: doubling from the first to the last, with jitter.
BACKOFF_FIRST, BACKOFF_LAST = 1.0, 60.0
# Authors whose handle is known, at most this many (identity events name them as they change).
HANDLES_KEPT = 50_000
# The largest event accepted; Jetstream's posts are a few kilobytes.
MAX_EVENT_BYTES = 1 << 20


class Counts:
    """What a reader has done so far, for progress displays."""

    def __init__(self):
        self.events = self.posts = self.filed = self.skipped = self.connections = 0


class BlueskyReader:
    """Reads Jetstream and files the posts naming a study; `run` until `stop` is set."""

    def __init__(self, db, filer, settings, storage=None, clock=utcnow, owner=None):
        self.db = db
        self.filer = filer
        self.url = settings["BLUESKY_JETSTREAM_URL"]
        self.source = Bluesky(settings, storage=storage)
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.counts = Counts()
        self.cursor = None
        self._rewind = False
        self._handles = OrderedDict()
        self._saved_at = 0.0

    # -- the lease and the cursor --------------------------------------------------------

    def claim(self):
        """Take the stream for this process unless another holds an unexpired lease; the
        saved cursor when taken, else raise StreamTaken."""
        now = self.clock()
        with self.db.session() as session:
            row = session.get(StreamCursor, NAME)
            if row is None:
                session.add(StreamCursor(name=NAME, owner=self.owner, lease_until=now + LEASE,
                                         updated_at=now))
                session.flush()
                return None
            taken = session.execute(
                update(StreamCursor).where(
                    StreamCursor.name == NAME,
                    or_(StreamCursor.owner == self.owner, StreamCursor.owner.is_(None),
                        StreamCursor.lease_until.is_(None), StreamCursor.lease_until < now))
                .values(owner=self.owner, lease_until=now + LEASE)).rowcount
            if not taken:
                raise StreamTaken(f"the Bluesky stream is read by {row.owner} until "
                                  f"{aware(row.lease_until).isoformat()}")
            return row.cursor

    def save(self):
        """Save the cursor and renew the lease; raise StreamTaken when the lease was lost."""
        now = self.clock()
        with self.db.session() as session:
            values = {"lease_until": now + LEASE, "updated_at": now}
            if self.cursor is not None:
                values["cursor"] = self.cursor
            kept = session.execute(update(StreamCursor).where(
                StreamCursor.name == NAME, StreamCursor.owner == self.owner).values(
                    **values)).rowcount
        self._saved_at = time.monotonic()
        if not kept:
            raise StreamTaken("the Bluesky stream was taken over by another process")

    def release(self):
        """Save the cursor and give the lease up, so another process may read at once."""
        with self.db.session() as session:
            values = {"owner": None, "lease_until": None, "updated_at": self.clock()}
            if self.cursor is not None:
                values["cursor"] = self.cursor
            session.execute(update(StreamCursor).where(
                StreamCursor.name == NAME, StreamCursor.owner == self.owner).values(**values))

    # -- reading -------------------------------------------------------------------------

    def run(self, stop, since=None, max_events=None):
        """Read until `stop` is set (or `max_events` were read): connect, read, and on any
        failure reconnect after a growing pause, resuming from the cursor. `since` (a cursor)
        overrides the saved one."""
        saved = self.claim()
        self.cursor = since if since is not None else saved
        self._rewind = since is None and saved is not None
        failures = 0
        try:
            while not stop.is_set() and not self._done(max_events):
                try:
                    if self._read(stop, max_events):
                        failures = 0
                except InvalidURI:
                    raise  # a wrong setting: no retry mends it
                except (OSError, TimeoutError, WebSocketException) as exc:
                    failures += 1
                    pause = backoff(failures)
                    log.warning("the Bluesky stream failed (%s); reconnecting in %.1f s",
                                str(exc) or exc.__class__.__name__, pause)
                    stop.wait(pause)
        finally:
            self.release()

    def _done(self, max_events):
        return max_events is not None and self.counts.events >= max_events

    def _read(self, stop, max_events):
        """One connection: read events until stopped or cut off; whether any event came."""
        read_any = False
        with connect(self._address(), open_timeout=10, close_timeout=2,
                     max_size=MAX_EVENT_BYTES) as websocket:
            self.counts.connections += 1
            while not stop.is_set() and not self._done(max_events):
                try:
                    message = websocket.recv(timeout=1.0)
                except TimeoutError:
                    self._save_now_and_then()
                    continue
                read_any = True
                self._rewind = False
                self.handle(message)
                self._save_now_and_then()
        return read_any

    def _address(self):
        """The subscription URL: posts only, from a little before the cursor if there is one."""
        query = {"wantedCollections": POST}
        if self.cursor:
            query["cursor"] = max(1, self.cursor - (REWIND_US if self._rewind else 0))
        return f"{self.url}{'&' if '?' in self.url else '?'}{urlencode(query)}"

    def _save_now_and_then(self):
        if time.monotonic() - self._saved_at >= SAVE_EVERY:
            self.save()

    def handle(self, message):
        """Read one event: keep its cursor and a handle it names; file a post naming a study."""
        self.counts.events += 1
        try:
            event = json.loads(message)
        except (TypeError, ValueError):
            self.counts.skipped += 1
            return
        cursor = event_cursor(event)
        if cursor is not None and (self.cursor is None or cursor > self.cursor):
            self.cursor = cursor
        named = identity(event)
        if named:
            self._remember(*named)
            return
        found = read_post(event)
        if found is None:
            return
        self.counts.posts += 1
        nct_ids, mention = found
        handle = self._handle(mention.extra["did"])
        if handle:
            with_handle(mention, handle)
        self.filer.file(nct_ids, mention)
        self.counts.filed += len(nct_ids)

    def _remember(self, did, handle):
        self._handles[did] = handle
        self._handles.move_to_end(did)
        while len(self._handles) > HANDLES_KEPT:
            self._handles.popitem(last=False)

    def _handle(self, did):
        """The author's handle: from an identity event seen, else the public AppView."""
        if did not in self._handles:
            handle = self.source.handle_of(did, deadline=time.monotonic() + 10)
            if handle is None:
                return None
            self._remember(did, handle)
        return self._handles[did]


class StreamTaken(Exception):
    """Another process reads the stream."""


def backoff(failures):
    """Seconds to wait after `failures` failed connections in a row: doubling from
    BACKOFF_FIRST up to BACKOFF_LAST, each between half and all of that (so that readers cut
    off together do not all come back at once)."""
    return min(BACKOFF_LAST, BACKOFF_FIRST * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)


def start_in_background(state, stop):
    """Run the reader of `state`'s app in a daemon thread until `stop` is set, retrying the
    claim while another process holds the stream; the thread."""

    def loop():
        reader = state.bluesky_reader()
        while not stop.is_set():
            try:
                reader.run(stop)
            except StreamTaken as exc:
                log.info("%s; trying again in a minute", exc)
                stop.wait(LEASE.total_seconds())
            except Exception:  # noqa: BLE001 - a bug must not end the worker
                log.exception("the Bluesky stream stopped")
                stop.wait(BACKOFF_LAST)

    thread = threading.Thread(target=loop, name="trialbuzz-bluesky", daemon=True)
    thread.start()
    return thread
