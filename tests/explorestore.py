"""A store of varied trials for the Explorer, filled through the registry and harvest code
paths, and what a plain reading of its tables answers to an Explorer query: the reference the
indexed queries (trigram search, mention days, the leading filter, kept totals) must match,
total and order."""

import random
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from records import study
from trialbuzz.attention import explore
from trialbuzz.attention.harvest import Outcome
from trialbuzz.attention.index import key
from trialbuzz.attention.sources.base import Mention
from trialbuzz.clock import utcnow
from trialbuzz.storage.models import Mention as MentionRow
from trialbuzz.storage.models import TrialFacet, TrialIndex

WORDS = ("heart stroke ſtroke he\ue000art cancer lung café naïve covid-19 50% under_score "
         "o'brien \"quoted\" near(a b) or and not * ^ - : {x}").split()
STATUSES = ("RECRUITING", "COMPLETED", "TERMINATED")
PHASES = ([], ["PHASE1"], ["PHASE2"], ["PHASE1", "PHASE2"], ["PHASE3"])
SPONSORS = ("Acme Pharma", "Heart Institute", "Université Lumière", "NEAR Labs")
CONDITIONS = ("Stroke", "Heart Failure", "Lung Cancer", "Rare Disease")
# (source, kind) of the mentions made.
FOUND = (("gdelt", "news"), ("hackernews", "forum"), ("wikipedia", "wikipedia"),
         ("pubmed", "publication"), ("bluesky", "social"))
COUNT = 36


def fill(state, ctgov, count=COUNT, seed=3):
    """`count` trials with random titles, filters and mentions (some none, some only
    publications, some undated); returns their NCT IDs."""
    rng = random.Random(seed)
    now = utcnow()
    ids = []
    for number in range(count):
        nct_id = f"NCT{20_000_000 + number * 37:08d}"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
        record = study(nct_id, title=title, status=rng.choice(STATUSES),
                       phases=rng.choice(PHASES) or None,
                       study_type=rng.choice(("INTERVENTIONAL", "OBSERVATIONAL")),
                       acronym=rng.choice((None, "NEAR", "OR-2")))
        protocol = record["protocolSection"]
        protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = rng.choice(SPONSORS)
        protocol["conditionsModule"]["conditions"] = rng.sample(CONDITIONS, rng.randint(1, 2))
        ctgov.add(record)
        state.trials.fetch(nct_id)
        by_source = defaultdict(list)
        for index in range(rng.choice((0, 1, 2, 3, 5, 8))):
            source, kind = rng.choice(FOUND)
            # Some on the very edge of a day, some undated.
            published = None if rng.random() < 0.1 else (
                now - timedelta(days=rng.randint(0, 120), seconds=rng.choice((0, 1, 43200))))
            by_source[source].append(Mention(
                source, kind, f"{nct_id}-{index}", f"https://example.org/{nct_id}/{index}",
                title=title, published_at=published))
        state.harvester.store(nct_id, [Outcome(source, "ok", mentions=found)
                                       for source, found in by_source.items()])
        ids.append(nct_id)
    return ids


def add_undated_and_ahead(app, ctgov):
    """A trial whose only mention is undated, one whose only mention is at a UTC midnight ten
    days back, and a mention dated three days ahead (so that a window ending today no longer
    reaches the newest mention)."""
    state = app.extensions["trialbuzz"]
    now = utcnow()
    undated = "NCT20999999"
    ctgov.add(study(undated, title="heart undated"))
    state.trials.fetch(undated)
    state.harvester.store(undated, [Outcome("hackernews", "ok", mentions=[Mention(
        "hackernews", "forum", f"{undated}-0", f"https://example.org/{undated}/0",
        title="heart undated", published_at=None)])])
    midnight = "NCT20999998"
    ctgov.add(study(midnight, title="heart at midnight"))
    state.trials.fetch(midnight)
    state.harvester.store(midnight, [Outcome("hackernews", "ok", mentions=[Mention(
        "hackernews", "forum", f"{midnight}-0", f"https://example.org/{midnight}/0",
        title="heart at midnight", published_at=datetime.combine(
            now.date() - timedelta(days=10), time(), tzinfo=timezone.utc))])])
    ahead = f"NCT{20_000_000:08d}"
    state.harvester.store(ahead, [Outcome("bluesky", "ok", mentions=[Mention(
        "bluesky", "social", f"{ahead}-ahead", f"https://example.org/{ahead}/ahead",
        title="ahead", published_at=now + timedelta(days=3))])])


