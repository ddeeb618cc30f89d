"""Refreshing a trial's attention: sources run concurrently, each within the deadline; what
each finds is stored as it arrives. Refreshes run as jobs (see trialbuzz.jobs)."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trialbuzz import strictjson
from trialbuzz.attention import index
from trialbuzz.attention.score import summarize
from trialbuzz.attention.sources.base import storable
from trialbuzz.clock import aware, utcnow
from trialbuzz.errors import TrialbuzzError, UpstreamTimeout
from trialbuzz.storage.models import Mention as MentionRow
from trialbuzz.storage.models import SourceCheck, Trial

log = logging.getLogger(__name__)
RATE_LIMITED_CODES = {"upstream_rate_limited", "rate_limited"}
EXTERNAL_ID_LENGTH = 512
# Rows per INSERT: 100 rows of 14 columns stay far below SQLite's limit on bound parameters.
UPSERT_BATCH = 100
UPSERTED_FIELDS = ("kind", "url", "title", "author", "published_at", "snippet", "language",
                   "extra")


@dataclass
class Outcome:
    """How one source did in one refresh."""

    source: str
    status: str
    mentions: list = field(default_factory=list)
    error: str | None = None
    summary: dict | None = None
    # Items of the answers the source could not read, and left out.
    skipped: int = 0
    # The mentions stored for the trial, when the source was not asked (its sweep has them).
    count: int | None = None


class Harvester:
    """Runs the enabled sources for trials and stores what they find."""

    def __init__(self, db, sources, settings, clock=utcnow):
        self.db = db
        self.sources = list(sources)
        self.deadline = settings["SOURCE_DEADLINE"]
        self.freshness = timedelta(seconds=settings["FRESHNESS"])
        self.retry = timedelta(seconds=settings["SOURCE_RETRY"])
        self.weights = settings["SCORE_WEIGHTS"]
        self.clock = clock
        self._calls = ThreadPoolExecutor(settings["HARVEST_THREADS"],
                                         thread_name_prefix="trialbuzz-source")
        # Called with a trial's ID whenever what is stored for it changes (caches listen).
        self.listeners = []
        # The ids of the sources whose registry-wide sweeps have every trial's mentions now
        # (see trialbuzz.jobs.sweeps): a refresh does not ask them, unless forced.
        self.swept = frozenset

    def harvested_at(self, nct_id):
        """When the trial's attention was last harvested, or None."""
        with self.db.session() as session:
            return session.scalar(select(Trial.harvested_at).where(Trial.nct_id == nct_id))

    def is_fresh(self, nct_id):
        """Whether the trial was harvested within the freshness window."""
        harvested = self.harvested_at(nct_id)
        return harvested is not None and self.clock() - harvested <= self.freshness

    def run(self, trial, force=False):
        """Run every source for `trial` within the deadline, then store the outcomes. A trial
        harvested within the freshness window is left alone unless `force`, but for its failed
        sources whose retry is due: those alone run again. Unless `force`, a source whose sweeps
        cover every trial now is not asked: its stored mentions stand for its answer; nor,
        ever, is a source read only by sweeps (news feeds)."""
        sources, partial = self.sources, False
        if not force and self.is_fresh(trial.nct_id):
            due = self.retry_due(trial.nct_id)
            # A refresh that finished just before this one was asked for did the work.
            if not due:
                return []
            sources, partial = [s for s in self.sources if s.id in due], True
        swept = set() if force else self._swept()
        # A source read only by sweeps has no per-trial call, even when forced.
        calls = [source for source in sources if not getattr(source, "sweep_only", False)
                 and (source.id not in swept or not getattr(source, "calls_upstream", True))]
        # The swept sources' mentions are stored already: they answer from the store.
        skipped = [self._from_sweep(trial.nct_id, source.id) for source in sources
                   if source not in calls]
        # A trial seen for the first time gets its summary after each source, so that a
        # reader who stops waiting sees what the fast sources (and the sweeps) found.
        progressive = self.harvested_at(trial.nct_id) is None
        if skipped:
            self._store_safely(trial.nct_id, skipped, finish=False, summarize=progressive)
        sources = calls
        deadline = time.monotonic() + self.deadline
        futures = {self._calls.submit(self._call, source, trial, deadline): source
                   for source in sources}
        outcomes = []
        try:
            for future in as_completed(futures, timeout=self.deadline + 0.5):
                outcomes.append(future.result())
                self._store_safely(trial.nct_id, outcomes[-1:], finish=False,
                                   summarize=progressive)
        except FutureTimeout:
            pass
        late = [Outcome(source.id, "error", error="timed out")
                for future, source in futures.items() if not future.done()]
        for future in futures:
            # A call still running goes on in its thread, but what it finds is not used.
            future.cancel()
        # Sources tried again alone do not make the whole harvest newer.
        self.store(trial.nct_id, late, finish=not partial, summarize=True)
        return skipped + outcomes + late

    def _swept(self):
        """The swept sources, as far as they can be known now (none when unknown)."""
        try:
            return set(self.swept())
        except Exception:  # noqa: BLE001 - every source is then asked, as without sweeps
            log.warning("could not tell which sources are swept", exc_info=True)
            return set()

    def _from_sweep(self, nct_id, source_id):
        """The outcome of a source whose sweep has the trial's mentions stored already."""
        with self.db.session() as session:
            stored = session.scalar(select(func.count()).select_from(MentionRow).where(
                MentionRow.nct_id == nct_id, MentionRow.source == source_id))
        return Outcome(source_id, "ok", count=stored)

    def refiled(self, nct_ids):
        """Mentions of `nct_ids` were filed by a sweep: the summaries (and the Explorer's
        index) of those harvested before are worked out anew, and caches told."""
        if not nct_ids:
            return
        now = self.clock()
        with self.db.session() as session:
            harvested = session.scalars(select(Trial.nct_id).where(
                Trial.nct_id.in_(nct_ids), Trial.harvested_at.is_not(None))).all()
            for nct_id in harvested:
                summary = self._summarize(session, nct_id, now)
                session.execute(update(Trial).where(Trial.nct_id == nct_id).values(
                    summary=summary))
                session.flush()
                index.store_summary(session, nct_id, summary)
        for nct_id in nct_ids:
            for listener in self.listeners:
                listener(nct_id)

    def failing(self, nct_id):
        """{source id: (failures in a row, first of them, latest)} of the sources whose latest
        check of `nct_id` failed."""
        with self.db.session() as session:
            checks = session.execute(
                select(SourceCheck.source, SourceCheck.status, SourceCheck.checked_at)
                .where(SourceCheck.nct_id == nct_id)
                .order_by(SourceCheck.checked_at.desc(), SourceCheck.id.desc())).all()
        return failing_from(checks)

    def retry_at(self, failures, latest):
        """When a source that failed `failures` times in a row, lastly at `latest`, is tried
        again: SOURCE_RETRY after, doubling with each failure, at most FRESHNESS."""
        wait = min(self.retry.total_seconds() * 2 ** (failures - 1),
                   self.freshness.total_seconds())
        return latest + timedelta(seconds=wait)

    def retry_due(self, nct_id):
        """The enabled sources of `nct_id` that failed and whose retry is due now."""
        enabled = {source.id for source in self.sources}
        now = self.clock()
        return {source for source, (count, _, latest) in self.failing(nct_id).items()
                if source in enabled and self.retry_at(count, latest) <= now}

    def _store_safely(self, nct_id, outcomes, **options):
        """Store one source's outcome; a failure is logged and the other sources go on."""
        try:
            self.store(nct_id, outcomes, **options)
        except Exception:  # noqa: BLE001 - the final store of the refresh still runs
            log.exception("storing %s for %s failed", [o.source for o in outcomes], nct_id)

    def _call(self, source, trial, deadline):
        """One source's call, its failure turned into a status."""
        try:
            found = source.find(trial, deadline=deadline)
            summary = source.summary(trial, deadline=deadline) if hasattr(source,
                                                                           "summary") else None
            mentions = [checked for checked in map(storable, found) if checked is not None]
            skipped = getattr(found, "skipped", 0) + len(found) - len(mentions)
            return Outcome(source.id, "ok", mentions=mentions, summary=_storable(summary),
                           skipped=skipped)
        except UpstreamTimeout:
            return Outcome(source.id, "error", error="timed out")
        except TrialbuzzError as exc:
            status = "rate_limited" if exc.code in RATE_LIMITED_CODES else "error"
            return Outcome(source.id, status, error=exc.message[:300])
        except Exception as exc:  # noqa: BLE001 - a broken source must not break the others
            log.exception("source %s failed for %s", source.id, trial.nct_id)
            # What went wrong inside is in the log above; the pages say only that it did.
            return Outcome(source.id, "error", error="an error in trialbuzz itself")

    def store(self, nct_id, outcomes, finish=True, summarize=True):
        """Upsert the mentions found and record each source check; then re-compute the summary
        (`summarize`) and mark the refresh done (`finish`)."""
        now = self.clock()
        with self.db.session() as session:
            # The trial's row locked first (a write that changes nothing): a summary is read
            # and written by one store at a time, so mentions filed meanwhile by a stream or
            # another refresh are never lost from it.
            session.execute(update(Trial).where(Trial.nct_id == nct_id)
                            .values(fetched_at=Trial.fetched_at))
            for outcome in outcomes:
                found = _unique(outcome.mentions)
                if outcome.status == "ok":
                    _upsert(session, nct_id, found, now)
                session.add(SourceCheck(nct_id=nct_id, source=outcome.source, checked_at=now,
                                        status=outcome.status,
                                        count=len(found) if outcome.count is None
                                        else outcome.count,
                                        error=outcome.error, summary=outcome.summary,
                                        skipped=outcome.skipped))
            session.flush()
            values = {"harvested_at": now} if finish else {}
            if summarize:
                values["summary"] = self._summarize(session, nct_id, now)
            if values:
                session.execute(update(Trial).where(Trial.nct_id == nct_id).values(**values))
            if summarize:
                session.flush()
                index.store_summary(session, nct_id, values["summary"])
        for listener in self.listeners:
            listener(nct_id)

    def _summarize(self, session, nct_id, now):
        """The trial's summary from all its stored mentions; marks duplicate publications."""
        rows = session.scalars(select(MentionRow).where(MentionRow.nct_id == nct_id)).all()
        summary = summarize(rows, self.weights, now)
        duplicates = summary.pop("duplicates")
        for row in rows:
            wanted = duplicates.get(row.id)
            if row.duplicate_of != wanted:
                row.duplicate_of = wanted
        return summary


