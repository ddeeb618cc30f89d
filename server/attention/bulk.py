"""What the documents of many trials need, read from the store in a few queries whatever their
number (collections of hundreds of trials): records, latest checks, failing sources, the first
mentions of each and their totals, the work on each; rows, never ORM objects."""

from dataclasses import dataclass, field

from sqlalchemy import String, and_, any_, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from trialbuzz.clock import aware
from trialbuzz.jobs.work import ACTIVE
from trialbuzz.storage.models import Mention, SourceCheck, Trial, TrialAlias, TrialIndex, Work

# IDs per IN (…) list: far below any database's limit on bound parameters.
CHUNK = 500
# Read as plain rows (attributes named as the models' columns), not as ORM objects: hundreds
# of trials' rows are only read, and building objects to track them was most of the time.
TRIALS, CHECKS, MENTIONS, WORK = (model.__table__ for model in (Trial, SourceCheck, Mention,
                                                                 Work))


@dataclass
class Found:
    """The rows read for a list of trial IDs, by canonical ID (aliases mapped in `canonical`)."""

    canonical: dict = field(default_factory=dict)
    trials: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    mentions: dict = field(default_factory=dict)
    work: dict = field(default_factory=dict)

    def of(self, nct_id):
        """(canonical ID, trial row or None, work row or None) of a requested ID."""
        canonical = self.canonical.get(nct_id, nct_id)
        return canonical, self.trials.get(canonical), \
            self.work.get(canonical) or self.work.get(nct_id)

    def failing(self, nct_id):
        """{source: (failures in a row, first of them, latest)}, as Harvester.failing says."""
        return self.failures.get(nct_id, {})


def _among(session, column, ids):
    """`column IN ids`; on PostgreSQL `column = ANY(array)`, one parameter for all the IDs:
    one parameter an ID (with its cast) is spelled out and parsed again at every execution,
    which cost more than the query itself for a few hundred trials."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(String)))
    return column.in_(ids)


def chunks(ids):
    """`ids` in lists of at most CHUNK."""
    ids = list(ids)
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def read(db, nct_ids, mentions_each):
    """Everything the documents of `nct_ids` need, with the `mentions_each` newest listed
    mentions of each trial."""
    found = Found()
    with db.session() as session:
        canonical = _canonical(session, nct_ids, found)
        for part in chunks(canonical):
            for row in session.execute(
                    select(TRIALS).where(_among(session, TRIALS.c.nct_id, part))):
                found.trials[row.nct_id] = row
            _checks(session, part, found)
            _failures(session, part, found)
            _mentions(session, part, mentions_each, found)
        _work(session, set(nct_ids) | set(canonical), found)
    return found


def tallies(db, nct_ids, orders=True):
    """What the totals (and with `orders`, the orders) of many trials need, without their
    documents: by canonical ID in `trials`, rows of (nct_id, fetched_at, harvested_at, score,
    kinds, and with `orders` title and latest_at), the summary's and record's fields read by
    the database, not decoded whole; aliases in `canonical` and the work on each as `read`
    gives them."""
    columns = [Trial.nct_id, Trial.fetched_at, Trial.harvested_at,
               Trial.summary["score"].as_integer().label("score"),
               Trial.summary["kinds"].label("kinds")]
    if orders:
        columns += [Trial.record["title"].as_string().label("title"), TrialIndex.latest_at]
    found = Found()
    with db.session() as session:
        canonical = _canonical(session, nct_ids, found)
        for part in chunks(canonical):
            query = select(*columns).where(_among(session, Trial.nct_id, part))
            if orders:
                query = query.outerjoin(TrialIndex, TrialIndex.nct_id == Trial.nct_id)
            for row in session.execute(query):
                found.trials[row.nct_id] = row
        _work(session, set(nct_ids) | set(canonical), found)
    return found


def active(db, nct_ids):
    """Those of `nct_ids` whose refresh is queued or under way."""
    found = set()
    with db.session() as session:
        for part in chunks(nct_ids):
            found.update(session.scalars(
                select(WORK.c.nct_id).where(_among(session, WORK.c.nct_id, part),
                                            WORK.c.state.in_(ACTIVE))))
    return found


def _canonical(session, nct_ids, found):
    """Map the aliases among `nct_ids` in `found.canonical`; their canonical IDs, in order,
    without repeats."""
    for part in chunks(nct_ids):
        found.canonical.update(session.execute(
            select(TrialAlias.alias, TrialAlias.nct_id)
            .where(_among(session, TrialAlias.alias, part))
        ).all())
    return list(dict.fromkeys(found.canonical.get(i, i) for i in nct_ids))


def _work(session, ids, found):
    """The work row of each of `ids` that has one."""
    for part in chunks(ids):
        for row in session.execute(select(WORK).where(_among(session, WORK.c.nct_id, part))):
            found.work[row.nct_id] = row


def _checks(session, ids, found):
    """The newest check of each source of each trial."""
    newest = (select(func.max(SourceCheck.id)).where(_among(session, SourceCheck.nct_id, ids))
              .group_by(SourceCheck.nct_id, SourceCheck.source))
    for check in session.execute(select(CHECKS).where(CHECKS.c.id.in_(newest))):
        found.checks.setdefault(check.nct_id, {})[check.source] = check


def _failures(session, ids, found):
    """The checks that failed since each source's last good one, per trial and source."""
    good = aliased(SourceCheck)
    last_good = (select(func.coalesce(func.max(good.id), 0))
                 .where(good.nct_id == SourceCheck.nct_id, good.source == SourceCheck.source,
                        good.status == "ok").scalar_subquery())
    rows = session.execute(
        select(SourceCheck.nct_id, SourceCheck.source, func.count(),
               func.min(SourceCheck.checked_at), func.max(SourceCheck.checked_at))
        .where(_among(session, SourceCheck.nct_id, ids), SourceCheck.status != "ok",
               SourceCheck.id > last_good)
        .group_by(SourceCheck.nct_id, SourceCheck.source))
    for nct_id, source, count, since, latest in rows:
        found.failures.setdefault(nct_id, {})[source] = (count, aware(since), aware(latest))


