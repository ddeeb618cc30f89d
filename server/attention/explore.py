"""The Explorer's queries: trials with attention, searched, filtered, sorted and paged on the
index (attention.index), never on the records themselves."""

import re
import threading
import time as clock
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import column, exists, func, literal_column, or_, select, table
from sqlalchemy.orm import aliased

from trialbuzz.attention.index import key
from trialbuzz.clock import utcnow
from trialbuzz.errors import BadRequest
from trialbuzz.params import whole_number
from trialbuzz.registry import reporting as reporting_module
from trialbuzz.storage.models import MentionDay, TrialFacet, TrialIndex

# Values as ClinicalTrials.gov spells them (API v2 enums).
STATUSES = ("ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION",
            "NOT_YET_RECRUITING", "RECRUITING", "SUSPENDED", "TERMINATED", "WITHDRAWN",
            "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
            "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN")
PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS")
SORTS = ("score", "recent", "trending")
REPORTING = reporting_module.STATUSES
MAX_LIMIT = 100
MAX_OFFSET = 100_000
MAX_TEXT = 200
_NCT_PREFIX = re.compile(r"^nct\d{0,8}$")
# SQLite's trigram index of trial_index.search (trial_search, migration 0010): a query of this
# many characters or more is looked up in it; a shorter one is read row by row. Its text has
# U+017F (which FTS5 folds to "s") and U+E000 written U+E001, and a line of three U+E000 for a
# trial with attention: words with any of those three characters are read row by row too.
TRIGRAM = 3
_UNINDEXED = frozenset("\u017f\ue000\ue001")
_ATTENTION = '"\ue000\ue000\ue000"'
_TRIAL_SEARCH = table("trial_search", column("rowid"))
# PostgreSQL's trial_search (migration 0013): the NCT ID and search text of each trial with
# attention, with a trigram index (pg_trgm), kept in step with trial_index by triggers.
_SEARCH_TABLE = table("trial_search", column("nct_id"), column("search"))


@dataclass(frozen=True)
class Query:
    """What an Explorer request asks for; every value checked, keys lower-cased."""

    q: str | None = None
    status: str | None = None
    phase: str | None = None
    study_type: str | None = None
    condition: str | None = None
    sponsor: str | None = None
    kind: str | None = None
    source: str | None = None
    reporting: str | None = None
    since: datetime | None = None  # `from`, inclusive
    until: datetime | None = None  # the day after `to`, exclusive
    sort: str = "score"
    limit: int = 20
    offset: int = 0

    def params(self, **changes):
        """The query string parameters that ask for this query (with `changes`), as given."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        out = {}
        for name, value in values.items():
            if value in (None, "") or (name, value) in {("sort", "score"), ("limit", 20),
                                                        ("offset", 0)}:
                continue
            if name == "since":
                out["from"] = value.date().isoformat()
            elif name == "until":
                out["to"] = (value - timedelta(days=1)).date().isoformat()
            elif name in ("status", "phase", "study_type"):
                out[name] = value.upper()
            else:
                out[name] = value
        return out


def _choice(args, name, allowed, lower=True):
    """A parameter that must be one of `allowed` (compared without case), or None."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    for value in allowed:
        if raw.lower() == value.lower():
            return value.lower() if lower else value
    raise BadRequest(f"{name} must be one of {', '.join(allowed)}.", code="invalid_parameter")


def _text(args, name):
    raw = (args.get(name) or "").strip()
    if len(raw) > MAX_TEXT:
        raise BadRequest(f"{name} is longer than {MAX_TEXT} characters.",
                         code="invalid_parameter")
    return raw or None


