"""Mentions that arrive by themselves (a stream of posts) filed under every trial they name.

A trial not known yet gets a placeholder row at once (as a sweep does), so that nothing found
is lost, and its registry record follows as a job; if the registry has no such study, the
refresh drops the row and what was filed under it.
"""

import copy

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trialbuzz.attention.harvest import Outcome
from trialbuzz.errors import TrialNotFound
from trialbuzz.registry.trials import PLACEHOLDER_AT
from trialbuzz.storage.models import Trial


class Filer:
    """Files mentions under trials, creating the trials it does not know."""

    def __init__(self, db, trials, harvester, jobs):
        self.db = db
        self.trials = trials
        self.harvester = harvester
        self.jobs = jobs

    def file(self, nct_ids, mention):
        """Store `mention` under each of `nct_ids` (aliases go to their study), re-score those
        trials, and queue the registry record of each one seen for the first time."""
        for nct_id in nct_ids:
            canonical = self.trials.canonical_id(nct_id)
            if self._not_in_registry(canonical):
                continue
            created = self._ensure_row(canonical)
            self.harvester.store(canonical, [Outcome(mention.source, "ok",
                                                     mentions=[copy.copy(mention)])],
                                 finish=False)
            if created:
                self.jobs.request(canonical)

    def _not_in_registry(self, nct_id):
        """Whether the registry said it has no such study the last time it was asked."""
        error = self.jobs.status(nct_id).error
        return isinstance(error, TrialNotFound)

    def _ensure_row(self, nct_id):
        """Insert an empty row for `nct_id` unless one exists; whether this call inserted it."""
        with self.db.session() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            result = session.execute(insert(Trial).values(
                nct_id=nct_id, record={"nct_id": nct_id}, fetched_at=PLACEHOLDER_AT
            ).on_conflict_do_nothing(
                    index_elements=["nct_id"]))
            return result.rowcount == 1
