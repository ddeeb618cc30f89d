"""Trial records: served from the store while fresh, fetched from ClinicalTrials.gov otherwise."""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from trialbuzz.attention import index
from trialbuzz.clock import aware, utcnow
from trialbuzz.errors import TrialNotFound, UpstreamBadResponse, UpstreamError
from trialbuzz.nctid import require
from trialbuzz.registry.ctgov import parse_study
from trialbuzz.singleflight import SingleFlight
from trialbuzz.storage.models import Mention, Trial, TrialAlias

log = logging.getLogger(__name__)
# The `fetched_at` of a placeholder trial row (trialbuzz.jobs.sweeps.PLACEHOLDER_AT).
PLACEHOLDER_AT = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class TrialRecord:
    """A stored trial as served: its fields, when they were fetched, and what was asked for."""

    nct_id: str
    record: dict
    fetched_at: datetime
    harvested_at: datetime | None
    requested_id: str
    stale: bool = False


class TrialService:
    """Looks trials up by NCT ID or alias, keeping the store within the freshness window."""

    def __init__(self, db, client, freshness_seconds, clock=utcnow):
        self.db = db
        self.client = client
        self.freshness = timedelta(seconds=freshness_seconds)
        self.clock = clock
        self._flights = SingleFlight()
        self._background = ThreadPoolExecutor(2, thread_name_prefix="trialbuzz-registry")
        # Called with a trial's ID whenever its stored record changes (caches listen).
        self.listeners = []
        # Whether the registry's sweep is current: it stores every record updated since the
        # last one, so a stored record is then as fresh as the sweep, whatever its age.
        self.swept = lambda: False

    def canonical_id(self, nct_id):
        """The canonical ID for `nct_id` as far as the store knows (aliases map to their study)."""
        with self.db.session() as session:
            alias = session.get(TrialAlias, nct_id)
            return alias.nct_id if alias else nct_id

    def stored(self, nct_id):
        """The stored record for `nct_id` (or its alias), or None; never calls upstream."""
        requested = require(nct_id)
        with self.db.session() as session:
            alias = session.get(TrialAlias, requested)
            row = session.get(Trial, alias.nct_id if alias else requested)
            # A placeholder (a sweep named the ID before its record was fetched) is no record.
            if row is None or aware(row.fetched_at) <= PLACEHOLDER_AT:
                return None
            stale = self.clock() - aware(row.fetched_at) > self.freshness
            return TrialRecord(row.nct_id, row.record, aware(row.fetched_at),
                               aware(row.harvested_at), requested,
                               stale=stale and not self.is_swept())

    def is_placeholder(self, nct_id):
        """Whether `nct_id` is stored only as a placeholder, awaiting its registry record."""
        with self.db.session() as session:
            row = session.get(Trial, nct_id)
            return row is not None and aware(row.fetched_at) <= PLACEHOLDER_AT

    def is_swept(self):
        """Whether the registry's sweep is current, so that every stored record is too."""
        try:
            return bool(self.swept())
        except Exception:  # noqa: BLE001 - unknown: the record's own age decides
            log.warning("could not tell whether the registry is swept", exc_info=True)
            return False

    def forget(self, nct_id):
        """Delete a stored trial and everything filed under it (its mentions and checks go
        with it); for a row the registry turned out not to know."""
        with self.db.session() as session:
            row = session.get(Trial, nct_id)
            if row is not None:
                session.delete(row)
        for listener in self.listeners:
            listener(nct_id)

    def get(self, nct_id, refresh=False, deadline=None):
        """Return the trial: fetched when missing or `refresh` is asked; a stale stored record
        is returned at once while one background fetch brings it up to date."""
        requested = require(nct_id)
        current = self.stored(requested)
        if current is not None and not refresh:
            if current.stale:
                future = self._flights.submit(requested, self._background,
                                              self._stored_or_fetched, requested, None)
                future.add_done_callback(_log_failure)
            return current
        try:
            if refresh:
                return self.fetch(requested, deadline=deadline)
            # Callers that found the same stale or missing record share one fetch, and one
            # that arrives just after it finished finds the record fresh.
            return self._flights.call(requested, self._stored_or_fetched, requested, deadline)
        except TrialNotFound:
            raise
        except UpstreamError:
            # The registry is down or slow: an old record beats an error page.
            if current is None:
                raise
            return TrialRecord(current.nct_id, current.record, current.fetched_at,
                               current.harvested_at, requested, stale=True)

    def fetch(self, nct_id, deadline=None):
        """Fetch `nct_id` from ClinicalTrials.gov and store it; concurrent callers share one call."""
        requested = require(nct_id)
        return self._flights.call(requested, self._fetch, requested, deadline)

    def _stored_or_fetched(self, requested, deadline):
        """The stored record if it became fresh meanwhile, else a fetched one."""
        current = self.stored(requested)
        if current is not None and not current.stale:
            return current
        return self._fetch(requested, deadline)

    def _fetch(self, requested, deadline):
        """Fetch one record and store it under the ID the registry names; only the registry's
        redirect for the ID asked makes that ID an alias (IDs listed inside a record never do)."""
        study = self.client.fetch_study(requested, deadline=deadline)
        record = parse_study(study.record)
        canonical = record["nct_id"]
        if canonical != (study.redirected_to or requested):
            raise UpstreamBadResponse(f"ClinicalTrials.gov answered {requested} with the "
                                      f"record of {canonical}.")
        now = self.clock()
        for attempt in range(2):
            try:
                with self.db.session() as session:
                    row = session.get(Trial, canonical)
                    if row is None:
                        row = Trial(nct_id=canonical, record=record, fetched_at=now)
                        session.add(row)
                    else:
                        row.record = record
                        row.fetched_at = now
                    session.flush()
                    index.store_record(session, canonical, record)
                    link = session.get(TrialAlias, requested)
                    # Documents cached under the asked ID were built for whatever it named before.
                    changed = {canonical, requested, *([link.nct_id] if link else [])}
                    if study.redirected_to is None:
                        # The registry answered the ID as a study of its own: no longer an alias.
                        if link is not None:
                            session.delete(link)
                    elif link is None:
                        session.add(TrialAlias(alias=requested, nct_id=canonical))
                    else:
                        link.nct_id = canonical
                    if study.redirected_to is not None:
                        _merge_placeholder(session, requested, canonical)
                    harvested_at = aware(row.harvested_at)
                break
            except IntegrityError:
                # Another thread stored the same trial or alias first; the second pass updates it.
                if attempt:
                    raise
        for listener in self.listeners:
            for nct_id in sorted(changed):
                listener(nct_id)
        return TrialRecord(canonical, record, now, harvested_at, requested)


def _merge_placeholder(session, alias, canonical):
    """A sweep filed mentions under `alias` before the registry said it is another study's
    alias: they move to `canonical` (those it has already stay), and the placeholder goes."""
    stub = session.get(Trial, alias)
    if stub is None or aware(stub.fetched_at) > PLACEHOLDER_AT:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    columns = [column.name for column in Mention.__table__.columns
               if column.name not in ("id", "nct_id", "duplicate_of")]
    rows = [{"nct_id": canonical, **{name: getattr(mention, name) for name in columns}}
            for mention in session.scalars(select(Mention).where(Mention.nct_id == alias))]
    if rows:
        session.execute(insert(Mention).values(rows).on_conflict_do_nothing(
            index_elements=["nct_id", "source", "external_id"]))
    session.delete(stub)


def _log_failure(future):
    """A background fetch nobody waits for reports its failure in the log."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("background fetch of a trial record failed: %s", future.exception())