def _day(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD.",
                         code="invalid_parameter") from None
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def parse(args, kinds, sources):
    """The Query of request arguments; a 400 (BadRequest) names the first bad value."""
    since, to = _day(args, "from"), _day(args, "to")
    until = to + timedelta(days=1) if to else None
    if since and until and since >= until:
        raise BadRequest("from must not be after to.", code="invalid_parameter")
    return Query(
        q=_text(args, "q"), status=_choice(args, "status", STATUSES),
        phase=_choice(args, "phase", PHASES), study_type=_choice(args, "study_type", STUDY_TYPES),
        condition=_text(args, "condition"), sponsor=_text(args, "sponsor"),
        kind=_choice(args, "kind", kinds), source=_choice(args, "source", sources),
        reporting=_choice(args, "reporting", REPORTING),
        since=since, until=until, sort=_choice(args, "sort", SORTS) or "score",
        limit=whole_number(args, "limit", 20, 1, MAX_LIMIT),
        offset=whole_number(args, "offset", 0, 0, MAX_OFFSET))


# A window of mentions this short (an open end taken as today) is read from the days' index
# (the trials it names); a longer one is checked trial by trial.
SHORT_WINDOW = timedelta(days=366)


def _facets(query):
    """The (facet, value) filters of a query, the likely most selective first."""
    found = []
    if query.condition:
        found.append(("condition", key(query.condition)))
    if query.phase:
        found.append(("phase", query.phase))
    if not (query.since or query.until):
        if query.kind:
            found.append(("kind", query.kind))
        if query.source:
            found.append(("source", query.source))
    return found


def _in_facet(name, value):
    """Trials with `value` among their `name` facets: a probe of the facets' key per trial
    (apart from a leading facet's rows)."""
    probe = aliased(TrialFacet)
    return exists().where(probe.facet == name, probe.value == value,
                          probe.nct_id == TrialIndex.nct_id)


def _days(query, ranged=True):
    """The conditions on mention_days of a query's window (its kind and source within it).
    When `ranged`, of trials with attention, which leads the window's index: for reading the
    days of many trials; without, a probe of one trial reads its key."""
    window = [MentionDay.attention.is_(True)] if ranged else []
    if query.since:
        window.append(MentionDay.day >= query.since.date())
    if query.until:
        window.append(MentionDay.day < query.until.date())
    if query.kind:
        window.append(MentionDay.kind == query.kind)
    if query.source:
        window.append(MentionDay.source == query.source)
    return window


def _first_days(query):
    """The conditions on mention_days that name each trial with attention and a listed mention
    within the query's window (of its kind, of its source) once: its first day there, the row
    whose previous day (see MentionDay) is before the window or none. With no start, its
    first row, read on the first rows' partial index."""
    previous = {(False, False): MentionDay.previous, (True, False): MentionDay.previous_kind,
                (False, True): MentionDay.previous_source,
                (True, True): MentionDay.previous_pair}[bool(query.kind), bool(query.source)]
    first = previous.is_(None)
    if query.since:
        first = or_(first, previous < query.since.date())
    return [*_days(query), first]


def _window_only(query):
    """Whether a query asks for a window of mentions (of a kind, a source) and nothing else:
    then counted on mention_days alone, which repeats each trial's attention."""
    return bool(query.since or query.until) and replace(
        query, since=None, until=None, kind=None, source=None, sort="score", limit=20,
        offset=0) == Query()


def _window(query, probe=False):
    """Trials with a listed mention dated within the query's window (of its kind and source),
    read from the mentions' days: the window's ends are UTC midnights, so whole days answer
    it exactly. A short window names its trials; a long one, or any when `probe`, is probed
    trial by trial."""
    if not probe and query.since and \
            (query.until or utcnow() + timedelta(days=1)) - query.since <= SHORT_WINDOW:
        return TrialIndex.nct_id.in_(select(MentionDay.nct_id).where(*_days(query)))
    return exists().where(MentionDay.nct_id == TrialIndex.nct_id, *_days(query, ranged=False))


def _to_latest(query):
    """Whether a query's window is read on each trial's newest listed mention (latest_at): a
    `from` with no end (see _open_ended), kind or source. latest_at is the newest date of the
    trial's listed mentions, the undated aside, as mention_days holds their days; `from` is a
    UTC midnight, so a trial has a mention on or after its day exactly when latest_at is on or
    after it."""
    return bool(query.since) and not (query.until or query.kind or query.source)


