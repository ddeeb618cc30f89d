"""The score in context: a trial's percentile and rank among every tracked trial with
attention, and among its cohort (the trials of the same highest phase that started the same
year). Worked out from counts of trials by cohort and score, read in one pass over an index
and kept for CONTEXT_SECONDS, then read again behind the readers' backs."""

import bisect
import logging
import threading
import time

from sqlalchemy import func, select

from trialbuzz.attention.index import has_attention, highest_phase, start_year
from trialbuzz.storage.models import TrialIndex

log = logging.getLogger(__name__)
# Fewer trials than this with attention, overall or in a cohort, and no context is given.
MIN_TRACKED = 20
PHASE_LABELS = {"early_phase1": "Early phase 1", "phase1": "Phase 1", "phase2": "Phase 2",
                "phase3": "Phase 3", "phase4": "Phase 4"}


class Ranking:
    """Scores of a group of trials, as sorted distinct scores with how many trials have each."""

    def __init__(self, counts):
        self.scores = sorted(counts)
        self.counts = [counts[score] for score in self.scores]
        self.below = []  # trials scoring below each distinct score
        total = 0
        for count in self.counts:
            self.below.append(total)
            total += count
        self.total = total

    def place(self, score):
        """(percentile, rank, of) of `score`: the share scoring lower, 1 + those scoring
        higher, and how many there are."""
        at = bisect.bisect_left(self.scores, score)
        lower = self.below[at] if at < len(self.scores) else self.total
        level = self.counts[at] if at < len(self.scores) and self.scores[at] == score else 0
        return int(100 * lower / self.total), self.total - lower - level + 1, self.total


def cohort_of(record):
    """A record's cohort: (highest phase, start year)."""
    record = record if isinstance(record, dict) else {}
    phases = record.get("phases") if isinstance(record.get("phases"), list) else []
    return highest_phase(phases), start_year(record)


def cohort_label(cohort):
    """"Phase 2 trials started in 2021", in words."""
    phase, year = cohort
    what = f"{PHASE_LABELS[phase]} trials" if phase in PHASE_LABELS else "trials without a phase"
    return f"{what} started in {year}" if year else f"{what} without a start date"


class ScoreContext:
    """Percentiles and ranks of scores, from counts refreshed at most every `ttl` seconds."""

    def __init__(self, db, ttl=60.0, minimum=MIN_TRACKED, clock=time.monotonic):
        self.db = db
        self.ttl = ttl
        self.minimum = minimum
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at = None
        self._overall = None
        self._cohorts = {}
        self._refreshing = False

    def refresh(self):
        """Read the counts anew: one grouped pass over the (attention, phase, start year,
        score) index."""
        with self.db.session() as session:
            rows = session.execute(
                select(TrialIndex.phase, TrialIndex.start_year, TrialIndex.score, func.count())
                .where(TrialIndex.attention.is_(True))
                .group_by(TrialIndex.phase, TrialIndex.start_year, TrialIndex.score)).all()
        overall, cohorts = {}, {}
        for phase, year, score, count in rows:
            overall[score] = overall.get(score, 0) + count
            cohort = cohorts.setdefault((phase, year), {})
            cohort[score] = cohort.get(score, 0) + count
        rankings = {cohort: Ranking(counts) for cohort, counts in cohorts.items()}
        self._overall, self._cohorts, self._read_at = Ranking(overall), rankings, self.clock()

    def _current(self):
        """The counts: read now the first time; once older than `ttl`, read again by one
        background thread while the old ones are served, so that no reader waits for it."""
        with self._lock:
            if self._read_at is None:
                self.refresh()
            elif self.clock() - self._read_at > self.ttl and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh_behind, daemon=True,
                                 name="trialbuzz-context").start()
            return self._overall, self._cohorts

    def _refresh_behind(self):
        try:
            self.refresh()
        except Exception:  # noqa: BLE001 - the old counts stay; the next reader tries again
            log.exception("refreshing the score context failed")
        finally:
            self._refreshing = False

    def of(self, record, summary):
        """The `context` of a trial document, or None when the trial has no attention or too
        few trials are tracked."""
        summary = summary if isinstance(summary, dict) else {}
        if not has_attention(summary.get("kinds")):
            return None
        overall, cohorts = self._current()
        score = int(summary.get("score") or 0)
        if overall.total < self.minimum:
            return None
        percentile, rank, of = overall.place(score)
        context = {"percentile": percentile, "rank": rank, "of": of, "cohort": None}
        cohort = cohort_of(record)
        ranking = cohorts.get(cohort)
        if ranking is not None and ranking.total >= self.minimum:
            percentile, rank, of = ranking.place(score)
            context["cohort"] = {"label": cohort_label(cohort), "percentile": percentile,
                                 "rank": rank, "of": of}
        return context


def cohort_words(context):
    """"in the top 12% of the 310 Phase 2 trials started in 2021", or "" without a cohort."""
    cohort = (context or {}).get("cohort")
    if not cohort:
        return ""
    if cohort["percentile"] >= 50:
        return f"in the top {max(1, 100 - cohort['percentile'])}% of the {cohort['of']:,} " \
               f"{cohort['label']}"
    return f"ranked {cohort['rank']:,} of the {cohort['of']:,} {cohort['label']}"


def in_words(context):
    """"in the top 5% of 41,200 trials tracked", or "ranked 812 of 41,200 trials tracked"
    for a trial in the lower half; "" without context."""
    if not context:
        return ""
    if context["percentile"] >= 50:
        return f"in the top {max(1, 100 - context['percentile'])}% of {context['of']:,} " \
               "trials tracked"
    return f"ranked {context['rank']:,} of {context['of']:,} trials tracked"