def queries(today):
    """Explorer query strings covering each filter, their pairs, the sorts and pages."""
    day = timedelta(days=1)
    found = [{}, {"sort": "recent"}, {"sort": "trending"}, {"offset": "5", "limit": "7"},
             {"sort": "recent", "offset": "3", "limit": "4"},
             {"sort": "trending", "offset": "6", "limit": "5"},
             {"q": "heart", "offset": "2", "limit": "3"},
             {"status": "COMPLETED", "offset": "1", "limit": "2", "sort": "recent"},
             {"from": (today - timedelta(days=60)).isoformat(), "offset": "2", "limit": "3"}]
    found += [{"q": word} for word in (
        "heart", "HEART", "ear", "he", "é", "café", "naïve", "50%", "under_score", "o'brien",
        '"quoted"', '"', 'heart"', "near(a", "heart or", "or", "*", "^", "-", ":", "{x}",
        "acme", "lumière", "stroke\nheart", "nct2", "NCT200", "nct20000037", "art fail",
        "troke", "ſtroke", "\ue000\ue000\ue000", "ke\ue001")]
    found += [{"status": s} for s in STATUSES] + [{"phase": p} for p in ("PHASE1", "PHASE2")]
    found += [{"condition": "stroke"}, {"sponsor": "acme pharma"}, {"kind": "news"},
              {"source": "hackernews"}, {"study_type": "OBSERVATIONAL"}]
    # Windows that end today or later, in the past, and in the days ahead.
    for back, length in ((0, 0), (3, 10), (30, 30), (45, 31), (90, 40), (200, 100), (10, 13),
                         (-1, 5), (-3, 0)):
        start = (today - timedelta(days=back)).isoformat()
        end = (today - timedelta(days=back) + length * day).isoformat()
        found += [{"from": start, "to": end}, {"from": start}, {"to": end},
                  {"from": start, "to": end, "kind": "news"},
                  {"from": start, "source": "gdelt", "sort": "recent"},
                  {"from": start, "to": end, "source": "hackernews"}, {"to": end, "kind": "forum"},
                  {"from": start, "kind": "news", "source": "gdelt"},
                  {"to": end, "source": "wikipedia"},
                  {"to": end, "kind": "news", "source": "gdelt"},
                  {"from": start, "to": end, "kind": "forum", "source": "hackernews"}]
    found += [{"status": "RECRUITING", "phase": "PHASE2", "sort": "trending"},
              {"status": "COMPLETED", "phase": "PHASE1"},
              {"study_type": "INTERVENTIONAL", "kind": "news", "sort": "recent"},
              {"sponsor": "heart institute", "condition": "stroke"},
              {"status": "RECRUITING", "q": "heart", "kind": "forum"},
              {"q": "ca", "from": (today - 60 * day).isoformat(), "kind": "news"},
              {"phase": "PHASE2", "condition": "lung cancer", "source": "gdelt"}]
    return found


