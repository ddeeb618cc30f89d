"""What the jobs do: refresh a trial (its registry record when due, then its attention), run a
slice of a sweep, and every minute the schedule: lost work queued again, the trials readers look
at (and those of the collections they read) refreshed before they go stale, failed sources tried
again, the sweep that is due queued, and the registry records of new trials found by sweeps
fetched, a few a minute."""

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from trialbuzz.clock import utcnow
from trialbuzz.errors import TrialbuzzError, TrialNotFound, UpstreamError
from trialbuzz.jobs.work import DONE, FAILED
from trialbuzz.storage.models import SourceCheck, Trial, Work

log = logging.getLogger(__name__)
# Trials viewed within this window are kept fresh by the schedule.
VIEWED_WITHIN = timedelta(days=7)
# The schedule refreshes a viewed trial once this share of its freshness has passed.
REFRESH_AT = 0.9
# Refreshes the schedule queues in one minute at the most (the sources' pace does the rest).
SCHEDULED_PER_TICK = 50
# What a reader is told when a new trial's record cannot be had; the detail goes to the log.
REGISTRY_DOWN = ("ClinicalTrials.gov is not answering right now, so this trial cannot be looked "
                 "up yet. We will try again when you do: try this page again in a minute.")
# Seconds a client is asked to wait before trying again after that.
REGISTRY_RETRY = 60


def refresh(state, nct_id):
    """Run the queued refresh of `nct_id`, if no other worker took it: the registry record
    when missing or stale, then every source; the outcome is written to the work row."""
    taken = state.work.start(nct_id)
    if taken is None:
        return
    heartbeat = Heartbeat(state.work, nct_id, state.work.lease.total_seconds() / 3)
    try:
        trial = _record(state, nct_id, taken["force"])
        state.harvester.run(trial, force=taken["force"])
    except TrialbuzzError as exc:
        state.work.finish(nct_id, error=exc)
    except Exception as exc:  # noqa: BLE001 - a bug must end the work, not leave it running
        log.exception("the refresh of %s failed", nct_id)
        state.work.finish(nct_id, error=TrialbuzzError(
            f"the refresh failed ({exc.__class__.__name__})"))
    else:
        state.work.finish(nct_id)
    finally:
        heartbeat.stop()


def _record(state, nct_id, force):
    """The trial's registry record: the stored one while fresh, else fetched; when the registry
    fails, a stored copy still serves."""
    trial = state.trials.stored(nct_id)
    if trial is not None and not trial.stale and not force:
        return trial
    try:
        return state.trials.fetch(nct_id, deadline=time.monotonic() + state.registry_deadline)
    except TrialNotFound:
        if state.trials.is_placeholder(nct_id):
            # Named by a post or a sweep, but the registry has no such study: nothing to keep.
            state.trials.forget(nct_id)
        raise
    except UpstreamError as exc:
        if trial is not None:
            return trial
        log.warning("the registry record of %s could not be had: %s", nct_id, exc.message)
        raise exc.__class__(REGISTRY_DOWN, code=exc.code, status=exc.status,
                            retry_after=max(exc.retry_after or 0, REGISTRY_RETRY)) from exc


def tick(state, jobs, clock=utcnow):
    """The schedule: queue again what was lost, then the viewed trials and those of read
    collections about to go stale (or never harvested)."""
    for nct_id in state.work.lost():
        log.warning("the refresh of %s was lost (its worker stopped); queued again", nct_id)
        jobs.request(nct_id)
    now = clock()
    due = now - timedelta(seconds=state.settings["FRESHNESS"] * REFRESH_AT)
    with state.db.session() as session:
        ids = list(session.scalars(
            select(Work.nct_id).join(Trial, Trial.nct_id == Work.nct_id)
            .where(Work.state.in_((DONE, FAILED)), Work.viewed_at >= now - VIEWED_WITHIN,
                   Trial.harvested_at < due)
            .order_by(Work.views.desc()).limit(SCHEDULED_PER_TICK)))
    for nct_id in ids:
        jobs.request(nct_id)
    # The trials of collections people read, kept fresh the same way (never harvested first).
    for nct_id in state.collections.due(due, SCHEDULED_PER_TICK):
        jobs.request(nct_id)
    for nct_id in _with_failing_sources(state):
        if state.harvester.retry_due(nct_id):
            jobs.request(nct_id)
    schedule_sweeps(state, jobs)


def schedule_sweeps(state, jobs):
    """Queue the most overdue sweep unless one is queued or under way (one at a time for the
    deployment, so refreshes always keep most workers); then the registry records of a few new
    trials the sweeps found, as refreshes nobody viewed."""
    sweeps = state.sweeps
    if not sweeps.busy():
        for key in sweeps.due():
            if sweeps.claim(key, "queued"):
                try:
                    jobs.enqueue_sweep(*key)
                except Exception:  # noqa: BLE001 - the claim's lease runs out; tried again
                    log.warning("could not queue the sweep of %s %s", *key, exc_info=True)
                break
    for nct_id in sweeps.placeholders():
        jobs.request(nct_id, viewed=False)


def sweep(state, source, scope):
    """Run a queued sweep for at most SWEEP_SLICE seconds, if no other worker took it."""
    key = (source, scope)
    if source not in state.sweeps.sweepers or not state.sweeps.start(key):
        return
    tally = state.sweeps.run(key, slice_seconds=state.sweeps.slice)
    log.info("sweep of %s %s: %s %s", source, scope or "-", tally.outcome, tally.as_dict())


def _with_failing_sources(state, limit=200):
    """Trials with a source whose latest check failed."""
    with state.db.session() as session:
        newest = (select(func.max(SourceCheck.id))
                  .group_by(SourceCheck.nct_id, SourceCheck.source))
        return list(session.scalars(
            select(SourceCheck.nct_id).where(SourceCheck.id.in_(newest),
                                             SourceCheck.status != "ok")
            .distinct().limit(limit)))


class Heartbeat:
    """Renews the lease of a refresh (or a sweep: `nct_id` is then its key) while it runs,
    so only a dead worker's lease runs out."""

    def __init__(self, book, nct_id, interval):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(book, nct_id, interval),
                                        name="trialbuzz-lease", daemon=True)
        self._thread.start()

    def _beat(self, book, nct_id, interval):
        while not self._stop.wait(interval):
            try:
                book.renew(nct_id)
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                log.warning("could not renew the lease of %s", nct_id, exc_info=True)

    def stop(self):
        """Stop renewing."""
        self._stop.set()
