"""Registry-wide sweeps: each sweepable source asked for every mention of any study since its
watermark, what it finds filed under each NCT ID named; the book of where each sweep stands,
shared by every process in the `sweeps` table; and the schedule's part.

A sweep runs as jobs, one at a time for the whole deployment, each job a slice of at most
SWEEP_SLICE seconds: a run that is not over is resumed by the next job from where it stands
(stored after every page), and so is a run that failed, after SOURCE_RETRY (doubling). Its
watermark moves only when a run reaches its end, so a failed or stopped run loses nothing.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trialbuzz.attention.sources.base import storable
from trialbuzz.attention.sources.sweeping import scopes_of, when
from trialbuzz.clock import aware, utcnow
from trialbuzz.errors import TrialbuzzError
from trialbuzz.jobs.tasks import Heartbeat
from trialbuzz.registry import trials
from trialbuzz.storage.models import Mention as MentionRow
from trialbuzz.storage.models import Sweep, Trial, TrialAlias, Work

log = logging.getLogger(__name__)
IDLE, QUEUED, RUNNING = "idle", "queued", "running"
# A new run starts this long before the last one's end, so that items the upstream indexed a
# little late are asked for again (and de-duplicated); sources that search by day ask from that
# day on, so the day of the last run is always asked again.
OVERLAP = timedelta(hours=1)
# How long the list of covered sources is remembered by a process (read on every refresh).
COVERED_MEMO = 10.0
# New trials whose registry record the schedule queues each minute: their refreshes also ask
# the per-trial sources, GDELT's one call per 5 s the slowest, and must leave it to readers.
RECORDS_PER_TICK = 6
UPSERT_BATCH = 100
# Fields a sweep fills only when it knows them: a per-trial harvest may know more (the date
# of a Wikipedia article's last edit, say), and a sweep must not wipe it.
KEPT_FIELDS = ("url", "title", "author", "published_at", "snippet", "language")
# A trial row with this `fetched_at` is a placeholder awaiting its registry record: a sweep
# filed mentions under an ID the store did not know yet.
PLACEHOLDER_AT = trials.PLACEHOLDER_AT


@dataclass
class Tally:
    """What a sweep found: in this process's run, and in all runs of one watermark."""

    pages: int = 0
    calls: int = 0
    # (source, external id) of every mention found; one found by several queries counts once.
    mentions: set = field(default_factory=set)
    skipped: int = 0
    records: int = 0
    trials: set = field(default_factory=set)
    new_trials: set = field(default_factory=set)
    # done (the run reached its end), more (the slice ended first) or failed.
    outcome: str = ""
    error: str | None = None

    def as_dict(self):
        """The figures as stored and printed."""
        return {"pages": self.pages, "calls": self.calls, "mentions": len(self.mentions),
                "skipped": self.skipped, "records": self.records, "trials": len(self.trials),
                "new_trials": len(self.new_trials)}


