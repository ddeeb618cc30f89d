"""Trial documents with their attention: served from the store; refreshes, when a trial is
cold or stale, are queued as jobs and waited for a bounded time, never run here."""

from dataclasses import dataclass
from datetime import timedelta

from flask import g, has_request_context
from sqlalchemy import func, select

from trialbuzz import nctid
from trialbuzz.attention import bulk
from trialbuzz.attention import sources as source_registry
from trialbuzz.attention.context import ScoreContext
from trialbuzz.attention.doccache import DocumentCache, approximate_size
from trialbuzz.attention.document import coverage, links, trial_fields
from trialbuzz.attention.explore import Totals
from trialbuzz.attention.sources import feeds
from trialbuzz.attention.sources.base import KINDS
from trialbuzz.attention.words import NOT_USED
from trialbuzz.clock import aware, utcnow
from trialbuzz.errors import Pending, TrialbuzzError, rebuilt
from trialbuzz.jobs.work import ACTIVE
from trialbuzz.registry.reporting import reporting
from trialbuzz.registry.trials import PLACEHOLDER_AT, TrialRecord
from trialbuzz.storage.models import Mention, SourceCheck, Trial

COMPACT_MENTIONS = 5
# The document cache's keys of compacts' documents: (COMPACT_KEY, NCT ID, with mentions).
COMPACT_KEY = "compact"
# The fields of the short document the bookmarklet, embeds, collections and the Explorer show.
COMPACT_FIELDS = ("nct_id", "requested_id", "title", "acronym", "status", "phases",
                  "has_results", "url", "score", "counts", "kinds", "publications", "mentions",
                  "mentions_total", "sources", "coverage", "altmetric", "updated_at", "stale",
                  "state", "reporting", "context", "details_url", "badge_url")
MAX_TRIALS_PER_BADGE = 20


@dataclass(frozen=True)
class Page:
    """Which mentions of a document to list."""

    limit: int = 20
    offset: int = 0
    kind: str | None = None