def _open_ended(session, query):
    """The query with the end of its window dropped when no listed mention of any trial with
    attention (the only ones listed) is dated on or after that end (a window that reaches
    today, when nothing is dated in the future): the same trials answer, and a window from a
    day on is read on latest_at."""
    if not (query.since and query.until):
        return query
    newest = session.scalar(select(func.max(MentionDay.day)).where(
        MentionDay.attention.is_(True)))
    if newest is None or newest < query.until.date():
        return replace(query, until=None)
    return query


def _indexed(text, dialect):
    """Whether the words `text` (lower-cased) are looked up in SQLite's trigram index."""
    return dialect == "sqlite" and len(text) >= TRIGRAM and not _UNINDEXED & set(text)


def _match(text):
    """The FTS5 query of trials with attention whose search text holds `text`: the words
    quoted as one phrase (their own quotes doubled), never read as query syntax."""
    return literal_column("trial_search").op("MATCH")(
        '"' + text.replace('"', '""') + '" ' + _ATTENTION)


def _words(text, dialect):
    """Trials whose search text holds `text` (lower-cased), as a substring.

    On PostgreSQL trial_search names them, its LIKE read on the trigram index (pg_trgm). On
    SQLite the trigram FTS5 table names them. FTS5 folds the case of the text as lower() left
    it, so for ASCII words (whose letters nothing else folds to, U+017F aside) its answer is
    the substring search's; other words are checked by the LIKE too."""
    if dialect == "postgresql":
        return [TrialIndex.nct_id.in_(select(_SEARCH_TABLE.c.nct_id).where(
            _SEARCH_TABLE.c.search.contains(text, autoescape=True)))]
    like = TrialIndex.search.contains(text, autoescape=True)
    if not _indexed(text, dialect):
        return [like]
    found = TrialIndex.nct_id.in_(
        select(func.printf("NCT%08d", _TRIAL_SEARCH.c.rowid)).where(_match(text)))
    return [found] if text.isascii() else [found, like]


def _words_count(query, dialect):
    """The count of a query that asks for words and nothing else, on the search index alone
    when it answers that on its own, or None."""
    text = (query.q or "").strip().lower()
    if not text or replace(query, q=None, sort="score", limit=20, offset=0) != Query() or \
            _NCT_PREFIX.match(text):
        return None
    if dialect == "postgresql":
        return select(func.count()).select_from(_SEARCH_TABLE).where(
            _SEARCH_TABLE.c.search.contains(text, autoescape=True))
    if _indexed(text, dialect) and text.isascii():
        return select(func.count()).select_from(_TRIAL_SEARCH).where(_match(text))
    return None


def _equal(column, value, probe):
    """column = value; when `probe` on SQLite, written so that no index of the column is read
    (the rows are walked in the order asked and each checked: SQLite's planner would take the
    column's index; PostgreSQL's weighs the LIMIT itself)."""
    return (column.concat("") if probe == "sqlite" else column) == value