def failing_from(checks):
    """{source id: (failures in a row, first of them, latest)} of the sources whose latest
    check failed, from (source, status, checked_at) of a trial's checks, newest first."""
    failing, ended = {}, set()
    for source, status, checked_at in checks:
        if source in ended:
            continue
        if status == "ok":
            ended.add(source)
            continue
        count, _, latest = failing.get(source, (0, None, checked_at))
        failing[source] = (count + 1, aware(checked_at), latest and aware(latest))
    return failing


def _storable(summary):
    """A source's summary as strict JSON can hold it; None when it cannot be."""
    try:
        return strictjson.loads(strictjson.dumps(summary))
    except (TypeError, ValueError):
        return None


def _unique(mentions):
    """A source's mentions without repeats of the same external id (the last one wins)."""
    unique = {}
    for mention in mentions:
        mention.external_id = str(mention.external_id)[:EXTERNAL_ID_LENGTH]
        unique[mention.external_id] = mention
    return list(unique.values())


def _upsert(session, nct_id, mentions, now):
    """Insert new mentions and update known ones in one statement per batch; never deletes.

    ON CONFLICT keeps this safe when another process stores the same trial at the same time
    (single-flight only covers one process)."""
    if not mentions:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"nct_id": nct_id, "source": m.source, "external_id": m.external_id,
             "first_seen_at": now, "last_seen_at": now,
             **{name: getattr(m, name) for name in UPSERTED_FIELDS}} for m in mentions]
    for start in range(0, len(rows), UPSERT_BATCH):
        statement = insert(MentionRow).values(rows[start:start + UPSERT_BATCH])
        statement = statement.on_conflict_do_update(
            index_elements=["nct_id", "source", "external_id"],
            set_={name: statement.excluded[name] for name in (*UPSERTED_FIELDS,
                                                               "last_seen_at")})
        session.execute(statement)