def expected(session, args, kinds, sources):
    """(total, NCT IDs of the page) that a plain reading of the tables answers to `args`."""
    query = explore.parse(args, kinds, sources)
    facets = defaultdict(set)
    for row in session.scalars(select(TrialFacet)):
        facets[row.nct_id].add((row.facet, row.value))
    listed = defaultdict(list)
    for row in session.scalars(select(MentionRow).where(MentionRow.duplicate_of.is_(None))):
        listed[row.nct_id].append(row)
    today = utcnow().date()

    def matches(row):
        if query.q:
            text = query.q.strip().lower()
            if explore._NCT_PREFIX.match(text):
                if not row.nct_id.startswith(text.upper()):
                    return False
            elif text not in row.search:
                return False
        for name in ("status", "study_type", "sponsor"):
            if getattr(query, name) and getattr(row, name) != key(getattr(query, name)):
                return False
        if query.reporting == "overdue":
            if not (row.reporting == "due" and row.reporting_due < today):
                return False
        elif query.reporting == "not_due":
            if not (row.reporting == "due" and row.reporting_due >= today):
                return False
        elif query.reporting and row.reporting != query.reporting:
            return False
        wanted = [("condition", key(query.condition)) if query.condition else None,
                  ("phase", query.phase) if query.phase else None]
        if not (query.since or query.until):
            wanted += [("kind", query.kind) if query.kind else None,
                       ("source", query.source) if query.source else None]
        if any(pair and pair not in facets[row.nct_id] for pair in wanted):
            return False
        if query.since or query.until:
            return any(
                m.published_at is not None
                and (not query.since or m.published_at >= query.since)
                and (not query.until or m.published_at < query.until)
                and (not query.kind or m.kind == query.kind)
                and (not query.source or m.source == query.source)
                for m in listed[row.nct_id])
        return True

    rows = [row for row in session.scalars(select(TrialIndex).where(
        TrialIndex.attention.is_(True))) if matches(row)]
    if query.sort == "recent":
        # Newest first, the undated last; then by score and ID.
        rows.sort(key=lambda r: (r.latest_at is None, -(r.latest_at.timestamp()
                                                         if r.latest_at else 0),
                                 -r.score, r.nct_id))
    elif query.sort == "trending":
        rows.sort(key=lambda r: (-r.trend, -r.score, r.nct_id))
    else:
        rows.sort(key=lambda r: (-r.score, r.nct_id))
    page = rows[query.offset:query.offset + query.limit]
    return len(rows), [row.nct_id for row in page]


def check(app, ctgov):
    """Fill `app`'s store and compare every query's answer through the API with the plain
    reading; returns how many queries matched something."""
    fill(app.extensions["trialbuzz"], ctgov)
    return compare(app)


def compare(app, asking=None):
    """Compare every query's answer (those asking for nothing but the parameters `asking`,
    when given) through the API with the plain reading of `app`'s store; returns how many
    queries matched something."""
    from trialbuzz.attention import sources
    from trialbuzz.attention.kinds import KINDS

    state = app.extensions["trialbuzz"]
    client = app.test_client()
    kinds, ids = tuple(KINDS), tuple(source.id for source in sources.REGISTRY)
    matched = 0
    for args in queries(utcnow().date()):
        if asking is not None and not set(args) <= set(asking):
            continue
        with state.db.session() as session:
            want = expected(session, args, kinds, ids)
        response = client.get("/api/v1/explore", query_string=args)
        assert response.status_code == 200, (args, response.get_json())
        body = response.get_json()
        assert (body["total"], [t["nct_id"] for t in body["trials"]]) == want, args
        matched += bool(want[0])
    return matched


def day_rows(app):
    """Every mention_days row of `app`'s store, in order, as tuples."""
    from trialbuzz.storage.models import MentionDay

    with app.extensions["trialbuzz"].db.session() as session:
        return [tuple(row) for row in session.execute(
            select(MentionDay.nct_id, MentionDay.day, MentionDay.kind, MentionDay.source,
                   MentionDay.mentions, MentionDay.attention, MentionDay.previous,
                   MentionDay.previous_kind, MentionDay.previous_source)
            .order_by(MentionDay.nct_id, MentionDay.day, MentionDay.kind, MentionDay.source))]


def migrate_again(app, revision):
    """Take `app`'s schema back to `revision` and up again (the later revisions' backfills
    redone from the stored mentions)."""
    from alembic import command
    from alembic.config import Config

    from trialbuzz.storage.db import MIGRATIONS

    db = app.extensions["trialbuzz"].db
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    db.migrate()
