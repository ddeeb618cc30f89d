"""The record of work in the store: which trial IDs are queued, under way or ended, and why.

Every process reads and writes the same rows, so the store (not a process's memory) decides
that a refresh is queued once however many requests ask, that one worker runs it, and that a
refresh whose worker died is found again once its lease has passed.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trialbuzz.clock import utcnow
from trialbuzz.errors import TrialbuzzError, rebuilt
from trialbuzz.storage.models import Work

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# The states of work under way: a trial's figures may change.
ACTIVE = (QUEUED, RUNNING)
# A request counts as a view for the schedule at most this often per trial.
VIEW_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Status:
    """Where the work on one trial ID stands."""

    state: str | None = None
    error: TrialbuzzError | None = None

    @property
    def active(self):
        """Queued or running."""
        return self.state in ACTIVE


class WorkBook:
    """Claims, leases and outcomes of refreshes, kept in the `work` table."""

    def __init__(self, db, lease_seconds, queue_seconds, retry_seconds, clock=utcnow):
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)
        # A failed refresh (no such trial, the registry down) is not queued again sooner.
        self.retry = timedelta(seconds=retry_seconds)
        # A queued job nobody started within this long was lost with its queue: queue it again.
        self.queue_timeout = timedelta(seconds=queue_seconds)
        self.clock = clock

    def request(self, nct_id, force=False, viewed=True):
        """Mark a refresh of `nct_id` queued: "created" (a first request, counted as a view
        when `viewed`) or "claimed" when this call did, so it must enqueue it; None when it is
        queued already."""
        now = self.clock()
        with self.db.session() as session:
            insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
            # RETURNING, not rowcount: psycopg reports -1 rows for INSERT … ON CONFLICT.
            created = session.execute(insert(Work).values(
                nct_id=nct_id, state=QUEUED, force=force, requested_at=now, attempts=0,
                viewed_at=now if viewed else None, views=1 if viewed else 0,
            ).on_conflict_do_nothing(index_elements=["nct_id"]).returning(Work.nct_id)).first()
            if created is not None:
                return "created"
            claimed = session.execute(
                update(Work).where(Work.nct_id == nct_id, self._claimable(now, force))
                .values(state=QUEUED, force=force, requested_at=now, error_code=None,
                        error_message=None, error_status=None,
                        error_retry_after=None)).rowcount
            return "claimed" if claimed else None

    def _claimable(self, now, force=False):
        """Rows a new request may queue: done, failed a while ago (or `force`), or lost (a lease
        or a queue wait passed)."""
        failed = Work.state == FAILED
        if not force:
            failed = failed & (Work.finished_at < now - self.retry)
        return or_(Work.state == DONE, failed,
                   (Work.state == RUNNING) & (Work.lease_until < now),
                   (Work.state == QUEUED) & (Work.requested_at < now - self.queue_timeout))

    def start(self, nct_id):
        """Take the queued refresh of `nct_id` for this worker; False if another has it."""
        now = self.clock()
        with self.db.session() as session:
            row = session.execute(
                update(Work).where(Work.nct_id == nct_id, Work.state == QUEUED)
                .values(state=RUNNING, started_at=now, lease_until=now + self.lease,
                        attempts=Work.attempts + 1)
                .returning(Work.force)).first()
            return None if row is None else {"force": row.force}

    def release(self, nct_id):
        """Give back a claim whose job could not be queued, so that the next request tries."""
        with self.db.session() as session:
            session.execute(update(Work).where(Work.nct_id == nct_id, Work.state == QUEUED)
                            .values(state=DONE))

    def renew(self, nct_id):
        """Extend the lease of a refresh still under way."""
        with self.db.session() as session:
            session.execute(update(Work).where(Work.nct_id == nct_id, Work.state == RUNNING)
                            .values(lease_until=self.clock() + self.lease))

    def finish(self, nct_id, error=None):
        """Record how the refresh of `nct_id` ended: done, or failed with a TrialbuzzError."""
        values = {"state": DONE, "finished_at": self.clock(), "lease_until": None,
                  "error_code": None, "error_message": None, "error_status": None,
                  "error_retry_after": None}
        if error is not None:
            values.update(state=FAILED, error_code=error.code, error_message=error.message,
                          error_status=error.status, error_retry_after=error.retry_after)
        with self.db.session() as session:
            session.execute(update(Work).where(Work.nct_id == nct_id).values(**values))

    def status(self, nct_id):
        """The Status of the work on `nct_id` (state None when none was ever asked)."""
        with self.db.session() as session:
            row = session.get(Work, nct_id)
            if row is None:
                return Status()
            error = None
            if row.state == FAILED:
                error = rebuilt(row.error_code, row.error_message, status=row.error_status,
                                retry_after=row.error_retry_after)
            return Status(row.state, error)

    def viewed(self, nct_id):
        """Count a reader's request for `nct_id`, at most once per VIEW_EVERY."""
        now = self.clock()
        with self.db.session() as session:
            session.execute(update(Work).where(
                Work.nct_id == nct_id,
                or_(Work.viewed_at.is_(None), Work.viewed_at < now - VIEW_EVERY))
                .values(viewed_at=now, views=Work.views + 1))

    def lost(self, limit=100):
        """IDs whose refresh was lost (its worker died, or its queue lost it), to queue again."""
        now = self.clock()
        with self.db.session() as session:
            return list(session.scalars(
                select(Work.nct_id).where(
                    ((Work.state == RUNNING) & (Work.lease_until < now))
                    | ((Work.state == QUEUED) & (Work.requested_at < now - self.queue_timeout)))
                .limit(limit)))


def _dialect(session):
    return session.get_bind().dialect.name