class AttentionService:
    """Builds trial documents; a cold trial's refresh is queued and waited for (at most
    COLD_WAIT), a stale one's queued while the stored document is served."""

    def __init__(self, db, trials, harvester, jobs, settings, clock=utcnow):
        self.db = db
        self.trials = trials
        self.harvester = harvester
        self.jobs = jobs
        self.settings = settings
        self.freshness = timedelta(seconds=settings["FRESHNESS"])
        self.cold_wait = settings["COLD_WAIT"]
        self.clock = clock
        self.cache = DocumentCache.from_settings(settings)
        self.context = ScoreContext(db, ttl=settings["CONTEXT_SECONDS"],
                                    minimum=settings["CONTEXT_MINIMUM"])
        self.totals = Totals(settings["EXPLORE_TOTALS_SECONDS"])
        harvester.listeners.append(self.cache.invalidate)
        trials.listeners.append(self.cache.invalidate)
        harvester.listeners.append(self.totals.forget)
        trials.listeners.append(self.totals.forget)

    def ensure(self, nct_id, refresh=False, wait=True):
        """The stored trial record, its refresh queued when cold, stale or asked for; a cold one
        is waited for (at most COLD_WAIT, or `wait` seconds when a number is given). Raises
        Pending while the registry record is unknown, and the error of a refresh that failed
        without one (TrialNotFound, the registry down)."""
        requested = nctid.require(nct_id)
        trial = self._last_read.pop(requested) if requested in self._last_read \
            else self.trials.stored(requested)
        key = trial.nct_id if trial is not None else requested
        cold = trial is None or trial.harvested_at is None
        queued = False
        if refresh or cold or trial.stale or self._harvest_stale(trial.harvested_at):
            queued = self.jobs.request(key, force=refresh)
        self.jobs.viewed(key)
        status, waited = None, False
        if wait and (cold or refresh):
            seconds = self.cold_wait if wait is True else min(float(wait), self.cold_wait)
            status, waited = self.jobs.wait(key, seconds)
            if waited:
                trial = self.trials.stored(requested)
        if trial is None:
            if queued and not waited:
                raise Pending(requested)  # queued by this very request: nothing to read yet
            status = status or self.jobs.status(key)
            if status.error is not None:
                raise status.error
            raise Pending(requested)
        return trial

    def _harvest_stale(self, harvested):
        return harvested is not None and self.clock() - harvested > self.freshness

    def is_cold(self, nct_id):
        """Whether showing `nct_id` needs upstream calls now: never fetched or never harvested."""
        if self.cache.get(("warm", nctid.require(nct_id))):
            return False
        requested = nctid.require(nct_id)
        trial = self.trials.stored(requested)
        self._last_read[requested] = trial
        return trial is None or trial.harvested_at is None

    @property
    def _last_read(self):
        """Records this request read in `is_cold`, taken once by the `ensure` that follows: the
        per-client limit's check and the view of a cold trial need the same row, and a burst of
        cold requests is bound by such reads. Outside a request, nothing is kept."""
        return g.setdefault("trialbuzz_last_read", {}) if has_request_context() else {}

    def document(self, nct_id, base_url, refresh=False, page=Page(), wait=True):
        """The full trial document of the public API, its links on `base_url`; a cold trial is
        waited for as `ensure` says."""
        # Cached without links: one copy per trial and page, whatever Host the request named.
        key = (nctid.require(nct_id), page)
        if not refresh:
            cached = self._from_cache(key, base_url)
            if cached is not None:
                return cached
        trial = self.ensure(nct_id, refresh=refresh, wait=wait)
        generation = self.cache.generation(trial.nct_id)
        document, harvested = self._document(trial, page)
        # A document still collecting changes with every source that reports: never cached.
        if not trial.stale and harvested is not None and document["state"] != "collecting":
            self.cache.put(key, trial.nct_id, (document, trial, harvested), generation,
                           size=approximate_size((document, trial.record)))
            self.cache.put(("warm", key[0]), trial.nct_id, True, generation)
        return {**document, "reporting": self.reporting(trial), **links(trial.nct_id, base_url)}

    def reporting(self, trial):
        """The results reporting of a trial as of today by the app's clock (a due date passes
        while a document sits in the cache, so it is worked out on every answer)."""
        return reporting(trial.record, self.clock().date())

    def compact(self, nct_id, base_url, wait=True):
        """The short document the bookmarklet and embeds show; None while a cold refresh runs."""
        if not wait and self.is_cold(nct_id):
            try:
                self.ensure(nct_id, wait=False)
            except Pending:
                pass
            return None
        full = self.document(nct_id, base_url, page=Page(limit=COMPACT_MENTIONS))
        return {name: full[name] for name in COMPACT_FIELDS if name in full}

    def _from_cache(self, key, base_url):
        """A cached document with its freshness worked out and its links filled in now, or
        None to build it anew."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        document, trial, harvested = hit
        now = self.clock()
        if now - trial.fetched_at > self.trials.freshness and not self.trials.is_swept():
            return None
        if now - harvested > self.freshness:
            self.jobs.request(trial.nct_id)
        self.jobs.viewed(trial.nct_id)
        # A shallow copy: the mentions list is shared, never copied per request.
        return {**document, "stale": self._stale(trial, harvested),
                "reporting": self.reporting(trial), **links(trial.nct_id, base_url)}

    def _stale(self, trial, harvested):
        """Whether a document shows old figures: an old registry copy or old attention."""
        return trial.stale or harvested is None or self.clock() - harvested > self.freshness

    def badge_payload(self, primary, nct_ids, base_url):
        """The bookmarklet payload: the primary trial in full, others if already known."""
        trials = []
        for nct_id in nct_ids[:MAX_TRIALS_PER_BADGE]:
            try:
                compact = self.compact(nct_id, base_url, wait=nct_id == primary)
            except Pending:
                compact = None
            except TrialbuzzError as exc:
                trials.append({"nct_id": nct_id, "error": {"code": exc.code,
                                                           "message": exc.message}})
                continue
            if compact is None:
                compact = {"nct_id": nct_id, "pending": True, "state": "pending",
                           **links(nct_id, base_url)}
            trials.append(compact)
        return {"primary": primary, "nct_ids": nct_ids[:MAX_TRIALS_PER_BADGE], "trials": trials}

    def _document(self, trial, page):
        """Assemble the document from the store, without links; with the time of the harvest
        it shows."""
        with self.db.session() as session:
            row = session.get(Trial, trial.nct_id)
            summary = row.summary or {}
            harvested_at = aware(row.harvested_at)
            checks = _latest_checks(session, trial.nct_id)
            mentions, total = _mentions(session, trial.nct_id, page)
        document = self._assemble(trial, summary, harvested_at, checks, mentions, total,
                                  self.harvester.failing(trial.nct_id),
                                  self.jobs.status(trial.nct_id).active)
        return document, harvested_at

    def _assemble(self, trial, summary, harvested_at, checks, mentions, total, failing, active,
                  idle_sources=None):
        """The document of a trial from what was read of the store, without links
        (`idle_sources`: see _sources)."""
        papers = summary.get("papers", {})
        document = trial_fields(trial)
        counts = {source.id: 0 for source in self.harvester.sources}
        counts.update(summary.get("counts", {}))
        sources = self._sources(checks, counts, failing, idle_sources)
        covered = coverage(sources)
        if harvested_at is None or active:
            state = "collecting"  # its refresh is queued or under way, or before its first
        else:
            state = "partial" if covered["missing"] else "complete"
        document.update({
            "score": summary.get("score", 0),
            "counts": counts,
            "kinds": summary.get("kinds", dict.fromkeys(KINDS, 0)),
            "history": summary.get("history", {}),
            "sources": sources,
            "coverage": covered,
            "publications": {"notices": 0, **summary.get(
                "publications", {"total": 0, "results": 0, "preprints": 0})},
            "mentions": [_mention(m, papers.get(str(m.id))) for m in mentions],
            "mentions_total": total,
            "altmetric": _altmetric(checks.get("altmetric")),
            "updated_at": (harvested_at or trial.fetched_at).isoformat(),
            "stale": self._stale(trial, harvested_at),
            "state": state,
            "context": self.context.of(trial.record, summary),
        })
        return document

    def compacts(self, nct_ids, base_url, extra=(), mentions=True):
        """Compact documents of many trials, in the order given, read from the store in a few
        queries whatever their number; never queues or waits. A trial without its registry
        record yet is `{"nct_id", "pending": true, "state": "pending"}`, one whose lookup
        failed `{"nct_id", "error": {"code", "message"}}`. `extra` names document fields kept
        beside the compact ones (such as "history"); without `mentions`, the list of mentions
        is left out (`mentions_total` stays).

        Each settled trial's document is kept in the document cache like a full one (until the
        trial changes, or DOCUMENT_CACHE_SECONDS), so only the trials not kept are read."""
        requested = [nctid.require(nct_id) for nct_id in nct_ids]
        kept = {}
        for nct_id in dict.fromkeys(requested):
            hit = self._kept_compact((COMPACT_KEY, nct_id, mentions))
            if hit is not None:
                kept[nct_id] = hit
        missing = [nct_id for nct_id in dict.fromkeys(requested) if nct_id not in kept]
        generations = {nct_id: self.cache.generation(nct_id) for nct_id in missing}
        built = self._build_compacts(missing, mentions, generations) if missing else {}
        # A refresh queued since a document was kept changes no figure yet, but its state
        # is "collecting" as a document built now would say.
        refreshing = bulk.active(self.db, list(kept)) if kept else set()
        entries = []
        for nct_id in requested:
            found = kept.get(nct_id) or built[nct_id]
            if not isinstance(found, tuple):
                entry = dict(found)
                if entry.get("pending"):
                    entry.update(links(nct_id, base_url))
                entries.append(entry)
                continue
            document, trial, harvested = found
            entry = {**document, "stale": self._stale(trial, harvested),
                     "reporting": self.reporting(trial), **links(trial.nct_id, base_url)}
            if nct_id in refreshing and nct_id not in built:
                entry["state"] = "collecting"
            entries.append({name: entry[name] for name in (*COMPACT_FIELDS, *extra)
                            if name in entry and (mentions or name != "mentions")})
        return entries

    def _kept_compact(self, key):
        """A kept (document, trial, harvested_at) of compacts, or None when absent or built
        from a registry copy past its freshness."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        _, trial, _ = hit
        if self.clock() - trial.fetched_at > self.trials.freshness and \
                not self.trials.is_swept():
            return None
        return hit

    def _build_compacts(self, nct_ids, mentions, generations):
        """{requested ID: (document without links, trial, harvested_at)} of `nct_ids` read
        from the store in bulk, or the pending or error entry (links aside) of those without
        a record; the settled ones kept for compacts, as of `generations`."""
        found = bulk.read(self.db, nct_ids, COMPACT_MENTIONS if mentions else 0)
        now = self.clock()
        idle_sources = self._idle()
        built = {}
        for nct_id in nct_ids:
            canonical, row, work = found.of(nct_id)
            unsettled = _unsettled(nct_id, row, work)
            if unsettled is not None:
                built[nct_id] = unsettled
                continue
            fetched_at = aware(row.fetched_at)
            trial = TrialRecord(row.nct_id, row.record, fetched_at, aware(row.harvested_at),
                                nct_id, stale=now - fetched_at > self.trials.freshness)
            listed, total = found.mentions.get(canonical, ([], 0))
            document = self._assemble(
                trial, row.summary or {}, trial.harvested_at, found.checks.get(canonical, {}),
                listed, total, found.failing(canonical),
                _active(work), idle_sources)
            built[nct_id] = (document, trial, trial.harvested_at)
            # As document(): never while it is collecting or stale; an alias's entry is keyed
            # by the ID asked, its changes by its study's, so it is not kept.
            if canonical == nct_id and not trial.stale and trial.harvested_at is not None \
                    and document["state"] != "collecting":
                self.cache.put((COMPACT_KEY, nct_id, mentions), nct_id, built[nct_id],
                               generations[nct_id],
                               size=approximate_size((document, trial.record)))
        return built

    def tallies(self, nct_ids, orders=True):
        """What the totals and orders of many trials need, in the order given, read in a few
        small queries whatever their number and without building their documents: entries
        shaped as `compacts` gives them for `collections.totals` (the pending and failed ones
        the same; a settled one's `nct_id`, `score`, `kinds` and `state`, "collecting" or
        "settled"), with `orders` also a settled one's `title` and the day of its newest
        dated mention, `latest` ("" without one)."""
        requested = [nctid.require(nct_id) for nct_id in nct_ids]
        found = bulk.tallies(self.db, requested, orders)
        entries = []
        for nct_id in requested:
            _, row, work = found.of(nct_id)
            unsettled = _unsettled(nct_id, row, work)
            if unsettled is not None:
                entries.append(unsettled)
                continue
            collecting = row.harvested_at is None or _active(work)
            entries.append({
                "nct_id": row.nct_id, "score": row.score or 0,
                "kinds": row.kinds if isinstance(row.kinds, dict) else dict.fromkeys(KINDS, 0),
                "state": "collecting" if collecting else "settled",
                **({"requested_id": nct_id} if row.nct_id != nct_id else {})})
            if orders:
                entries[-1].update(
                    title=row.title if isinstance(row.title, str) else None,
                    latest=aware(row.latest_at).date().isoformat() if row.latest_at else "")
        return entries

    def _idle(self):
        """{source ID: (why it is not running or None, whether a trial's refresh asks it)} of
        every registered source with the settings as they stand: read once per document, or
        once for a batch of them."""
        return {cls.id: (source_registry.status_of_idle(cls, self.settings),
                         cls.searches(self.settings)) for cls in source_registry.REGISTRY}

    def _sources(self, checks, counts, failing, idle_sources=None):
        """Every registered source with its status, count, last check and error; a failing one
        also says since when, and when it is tried again. `idle_sources` is _idle's answer,
        read now when None."""
        idle_sources = idle_sources or self._idle()
        listed = []
        for source_class in source_registry.REGISTRY:
            check = checks.get(source_class.id)
            idle, searched = idle_sources[source_class.id]
            if idle:
                status = "disabled"
            elif not searched:
                status = "ok"  # a stream files posts as they come: nothing to wait for
            else:
                status = check.status if check else "pending"
            entry = {"id": source_class.id, "name": source_class.name, "status": status,
                     "count": counts.get(source_class.id, 0),
                     "checked_at": aware(check.checked_at).isoformat() if check else None,
                     # Why a source is off is for the operator (`trialbuzz lookup`, the log).
                     "error": NOT_USED if idle else (check.error if check else None),
                     "skipped": check.skipped if check and not idle else 0}
            if source_class.experimental:
                entry["experimental"] = True
            if source_class.id in failing and not idle:
                count, since, latest = failing[source_class.id]
                entry["failing_since"] = since.isoformat()
                entry["retry_at"] = self.harvester.retry_at(count, latest).isoformat()
            listed.append(entry)
        return listed