def conditions(query, facets=None, dialect="sqlite", probe=None):
    """The WHERE clauses on trial_index of a query (attention aside), with `facets` (all of
    the query's when None) as subqueries. With `probe` (the dialect), each is a check of one
    trial (no list of trials made; on SQLite no index of a filter read): for walking the
    trials in order when many match."""
    where = []
    if query.q:
        text = query.q.strip().lower()
        if _NCT_PREFIX.match(text):
            # A range of the primary key: LIKE would read every row (SQLite's is case-blind).
            prefix = text.upper()
            where += [TrialIndex.nct_id >= prefix,
                      TrialIndex.nct_id < prefix[:-1] + chr(ord(prefix[-1]) + 1)]
        elif probe:
            where.append(TrialIndex.search.contains(text, autoescape=True))
        else:
            where += _words(text, dialect)
    for name in ("status", "study_type", "sponsor"):
        value = getattr(query, name)
        if value:
            where.append(_equal(getattr(TrialIndex, name), key(value), probe))
    if query.reporting in ("overdue", "not_due"):
        # Which of the two depends on the day: the due date (and its grace) passed or not.
        today = utcnow().date()
        where += [_equal(TrialIndex.reporting, "due", probe),
                  TrialIndex.reporting_due < today if query.reporting == "overdue"
                  else TrialIndex.reporting_due >= today]
    elif query.reporting:
        where.append(_equal(TrialIndex.reporting, query.reporting, probe))
    for name, value in _facets(query) if facets is None else facets:
        where.append(_in_facet(name, value))
    if _to_latest(query):
        where.append(TrialIndex.latest_at >= query.since)
    elif query.since or query.until:
        # The kind and the source then describe the mentions dated within the window.
        where.append(_window(query, probe))
    return where


ORDER = {
    "score": (TrialIndex.score.desc(), TrialIndex.nct_id),
    "recent": (TrialIndex.latest_at.desc().nulls_last(), TrialIndex.score.desc(),
               TrialIndex.nct_id),
    "trending": (TrialIndex.trend.desc(), TrialIndex.score.desc(), TrialIndex.nct_id),
}


# Filters of trial_index with an index of their own: when one is asked, it leads rather than
# a facet of many trials (a phase, a kind, a source), whose key is then probed per trial.
_INDEXED = ("status", "study_type", "sponsor")


def _status_and_facet(query, facets):
    """Whether a query asks for a status and one facet and nothing else: then counted on the
    facets' index, whose rows repeat the trial's status."""
    return len(facets) == 1 and query.status and replace(
        query, status=None, sort="score", limit=20, offset=0,
        **{name: None for name in ("condition", "phase", "kind", "source")}) == Query()


def _lead(query, facets):
    """The facet that leads the query (its rows counted and sorted on their index), or None
    when trial_index leads: no facet, or a filter of trial_index with a facet other than a
    condition (a condition names few trials)."""
    if not facets:
        return None
    if facets[0][0] != "condition" and any(getattr(query, name) for name in _INDEXED):
        return None
    return facets[0]


def search(session, query, limit=None, totals=None):
    """(total, the page asked) for a Query: the page as (NCT ID, 7-day change, newest
    mention's date) in order; `limit` overrides the query's. `totals` (a Totals) keeps the
    counts of recent queries.

    A leading facet filter (see _lead) has rows that carry the trial's attention and score, so
    it is counted, and sorted by score, on its own index. Otherwise words alone, a window alone
    and a status with one facet are counted on one index each (trial_search, mention_days,
    trial_facets); a window from a day on, which reaches the newest mention, on the order of
    the newest mentions (latest_at, see _to_latest); and the page is read by walking the
    order's index when many trials match (see _walk)."""
    columns = (TrialIndex.nct_id, TrialIndex.trend, TrialIndex.latest_at)
    dialect = session.get_bind().dialect.name
    query = _open_ended(session, query)
    facets = _facets(query)
    lead = _lead(query, facets)
    if lead:
        name, value = lead
        leading = [TrialFacet.facet == name, TrialFacet.value == value,
                   TrialFacet.attention.is_(True)]
        rest = conditions(query, facets[1:], dialect)
        joined = select(*columns).select_from(TrialFacet).join(
            TrialIndex, TrialIndex.nct_id == TrialFacet.nct_id)
        count = select(func.count()).select_from(TrialFacet)
        if rest:
            count = count.join(TrialIndex, TrialIndex.nct_id == TrialFacet.nct_id)
        count = count.where(*leading, *rest)
        order = (TrialFacet.score.desc(), TrialFacet.nct_id) if query.sort == "score" \
            else ORDER[query.sort]
        page = joined.where(*leading, *rest).order_by(*order)
    else:
        where = [TrialIndex.attention.is_(True), *conditions(query, dialect=dialect)]
        count = select(func.count()).select_from(TrialIndex).where(*where)
        words = _words_count(query, dialect)
        if words is not None:
            count = words
        elif _window_only(query) and not _to_latest(query):
            count = select(func.count()).select_from(MentionDay).where(*_first_days(query))
        elif _status_and_facet(query, facets):
            (name, value), = facets
            count = select(func.count()).select_from(TrialFacet).where(
                TrialFacet.facet == name, TrialFacet.value == value,
                TrialFacet.attention.is_(True), TrialFacet.status == key(query.status))
        page = select(*columns).where(*where).order_by(*ORDER[query.sort])
    total = totals.total(session, query, count) if totals else session.scalar(count)
    if total <= query.offset:
        return total, []
    if not lead and _walk(session, query, total, limit or query.limit):
        page = select(*columns).where(
            TrialIndex.attention.is_(True),
            *conditions(query, dialect=dialect, probe=dialect)).order_by(*ORDER[query.sort])
    page = page.limit(limit or query.limit).offset(query.offset)
    if query.offset and not lead:
        # The NCT IDs of a deep page first, from the order's index alone; then their rows.
        ids = page.with_only_columns(TrialIndex.nct_id).subquery()
        page = select(*columns).join(ids, ids.c.nct_id == TrialIndex.nct_id) \
            .order_by(*ORDER[query.sort])
    rows = session.execute(page).all()
    return total, [tuple(row) for row in rows]


