"""The task engine: Huey, on SQLite beside the database by default and on Redis when REDIS_URL
is set; the app's jobs are registered on it, and web processes enqueue and wait, never run them
(but for the embedded consumer's threads, in the default set-up)."""

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict

from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from trialbuzz.errors import UpstreamUnavailable
from trialbuzz.jobs.work import QUEUED, RUNNING, VIEW_EVERY, Status

log = logging.getLogger(__name__)
# How often an idle embedded worker looks at a SQLite queue (Redis wakes it at once).
SQLITE_POLL = 0.1
# How often a waiting request looks at the store for the work it waits on.
WAIT_POLL = 0.1
# Refreshes `request_many` queues on the caller's thread; the rest go through one job.
REQUESTED_NOW = 20
# Trials whose last counted view this process remembers (older ones are simply counted again).
VIEWS_REMEMBERED = 10_000


def queue_name(database_url):
    """A queue name of the database's own: two deployments never share jobs."""
    return "trialbuzz-" + hashlib.sha256(database_url.encode()).hexdigest()[:12]


def queue_file(database_url, instance_path):
    """The SQLite queue of the embedded default: beside a SQLite database, else per database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        stem, _ = os.path.splitext(url.database)
        return stem + ".queue.sqlite3"
    os.makedirs(instance_path, exist_ok=True)
    return os.path.join(instance_path, f"{queue_name(database_url)}.queue.sqlite3")


def build_huey(settings, instance_path):
    """The Huey of these settings: Redis when REDIS_URL is set, else SQLite."""
    name = queue_name(settings["DATABASE_URL"])
    if settings.get("REDIS_URL"):
        return RedisHuey(name, url=settings["REDIS_URL"], results=False, utc=True)
    return SqliteHuey(name, filename=queue_file(settings["DATABASE_URL"], instance_path),
                      results=False, utc=True)


class EmbeddedConsumer(Consumer):
    """A consumer in threads of a process it does not own: the server keeps its signals."""

    def _set_signal_handlers(self):
        pass


class Jobs:
    """The app's background work: refreshes queued once, run by workers, waited for a bounded
    time; and a schedule every minute."""

    def __init__(self, app, huey, book, run_refresh, run_tick, settings, run_sweep=None):
        self.app = app
        self.huey = huey
        self.book = book
        self.embedded = settings["EMBEDDED_WORKER"]
        self.threads = settings["WORKER_THREADS"]
        self._consumer = None
        self._lock = threading.Lock()
        self._viewed = OrderedDict()
        # Requests waiting on cold trials hold server threads: past this many, answer at once.
        self._waiting = threading.BoundedSemaphore(max(1, settings["COLD_WAITERS"]))

        def refresh(nct_id):
            with app.app_context():
                run_refresh(nct_id)

        def tick():
            with app.app_context():
                run_tick()

        def request_many(nct_ids):
            with app.app_context():
                for nct_id in nct_ids:
                    try:
                        self.request(nct_id)
                    except Exception:  # noqa: BLE001 - the schedule queues what is left
                        log.warning("could not queue the refresh of %s", nct_id, exc_info=True)
                        return
        def sweep(source, scope):
            with app.app_context():
                run_sweep(source, scope)

        self.refresh_task = huey.task(name="refresh")(refresh)
        self.sweep_task = huey.task(name="sweep")(sweep)
        self.tick_task = huey.periodic_task(crontab(), name="tick")(tick)
        self.request_many_task = huey.task(name="request_many")(request_many)

    def request(self, nct_id, force=False, viewed=True):
        """Queue a refresh of `nct_id` unless one is queued or under way; True if queued now.
        A refresh nobody asked to see (`viewed` false: a new trial found by a sweep) does not
        count as a view, so the schedule does not keep it fresh for readers."""
        claim = self.book.request(nct_id, force=force, viewed=viewed)
        if claim is None:
            return False
        if claim == "created" and viewed:
            self._seen(nct_id)  # the new row counted this first view
        self.enqueue(nct_id)
        return True

    def request_many(self, nct_ids, now=REQUESTED_NOW):
        """Queue refreshes of many trials: the first `now` here, the rest by one job that
        claims and queues each from a worker, so that a request for hundreds of trials is not
        held up queueing them one by one."""
        nct_ids = list(nct_ids)
        for nct_id in nct_ids[:now]:
            self.request(nct_id)
        if nct_ids[now:]:
            if self.embedded:
                self.start_consumer()
            self.request_many_task(nct_ids[now:])

    def enqueue_sweep(self, source, scope):
        """Put a sweep job on the queue (its row in `sweeps` says it is queued)."""
        if self.embedded:
            self.start_consumer()
        self.sweep_task(source, scope)

    def enqueue(self, nct_id):
        """Put a refresh job on the queue (the work row says it is queued); when the queue
        cannot be reached, the claim is given back and the caller told to come back later."""
        if self.embedded:
            self.start_consumer()
        try:
            self.refresh_task(nct_id)
        except Exception as exc:  # noqa: BLE001 - any failure of the queue's storage
            log.warning("could not queue the refresh of %s: %s", nct_id, exc)
            self.book.release(nct_id)
            raise UpstreamUnavailable("The job queue cannot be reached right now; try again "
                                      "in a minute.", retry_after=60) from exc

    def wait(self, nct_id, timeout):
        """Wait at most `timeout` s for the work on `nct_id` to end: its Status, and whether
        this call waited at all (only COLD_WAITERS requests wait at once; the others return at
        once, without reading anything)."""
        if not self._waiting.acquire(blocking=False):
            return None, False
        try:
            deadline = time.monotonic() + timeout
            while True:
                status = self.book.status(nct_id)
                if status.state not in (QUEUED, RUNNING) or time.monotonic() >= deadline:
                    return status, True
                time.sleep(min(WAIT_POLL, max(0.0, deadline - time.monotonic())))
        finally:
            self._waiting.release()

    def viewed(self, nct_id):
        """Count a reader's request for the schedule; at most once per VIEW_EVERY per process."""
        if not self._seen(nct_id):
            return
        try:
            self.book.viewed(nct_id)
        except Exception:  # noqa: BLE001 - a view not counted must never fail a request
            log.warning("could not count a view of %s", nct_id, exc_info=True)

    def _seen(self, nct_id):
        """Note a view of `nct_id` in this process; False when one was counted lately."""
        now = time.monotonic()
        with self._lock:
            last = self._viewed.get(nct_id)
            if last is not None and now - last < VIEW_EVERY.total_seconds():
                return False
            self._viewed[nct_id] = now
            self._viewed.move_to_end(nct_id)
            while len(self._viewed) > VIEWS_REMEMBERED:
                self._viewed.popitem(last=False)
        return True

    def status(self, nct_id):
        """Where the work on `nct_id` stands."""
        return self.book.status(nct_id) if nct_id else Status()

    def start_consumer(self):
        """Run jobs in threads of this process (the embedded default); once."""
        with self._lock:
            if self._consumer is None:
                self._consumer = self.consumer(EmbeddedConsumer, self.threads)
                self._consumer.start()
        return self._consumer

    def consumer(self, consumer_class=Consumer, threads=None):
        """A consumer of this app's queue, not started."""
        return consumer_class(self.huey, workers=threads or self.threads, worker_type="thread",
                              periodic=True, initial_delay=SQLITE_POLL, max_delay=SQLITE_POLL,
                              backoff=1.0, check_worker_health=False)

    def shutdown(self):
        """Stop the embedded consumer, if it runs, without waiting for its jobs."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=False)