def _mentions(session, ids, each, found):
    """The `each` newest listed mentions of each trial (undated last), and their totals."""
    listed = and_(_among(session, Mention.nct_id, ids), Mention.duplicate_of.is_(None))
    totals = dict(session.execute(select(Mention.nct_id, func.count()).where(listed)
                                  .group_by(Mention.nct_id)).all())
    if each <= 0:  # the totals alone (the Explorer lists no mentions)
        for nct_id, total in totals.items():
            found.mentions[nct_id] = ([], total)
        return
    place = func.row_number().over(
        partition_by=Mention.nct_id,
        order_by=(Mention.published_at.desc().nulls_last(), Mention.id.desc())).label("place")
    ranked = select(Mention.id, place).where(listed).subquery()
    rows = session.execute(
        select(MENTIONS).join(ranked, ranked.c.id == MENTIONS.c.id)
        .where(ranked.c.place <= each)
        .order_by(MENTIONS.c.nct_id, MENTIONS.c.published_at.desc().nulls_last(),
                  MENTIONS.c.id.desc()))
    for row in rows:
        found.mentions.setdefault(row.nct_id, ([], totals.get(row.nct_id, 0)))[0].append(row)
    for nct_id, total in totals.items():
        found.mentions.setdefault(nct_id, ([], total))


def newest_found(db, nct_ids, limit):
    """The `limit` listed mentions of `nct_ids` (canonical IDs) found most lately, newest first:
    what a feed of new mentions shows."""
    rows = []
    with db.session() as session:
        for part in chunks(nct_ids):
            rows.extend(session.scalars(
                select(Mention).where(_among(session, Mention.nct_id, part),
                                     Mention.duplicate_of.is_(None))
                .order_by(Mention.first_seen_at.desc(), Mention.id.desc()).limit(limit)))
    rows.sort(key=lambda row: (aware(row.first_seen_at), row.id), reverse=True)
    return rows[:limit]


def monthly_kinds(db, nct_ids):
    """The listed mentions of `nct_ids` (canonical IDs) counted by the store per month (UTC)
    and kind, as timeline.counted gives them: `[((year, month) or None, kind, count)]`."""
    month = _utc_month(MENTIONS.c.published_at, db.engine.dialect.name)
    counts = {}
    with db.session() as session:
        for part in chunks(nct_ids):
            for kind, when, count in session.execute(
                    select(MENTIONS.c.kind, month, func.count())
                    .where(_among(session, MENTIONS.c.nct_id, part),
                           MENTIONS.c.duplicate_of.is_(None))
                    .group_by(MENTIONS.c.kind, month)):
                key = ((int(when[:4]), int(when[5:7])) if when else None, kind or "other")
                counts[key] = counts.get(key, 0) + count
    return [(when, kind, count) for (when, kind), count in counts.items()]


def _utc_month(column, dialect):
    """"YYYY-MM" of a stored moment in UTC, by the database. SQLite keeps moments as UTC
    text that begins so; PostgreSQL's are read in the session's time zone unless told."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)


def canonical(db, nct_ids, keep_order=False):
    """`nct_ids` with each alias replaced by its study's ID, in order, without repeats (or
    one for one, repeats kept, with `keep_order`)."""
    found = Found()
    with db.session() as session:
        unique = _canonical(session, nct_ids, found)
    return [found.canonical.get(i, i) for i in nct_ids] if keep_order else unique