# A page is read by walking the trials with attention in the order asked, each checked, when
# about this many rows or fewer are expected to be walked to fill it (the matches spread
# evenly); otherwise from the trials the filters name, sorted.
WALK_ROWS = 20_000


# How long the number of trials with attention, which only chooses how a page is read, is
# kept per process.
ESTIMATE_SECONDS = 60.0
_estimate = {}
_estimate_lock = threading.Lock()


def _with_attention(session):
    """The number of trials with attention, as counted within ESTIMATE_SECONDS (per database)."""
    bind = session.get_bind()
    now = clock.monotonic()
    with _estimate_lock:
        kept = _estimate.get(id(bind))
    if kept and kept[0] > now:
        return kept[1]
    count = session.scalar(select(func.count()).select_from(TrialIndex)
                           .where(TrialIndex.attention.is_(True)))
    with _estimate_lock:
        _estimate[id(bind)] = (now + ESTIMATE_SECONDS, count)
    return count


def _walk(session, query, total, limit):
    """Whether the page of a query with filters (and `total` matches) is read by walking: a
    choice of plan only, the answer is the same either way."""
    if replace(query, sort="score", limit=20, offset=0) == Query():
        return False  # no filter: the order's index is walked anyway
    return (query.offset + limit) * _with_attention(session) <= WALK_ROWS * total


class Totals:
    """The totals of recent Explorer queries, kept `seconds` per process: the other pages and
    orders of the same filters are not counted again. Stores made in this process forget
    them all (forget); another process's may go unseen for up to `seconds`."""

    LIMIT = 1024

    def __init__(self, seconds):
        self.seconds = float(seconds)
        self._kept = {}
        self._lock = threading.Lock()

    def total(self, session, query, count):
        """The total of `query` (its filters; the order and page aside), kept or counted with
        the statement `count`."""
        if self.seconds <= 0:
            return session.scalar(count)
        # The day: whether a due date has passed (reporting) depends on it.
        key = (replace(query, sort="score", limit=20, offset=0), utcnow().date())
        now = clock.monotonic()
        with self._lock:
            kept = self._kept.get(key)
        if kept and kept[0] > now:
            return kept[1]
        total = session.scalar(count)
        with self._lock:
            if len(self._kept) >= self.LIMIT:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
                if len(self._kept) >= self.LIMIT:
                    self._kept.clear()
            self._kept[key] = (now + self.seconds, total)
        return total

    def forget(self, *_):
        """Forget every kept total (the index just changed)."""
        with self._lock:
            self._kept.clear()