def _unsettled(nct_id, row, work):
    """The entry of a requested trial without its registry record yet: failed (its lookup's
    error) or pending; None for a trial that has its record."""
    if row is not None and aware(row.fetched_at) > PLACEHOLDER_AT:
        return None
    if work is not None and work.state == "failed":
        error = rebuilt(work.error_code, work.error_message, status=work.error_status)
        return {"nct_id": nct_id, "error": {"code": error.code, "message": error.message}}
    return {"nct_id": nct_id, "pending": True, "state": "pending"}


def _active(work):
    """Whether a trial's refresh is queued or under way."""
    return work is not None and work.state in ACTIVE


def _latest_checks(session, nct_id):
    """The newest check of each source for a trial."""
    newest = (select(func.max(SourceCheck.id)).where(SourceCheck.nct_id == nct_id)
              .group_by(SourceCheck.source))
    return {check.source: check for check in session.scalars(
        select(SourceCheck).where(SourceCheck.id.in_(newest)))}


def _mentions(session, nct_id, page):
    """One page of listed mentions, newest first, undated last; and how many there are in all."""
    where = [Mention.nct_id == nct_id, Mention.duplicate_of.is_(None)]
    if page.kind:
        where.append(Mention.kind == page.kind)
    rows = session.scalars(
        select(Mention).where(*where)
        .order_by(Mention.published_at.desc().nulls_last(), Mention.id.desc())
        .limit(page.limit).offset(page.offset)).all()
    total = session.scalar(select(func.count()).select_from(Mention).where(*where))
    return rows, total


def _mention(row, paper=None):
    """A stored mention as the document lists it."""
    item = {"source": row.source, "kind": row.kind, "title": row.title, "url": row.url,
            "author": row.author,
            "published_at": aware(row.published_at).isoformat() if row.published_at else None,
            "snippet": row.snippet}
    if row.kind == "forum":
        item["comment"] = bool((row.extra or {}).get("comment"))
    # The publication a feed's entry came from ("STAT"), as the operator's feed list names it.
    if feeds.outlet(row.extra):
        item["outlet"] = feeds.outlet(row.extra)
    if row.kind == "publication":
        item["result"] = bool((paper or {}).get("result"))
        # A correction, retraction or expression of concern: shown, never counted.
        notice = (paper or {}).get("notice") or (row.extra or {}).get("notice")
        if notice:
            item["notice"] = notice
            if (paper or {}).get("notice_for"):
                item["notice_for"] = paper["notice_for"]
        if (paper or {}).get("notices"):
            item["notices"] = paper["notices"]
    if paper and paper.get("also_found_by"):
        item["also_found_by"] = paper["also_found_by"]
    return item


def _altmetric(check):
    """Altmetric's summary from its latest good check, or None."""
    if check is None or check.status != "ok" or not check.summary:
        return None
    return check.summary