class Sweeps:
    """The sweepable sources, where each sweep stands, and running one."""

    def __init__(self, db, sweepers, harvester, settings, clock=utcnow):
        self.db = db
        # {source id: object with sweep_scopes(), sweep_origin and sweep_pages()}
        self.sweepers = {sweeper.id: sweeper for sweeper in sweepers}
        self.harvester = harvester
        self.every = timedelta(seconds=max(0, settings["SWEEP_EVERY"]))
        self.slice = settings["SWEEP_SLICE"]
        self.freshness = timedelta(seconds=settings["FRESHNESS"])
        self.retry = timedelta(seconds=settings["SOURCE_RETRY"])
        self.lease = timedelta(seconds=settings["WORK_LEASE"])
        self.queue_timeout = timedelta(seconds=settings["WORK_QUEUE_TIMEOUT"])
        self.clock = clock
        self._covered = (0.0, frozenset())
        self._lock = threading.Lock()

    # --- the book -------------------------------------------------------------------------

    def keys(self, sources=None):
        """(source, scope) of every sweep of `sources` (default: every sweepable source)."""
        keys = []
        for source_id, sweeper in self.sweepers.items():
            if sources is None or source_id in sources:
                keys.extend((source_id, scope) for scope in scopes_of(sweeper))
        return keys

    def rows(self, keys=None):
        """{(source, scope): Sweep row} of `keys`, rows created as needed."""
        keys = self.keys() if keys is None else keys
        with self.db.session() as session:
            insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
            if keys:
                session.execute(insert(Sweep).values(
                    [{"source": source, "scope": scope, "state": IDLE, "complete": False,
                      "failures": 0} for source, scope in keys])
                    .on_conflict_do_nothing(index_elements=["source", "scope"]))
            rows = session.scalars(select(Sweep)).all()
            return {(row.source, row.scope): row for row in rows
                    if (row.source, row.scope) in set(keys)}

    def covered(self):
        """Ids of the sources whose sweeps cover every trial now: every scope has swept the
        source's whole history without a gap, and lately (within SWEEP_EVERY + FRESHNESS)."""
        if not self.every:
            return frozenset()
        at, known = self._covered
        if time.monotonic() - at < COVERED_MEMO:
            return known
        now = self.clock()
        try:
            with self.db.session() as session:
                rows = session.scalars(select(Sweep)).all()
        except Exception:  # noqa: BLE001 - no coverage known: every source is asked per trial
            log.warning("could not read the sweeps", exc_info=True)
            return frozenset()
        state = {(row.source, row.scope): row for row in rows}
        covered = set()
        for source_id, sweeper in self.sweepers.items():
            scopes = [state.get((source_id, scope)) for scope in scopes_of(sweeper)]
            every = self.every_of(source_id)
            if scopes and all(row is not None and row.complete and row.succeeded_at is not None
                              and now - aware(row.succeeded_at) <= every + self.freshness
                              for row in scopes):
                covered.add(source_id)
        known = frozenset(covered)
        self._covered = (time.monotonic(), known)
        return known

    def every_of(self, source_id):
        """How often a source's sweeps run: its own `sweep_every` (seconds) when it has one (a
        feed is polled more often than a search is swept), else SWEEP_EVERY."""
        own = getattr(self.sweepers.get(source_id), "sweep_every", None)
        return timedelta(seconds=own) if own else self.every

    def forget_coverage(self):
        """Read the coverage anew at the next call (after a sweep ended in this process)."""
        self._covered = (0.0, frozenset())

    def claim(self, key, state):
        """Move the sweep `key` from idle (or lost) to `state` (queued or running); False when
        another process has it."""
        self.rows([key])
        now = self.clock()
        source, scope = key
        free = (Sweep.state == IDLE) | (Sweep.state.in_((QUEUED, RUNNING))
                                         & (Sweep.lease_until < now))
        # A queued sweep nobody started within WORK_QUEUE_TIMEOUT was lost with its queue.
        until = now + (self.lease if state == RUNNING else self.queue_timeout)
        with self.db.session() as session:
            return bool(session.execute(
                update(Sweep).where(Sweep.source == source, Sweep.scope == scope, free)
                .values(state=state, lease_until=until)).rowcount)

    def start(self, key):
        """Take a queued sweep for this worker; False if another took it."""
        now = self.clock()
        source, scope = key
        with self.db.session() as session:
            return bool(session.execute(
                update(Sweep).where(Sweep.source == source, Sweep.scope == scope,
                                    Sweep.state == QUEUED)
                .values(state=RUNNING, lease_until=now + self.lease)).rowcount)

    def renew(self, key):
        """Extend the lease of a sweep under way."""
        source, scope = key
        with self.db.session() as session:
            session.execute(update(Sweep).where(Sweep.source == source, Sweep.scope == scope,
                                                Sweep.state == RUNNING)
                            .values(lease_until=self.clock() + self.lease))

    def busy(self):
        """Whether a sweep is queued or under way (with a live lease) anywhere."""
        now = self.clock()
        with self.db.session() as session:
            return bool(session.scalar(select(func.count()).select_from(Sweep).where(
                Sweep.state.in_((QUEUED, RUNNING)), Sweep.lease_until >= now)))

    def due(self):
        """The sweeps to run now, most overdue first: a run left unfinished (at once, or after
        its retry when it failed), and one whose last success is SWEEP_EVERY old. A sweep on
        its own, shorter interval (a feed's poll: one call) goes before them all, so that a
        long first sweep, resumed slice after slice, never starves it."""
        if not self.every:
            return []
        now = self.clock()
        due = []
        for key, row in self.rows().items():
            # A run under way is finished before another starts.
            resuming = row.run is not None
            every = self.every_of(key[0])
            if row.failures:
                wait = min(self.retry * 2 ** min(row.failures - 1, 30), every)
                ready = aware(row.finished_at) + wait if row.finished_at else now
            elif row.run is not None:
                ready = now
            elif row.succeeded_at is None:
                ready = PLACEHOLDER_AT
            else:
                ready = aware(row.succeeded_at) + every
            if ready <= now:
                polled = getattr(self.sweepers.get(key[0]), "sweep_every", None) is not None
                # The registry first, so that new trials' records come with it, not one by one.
                due.append((not polled, not resuming, ready, key[0] != "ctgov", key))
        return [entry[-1] for entry in sorted(due)]

    # --- running ---------------------------------------------------------------------------

    def run(self, key, since=None, slice_seconds=None, progress=None):
        """Run the sweep `key` (claimed by the caller) until its run ends, fails, or
        `slice_seconds` pass; a run under way is resumed unless `since` starts a new one.
        Returns the Tally of this call; the row says where the sweep stands."""
        source, scope = key
        sweeper = self.sweepers[source]
        tally = Tally()
        row = self.rows([key])[key]
        run = None if since is not None else row.run
        if run is None:
            run = self._new_run(sweeper, row, since)
        stop_at = None if slice_seconds is None else time.monotonic() + slice_seconds
        base = dict(run.get("stats") or {})
        # The claim's lease is renewed while the run goes on: only a dead process loses it.
        heartbeat = Heartbeat(self, key, self.lease.total_seconds() / 3)
        try:
            pages = sweeper.sweep_pages(scope, run, deadline=None)
            for page in pages:
                self._file(page, tally)
                run = {**page.run, "stats": {name: base.get(name, 0) + value
                                             for name, value in tally.as_dict().items()}}
                self._save(key, run=run)
                if progress is not None:
                    progress(tally)
                if run.get("done"):
                    pages.close()
                    tally.outcome = "done"
                    break
                if stop_at is not None and time.monotonic() >= stop_at:
                    pages.close()
                    tally.outcome = "more"
                    break
            else:
                tally.outcome = "done"
        except TrialbuzzError as exc:
            tally.outcome, tally.error = "failed", exc.message[:300]
        except Exception as exc:  # noqa: BLE001 - a bug ends this run, which resumes later
            log.exception("the sweep of %s %s failed", source, scope)
            tally.outcome, tally.error = "failed", f"internal error ({exc.__class__.__name__})"
        finally:
            heartbeat.stop()
        self._end(key, row, run, tally)
        return tally

    def _new_run(self, sweeper, row, since):
        """A run from `since`, else from shortly before the watermark, else from the origin."""
        origin = sweeper.sweep_origin
        if since is not None:
            start = max(since, origin)
        elif row.watermark is not None:
            start = max(aware(row.watermark) - OVERLAP, origin)
        else:
            start = origin
        watermark = aware(row.watermark)
        run = {"since": start.isoformat(), "until": self.clock().isoformat(),
               "from_origin": start <= origin,
               "joins": bool(row.complete and watermark is not None and start <= watermark),
               "stats": {}}
        if row.kept is not None:
            run["kept"] = row.kept
        return run

    def _end(self, key, row, run, tally):
        """Record how this call ended, and the watermark when the run reached its end."""
        now = self.clock()
        values = {"state": IDLE, "lease_until": None, "finished_at": now}
        if tally.outcome == "done":
            values.update(watermark=when(run["until"]), run=None, failures=0, error=None,
                          succeeded_at=now, stats={**(run.get("stats") or {})},
                          complete=bool(run.get("from_origin") or run.get("joins")))
            if "kept" in run:
                values["kept"] = run["kept"]
        elif tally.outcome == "more":
            values.update(run=run, failures=0, error=None)
        else:
            values.update(run=run, failures=(row.failures or 0) + 1, error=tally.error)
        self._save(key, **values)
        self.forget_coverage()

    def _save(self, key, **values):
        source, scope = key
        with self.db.session() as session:
            session.execute(update(Sweep).where(Sweep.source == source, Sweep.scope == scope)
                            .values(**values))

    def _file(self, page, tally):
        """Store one page: registry records, trials created as needed (placeholders for IDs the
        store does not know), and each mention under every NCT ID it names."""
        now = self.clock()
        grouped, records = {}, {record["nct_id"]: record for record in page.records}
        for ids, mention in page.found:
            checked = storable(mention)
            if checked is None:
                tally.skipped += 1
                continue
            tally.mentions.add((checked.source, checked.external_id))
            for nct_id in ids:
                grouped.setdefault(nct_id, {})[checked.external_id] = checked
        with self.db.session() as session:
            insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
            named = set(grouped)
            aliases = dict(session.execute(select(TrialAlias.alias, TrialAlias.nct_id)
                                           .where(TrialAlias.alias.in_(named))).all())
            for alias, canonical in aliases.items():
                grouped.setdefault(canonical, {}).update(grouped.pop(alias))
            wanted = set(grouped) | set(records)
            known = set(session.scalars(select(Trial.nct_id).where(Trial.nct_id.in_(wanted))))
            fresh = [{"nct_id": nct_id, "record": records.get(nct_id, {"nct_id": nct_id}),
                      "fetched_at": now if nct_id in records else PLACEHOLDER_AT}
                     for nct_id in sorted(wanted - known)]
            for start in range(0, len(fresh), UPSERT_BATCH):
                created = session.execute(
                    insert(Trial).values(fresh[start:start + UPSERT_BATCH])
                    .on_conflict_do_nothing(index_elements=["nct_id"])
                    .returning(Trial.nct_id)).scalars().all()
                tally.new_trials.update(created)
            updated = [{"nct_id": nct_id, "record": record, "fetched_at": now}
                       for nct_id, record in records.items() if nct_id in known]
            if updated:
                session.execute(update(Trial), updated)
            for nct_id, mentions in grouped.items():
                _upsert(session, insert, nct_id, list(mentions.values()), now)
        tally.pages += 1
        tally.calls += page.calls
        tally.skipped += page.skipped
        tally.records += len(records)
        tally.trials.update(grouped)
        self.harvester.refiled(sorted(set(grouped) | set(records)))

    # --- the schedule ----------------------------------------------------------------------

    def placeholders(self, limit=RECORDS_PER_TICK):
        """New trials (placeholders) whose registry record nobody has asked for yet."""
        with self.db.session() as session:
            return list(session.scalars(
                select(Trial.nct_id).outerjoin(Work, Work.nct_id == Trial.nct_id)
                .where(Trial.fetched_at <= PLACEHOLDER_AT, Work.nct_id.is_(None))
                .order_by(Trial.nct_id).limit(limit)))


def _upsert(session, insert, nct_id, mentions, now):
    """Insert new mentions; refresh known ones without wiping what a per-trial harvest knew."""
    rows = [{"nct_id": nct_id, "source": m.source, "external_id": m.external_id, "kind": m.kind,
             "url": m.url, "title": m.title, "author": m.author,
             "published_at": m.published_at, "snippet": m.snippet, "language": m.language,
             "extra": m.extra, "first_seen_at": now, "last_seen_at": now} for m in mentions]
    table = MentionRow.__table__
    for start in range(0, len(rows), UPSERT_BATCH):
        statement = insert(MentionRow).values(rows[start:start + UPSERT_BATCH])
        kept = {name: func.coalesce(statement.excluded[name], table.c[name])
                for name in KEPT_FIELDS}
        statement = statement.on_conflict_do_update(
            index_elements=["nct_id", "source", "external_id"],
            set_={**kept, "kind": statement.excluded.kind, "extra": statement.excluded.extra,
                  "last_seen_at": statement.excluded.last_seen_at})
        session.execute(statement)


def _dialect(session):
    return session.get_bind().dialect.name
