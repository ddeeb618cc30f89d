"""Explorer queries and the score's context on a large store, on SQLite and PostgreSQL.

Generates a store of --trials trials and --mentions mentions (bulk inserts: executemany on
SQLite, COPY on PostgreSQL) with their index rows made by the same functions the app uses
(attention.index), then times /api/v1/explore for each filter and sort through the app
(query, count and the page's compact documents) and the context's refresh.

    .venv/bin/python bench/bench_explore.py                      # 500,000 / 2,000,000
    .venv/bin/python bench/bench_explore.py --trials 20000 --mentions 80000 --backends sqlite
"""

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import distinct, func, select, text

from benchlib import FakeUpstream, app_config, percentile

from services import fresh_database, postgres_cluster  # noqa: E402
from trialbuzz import create_app  # noqa: E402
from trialbuzz.attention import explore  # noqa: E402
from trialbuzz.attention.index import (day_rows, mention_days, record_facts,  # noqa: E402
                                       summary_facts)
from trialbuzz.cli import freeze_startup  # noqa: E402
from trialbuzz.collections import MAX_LIMIT, PAGE_SIZE  # noqa: E402
from trialbuzz.clock import utcnow  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402
from trialbuzz.storage.models import MentionDay  # noqa: E402

TARGET_MS = 100
EXPORT = "JSON export"
STATUSES = ["COMPLETED"] * 5 + ["RECRUITING"] * 3 + ["UNKNOWN"] * 2 + [
    "ACTIVE_NOT_RECRUITING", "TERMINATED", "NOT_YET_RECRUITING", "WITHDRAWN"]
PHASES = [[], ["NA"], ["PHASE1"], ["PHASE2"], ["PHASE3"], ["PHASE4"], ["PHASE1", "PHASE2"],
          ["PHASE2", "PHASE3"], ["EARLY_PHASE1"]]
TYPES = ["INTERVENTIONAL"] * 4 + ["OBSERVATIONAL"] * 2 + ["EXPANDED_ACCESS"]
KIND_SOURCES = [("news", "gdelt", 8), ("wikipedia", "wikipedia", 3), ("forum", "hackernews", 1),
                ("publication", "pubmed", 0), ("publication", "europepmc", 0),
                ("news", "altmetric", 8), ("blog", "altmetric", 5), ("social", "altmetric", 1),
                ("policy", "altmetric", 3), ("video", "altmetric", 0.25)]
KIND_WEIGHTS = [20, 4, 10, 30, 15, 5, 5, 8, 2, 1]
WORDS = ("cancer breast lung heart failure stroke diabetes covid asthma depression pain "
         "obesity hypertension arthritis leukemia lymphoma melanoma hepatitis hiv malaria "
         "sepsis migraine epilepsy psoriasis glaucoma anemia influenza").split()


def generate(count, mentions, seed=7):
    """Rows of trials, trial_index, trial_facets, mentions and mention_days, per trial."""
    rng = random.Random(seed)
    now = utcnow()
    sponsors = [f"Sponsor {i} {rng.choice(WORDS).title()} Institute" for i in range(5000)]
    conditions = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}" for _ in range(2000)]
    per_trial = mentions / count
    made = 0
    for number in range(count):
        nct_id = f"NCT{10_000_000 + number:08d}"
        # A skewed spread: most trials a few mentions, some many, a quarter none.
        n = 0 if rng.random() < 0.25 else min(int(rng.expovariate(1 / (per_trial / 0.75))), 400)
        if number == count - 1:
            n = max(0, mentions - made)
        n = min(n, mentions - made)
        made += n
        year = rng.randint(1995, 2026)
        record = {"nct_id": nct_id, "title": f"A trial of {rng.choice(WORDS)} in "
                  f"{rng.choice(conditions)} ({number})", "status": rng.choice(STATUSES),
                  "phases": rng.choice(PHASES), "study_type": rng.choice(TYPES),
                  "sponsor": sponsors[min(int(rng.paretovariate(1.2)) - 1, 4999)],
                  "start_date": f"{year}-{rng.randint(1, 12):02d}",
                  "conditions": rng.sample(conditions[:rng.choice((50, 2000))], rng.randint(1, 3)),
                  "has_results": rng.random() < 0.3,
                  "fda_regulated_drug": rng.random() < 0.4,
                  "dates": {"primary_completion": {"date": f"{min(year + 3, 2029)}-06",
                                                   "estimated": year + 3 > 2026}}}
        kinds, counts, rows, score, week = {}, {}, [], 0.0, 0.0
        for index in range(n):
            kind, source, weight = rng.choices(KIND_SOURCES, KIND_WEIGHTS)[0]
            published = None if rng.random() < 0.1 else \
                now - timedelta(days=rng.expovariate(1 / 400), seconds=rng.randint(0, 86400))
            kinds[kind] = kinds.get(kind, 0) + 1
            counts[source] = counts.get(source, 0) + 1
            if kind != "publication":
                score += weight
                if published and now - published <= timedelta(days=7):
                    week += weight
            rows.append({"nct_id": nct_id, "source": source, "external_id": f"{source}-{index}",
                         "kind": kind, "url": f"https://example.org/{nct_id}/{index}",
                         "title": f"Mention {index} of {nct_id}", "published_at": published,
                         "extra": "{}", "first_seen_at": now, "last_seen_at": now})
        summary = {"score": int(score + 0.999), "kinds": kinds, "counts": counts,
                   "history": {"1w": int(week + 0.999)},
                   "publications": {"total": kinds.get("publication", 0), "results": 0,
                                    "preprints": 0}}
        columns, facets = record_facts(nct_id, record)
        attention, more = summary_facts(summary)
        latest = max((r["published_at"] for r in rows if r["published_at"]), default=None)
        yield ({"nct_id": nct_id, "record": json.dumps(record), "summary": json.dumps(summary),
                "fetched_at": now, "harvested_at": now},
               {"nct_id": nct_id, **columns, **attention, "latest_at": latest},
               [{"facet": f, "value": v, "nct_id": nct_id, **attention,
                 "status": columns["status"]}
                for f, v in sorted(facets | more)],
               rows,
               [{"nct_id": nct_id, **row} for row in day_rows(mention_days(
                   (r["published_at"], r["kind"], r["source"]) for r in rows),
                   attention["attention"])])


TABLES = {
    "trials": ("nct_id", "record", "summary", "fetched_at", "harvested_at"),
    "trial_index": ("nct_id", "search", "status", "study_type", "sponsor", "phase",
                    "start_year", "attention", "score", "trend", "latest_at", "reporting",
                    "reporting_due"),
    "trial_facets": ("facet", "value", "nct_id", "attention", "score", "status"),
    "mentions": ("nct_id", "source", "external_id", "kind", "url", "title", "published_at",
                 "extra", "first_seen_at", "last_seen_at"),
    "mention_days": ("nct_id", "day", "kind", "source", "mentions", "attention", "previous",
                     "previous_kind", "previous_source", "previous_pair"),
}


def fill(engine, count, mentions, batch=20_000):
    """Insert the generated store; returns seconds taken."""
    started = time.perf_counter()
    buffers = {name: [] for name in TABLES}
    raw = engine.raw_connection()
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        raw.cursor().execute("PRAGMA cache_size=-400000")  # 400 MB while filling

    def flush():
        cursor = raw.cursor()
        for name, rows in buffers.items():
            if not rows:
                continue
            columns = TABLES[name]
            if postgres:
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(
                    f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                    [[_sqlite(row[c]) for c in columns] for row in rows])
            rows.clear()
        raw.commit()

    for number, (trial, index, facets, found, days) in enumerate(generate(count, mentions)):
        buffers["trials"].append(trial)
        buffers["trial_index"].append(index)
        buffers["trial_facets"] += facets
        buffers["mentions"] += found
        buffers["mention_days"] += days
        if number % batch == batch - 1:
            flush()
            print(f"  {number + 1:,} trials stored, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
    flush()
    raw.close()
    settle(engine)
    return time.perf_counter() - started


def settle(engine):
    """Statistics for the planner (and, on PostgreSQL, the visibility map a store at rest has)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                                   else "ANALYZE")


def _sqlite(value):
    """A value as the app's SQLite columns hold it (datetimes as SQLAlchemy writes them)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def cases(rng):
    """(name, query string maker) of the Explorer requests timed."""
    today = utcnow().date()
    return [
        ("default: score", lambda: {}),
        ("sort=recent", lambda: {"sort": "recent"}),
        ("sort=trending", lambda: {"sort": "trending"}),
        ("q= word", lambda: {"q": rng.choice(WORDS)}),
        ("q= NCT prefix", lambda: {"q": f"NCT1{rng.randint(0, 49):02d}"}),
        ("status", lambda: {"status": rng.choice(STATUSES)}),
        ("phase", lambda: {"phase": rng.choice(["PHASE1", "PHASE2", "PHASE3", "NA"])}),
        ("study_type", lambda: {"study_type": rng.choice(TYPES)}),
        ("condition", lambda: {"condition": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"}),
        ("sponsor", lambda: {"sponsor": f"Sponsor {rng.randint(0, 30)} x"}),
        ("kind", lambda: {"kind": rng.choice(["news", "wikipedia", "policy", "video"])}),
        ("source", lambda: {"source": rng.choice(["gdelt", "hackernews", "wikipedia"])}),
        ("from/to 30 days", lambda: {"from": (today - timedelta(days=rng.randint(30, 900)))
                                     .isoformat(), "to": None}),
        ("from, to today", lambda: {"from": (today - timedelta(days=rng.randint(7, 90)))
                                    .isoformat(), **rng.choice([{}, {"to": today.isoformat()}])}),
        ("from/to + kind", lambda: {"from": (today - timedelta(days=60)).isoformat(),
                                    "kind": rng.choice(["news", "forum"])}),
        ("to a day", lambda: {"to": (today - timedelta(days=rng.randint(0, 900))).isoformat()}),
        ("to + source", lambda: {"to": (today - timedelta(days=rng.randint(0, 900))).isoformat(),
                                 "source": rng.choice(["gdelt", "hackernews", "wikipedia"])}),
        ("from/to 30 days + source", lambda: {
            "from": (today - timedelta(days=rng.randint(30, 900))).isoformat(), "to": None,
            "source": rng.choice(["gdelt", "hackernews", "wikipedia"])}),
        ("from + kind + source", lambda: {
            "from": (today - timedelta(days=rng.randint(7, 90))).isoformat(),
            **rng.choice([{"kind": "news", "source": "gdelt"},
                          {"kind": "forum", "source": "hackernews"}])}),
        ("status+phase, trending", lambda: {"status": "RECRUITING", "phase": "PHASE2",
                                            "sort": "trending"}),
        ("reporting", lambda: {"reporting": rng.choice(["posted", "overdue", "not_due",
                                                         "not_applicable"])}),
        ("offset=10000", lambda: {"offset": "10000"}),
    ]


def _window(params):
    """A 30-day window ending 30 days after `from`."""
    if "to" in params and params["to"] is None:
        start = params["from"]
        params["to"] = (date.fromisoformat(start) + timedelta(days=30)).isoformat()
    return params


def measure(client, repeat, rng):
    """p50 and p95 of each case, in ms."""
    pauses, collecting = [], {}

    def watch(phase, info):
        """Time each full (generation 2) garbage collection."""
        if info["generation"] == 2:
            if phase == "start":
                collecting["at"] = time.perf_counter()
            elif "at" in collecting:
                pauses.append(time.perf_counter() - collecting.pop("at"))

    gc.callbacks.append(watch)
    results = {}
    for name, make in cases(rng):
        times = []
        for _ in range(repeat + 2):
            params = _window(make())
            started = time.perf_counter()
            response = client.get("/api/v1/explore", query_string=params)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_json()
        times = times[2:]  # the first two warm the caches
        results[name] = (percentile(times, 50) * 1000, percentile(times, 95) * 1000,
                         response.get_json()["total"])
    gc.callbacks.remove(watch)
    print(f"(load average after the requests: {os.getloadavg()[0]:.1f}; full garbage "
          f"collections during them: {len(pauses)}, the longest "
          f"{max(pauses, default=0) * 1000:.0f} ms)")
    return results


def window_counts(db, repeat, rng):
    """Per kind of window, p50 ms of counting its trials by gathering them (count(DISTINCT)
    over its days) and by their first days there (what the Explorer does), timed in turn on
    the same store; each pair of counts must agree."""
    today = utcnow().date()
    shapes = {
        "30 days in the past": lambda: explore.Query(
            since=_midnight(today - timedelta(days=rng.randint(30, 900))), until=None),
        "from a day on, a kind": lambda: explore.Query(
            since=_midnight(today - timedelta(days=rng.randint(7, 90))),
            kind=rng.choice(["news", "forum"])),
        "to a day, a source": lambda: explore.Query(
            until=_midnight(today - timedelta(days=rng.randint(0, 400))),
            source=rng.choice(["gdelt", "hackernews", "wikipedia"])),
        "from a day on, a kind and a source": lambda: explore.Query(
            since=_midnight(today - timedelta(days=rng.randint(7, 90))), kind="news",
            source=rng.choice(["gdelt", "altmetric"])),
    }
    results = {}
    with db.session() as session:
        for name, make in shapes.items():
            gathered, first = [], []
            for _ in range(repeat):
                query = make()
                if query.since and query.until is None and not (query.kind or query.source):
                    query = replace(query, until=query.since + timedelta(days=30))
                counts = []
                for statement, times in (
                        (select(func.count(distinct(MentionDay.nct_id)))
                         .where(*explore._days(query)), gathered),
                        (select(func.count()).select_from(MentionDay)
                         .where(*explore._first_days(query)), first)):
                    started = time.perf_counter()
                    counts.append(session.scalar(statement))
                    times.append(time.perf_counter() - started)
                assert counts[0] == counts[1], (name, query, counts)
            results[name] = (percentile(gathered, 50) * 1000, percentile(first, 50) * 1000)
    return results


def collection_reads(app, client, repeat, rng):
    """p50 and p95 ms of reading collections of trials with attention drawn from the store
    (100, and the size limit): the API (a page, as read without a limit; the last page; all
    at once), the page (first and last of a long one), the Atom feed; then the same reads
    with no trial's document kept (as after DOCUMENT_CACHE_SECONDS or a change to each)."""
    with get_db(app).engine.connect() as connection:
        tracked = [row[0] for row in connection.execute(
            text("SELECT nct_id FROM trial_index WHERE attention"))]
    largest = app.config["COLLECTION_MAX_TRIALS"]
    cache = app.extensions["trialbuzz"].attention.cache
    results = {}
    for size in (100, largest):
        made = client.post("/api/v1/collections",
                           json={"name": f"{size} trials", "nct_ids": rng.sample(tracked, size)})
        assert made.status_code == 201, made.get_json()
        api, page = f"/api/v1/collections/{made.get_json()['id']}", \
            f"/collections/{made.get_json()['id']}"
        last = (size - 1) // PAGE_SIZE * PAGE_SIZE
        reads = [("API, a page", api), ("API, the last page", f"{api}?offset={last}"),
                 (f"API, the largest page (limit={MAX_LIMIT})", f"{api}?limit={MAX_LIMIT}"),
                 ("page", page), ("page, the last by title", f"{page}?sort=title&offset={last}"),
                 ("Atom feed", f"{page}/feed.atom"),
                 (f"{EXPORT}, all {size} trials", f"{page}/trials.json")]
        for kept in (True, False):
            for name, path in reads:
                if not kept and name == "Atom feed":
                    continue          # a feed reads mentions, never documents
                times = []
                saved, cache.ttl = cache.ttl, cache.ttl if kept else 0
                for _ in range(repeat + 2):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, path
                cache.ttl = saved
                times = times[2:]
                label = f"collection of {size}: {name}{'' if kept else ', nothing kept'}"
                results[label] = (percentile(times, 50) * 1000, percentile(times, 95) * 1000)
    return results


def _midnight(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)


def context_cost(app, repeat):
    """(p50, p95) ms of one refresh of the context's counts, and of one trial's lookup."""
    context = app.extensions["trialbuzz"].attention.context
    refreshes = []
    for _ in range(repeat):
        started = time.perf_counter()
        context.refresh()
        refreshes.append(time.perf_counter() - started)
    lookups = []
    record = {"phases": ["PHASE2"], "start_date": "2020-05"}
    for score in range(repeat * 10):
        started = time.perf_counter()
        context.of(record, {"score": score, "kinds": {"news": 1}})
        lookups.append(time.perf_counter() - started)
    return ((percentile(refreshes, 50) * 1000, percentile(refreshes, 95) * 1000),
            (percentile(lookups, 50) * 1000, percentile(lookups, 95) * 1000))


def run(backend, url, args, fake):
    """Fill one store and time it; prints a table."""
    # No worker in the process: what is timed is the reads alone, not refreshes the schedule
    # would run beside them (bench_task_engine.py times those).
    app = create_app(app_config(args.tmp, fake.url, DATABASE_URL=url, EMBEDDED_WORKER=False,
                                EXPLORE_TOTALS_SECONDS=args.totals_seconds))
    db = get_db(app)
    with db.engine.connect() as connection:
        kept = db.engine.dialect.has_table(connection, "trial_index") and connection.execute(
            text("SELECT count(*) FROM trials")).scalar()
    started = time.perf_counter()
    db.migrate()
    migrated = time.perf_counter() - started
    freeze_startup()  # as `trialbuzz serve` does before serving
    if args.without_statistics and db.engine.dialect.name == "sqlite":
        # As a store the app made and nobody analyzed: the planner's own guesses.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    if kept:
        seconds = 0.0
        print(f"\n{backend}: reusing the store at {url} (migrated in {migrated:.1f} s)",
              file=sys.stderr)
    else:
        print(f"\n{backend}: generating {args.trials:,} trials and {args.mentions:,} mentions",
              file=sys.stderr)
        seconds = fill(db.engine, args.trials, args.mentions)
    with db.engine.connect() as connection:
        attention = connection.execute(text("SELECT count(*) FROM trial_index "
                                            "WHERE attention")).scalar()
        stored = connection.execute(text("SELECT count(*) FROM mentions")).scalar()
        facets = connection.execute(text("SELECT count(*) FROM trial_facets")).scalar()
    print(f"\n## {backend}: {args.trials:,} trials ({attention:,} with attention), "
          f"{stored:,} mentions, {facets:,} facet rows; filled in {seconds:.0f} s; "
          f"totals kept {args.totals_seconds:g} s; load average {os.getloadavg()[0]:.1f}")
    rng = random.Random(11)
    everything = args.only is None
    results = measure(app.test_client(), args.repeat, rng) if everything else {}
    print(f"\n| request ({args.repeat} each) | total matched (last) | p50 ms | p95 ms | "
          f"≤ {TARGET_MS} ms |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, (p50, p95, total) in results.items():
        print(f"| {name} | {total:,} | {p50:.0f} | {p95:.0f} | "
              f"{'yes' if p95 <= TARGET_MS else 'NO'} |")
    windows = window_counts(db, args.repeat, rng) if everything else {}
    collections = collection_reads(app, app.test_client(), args.repeat, rng)
    for name, (p50, p95) in collections.items():
        # An export is a download of every trial, not a query: timed, with no target.
        met = "n/a" if EXPORT in name else "yes" if p95 <= TARGET_MS else "NO"
        print(f"| {name} | | {p50:.0f} | {p95:.0f} | {met} |")
    if not everything:
        sys.stdout.flush()
        app.extensions["trialbuzz"].jobs.shutdown()
        db.dispose()
        return
    (r50, r95), (l50, l95) = context_cost(app, max(5, args.repeat // 4))
    # Only a process's first read is inside a request; later ones are behind them: no target.
    print(f"| context: refresh of the counts (one grouped pass, behind the requests) | | "
          f"{r50:.0f} | {r95:.0f} | n/a |")
    print(f"| context: one trial's place, counts cached | | {l50:.3f} | {l95:.3f} | "
          f"{'yes' if l95 <= TARGET_MS else 'NO'} |")
    print(f"\n| a window's trials counted ({args.repeat} each, same store, in turn) | "
          f"gathered p50 ms | by first days p50 ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, (gathered, first) in windows.items():
        print(f"| {name} | {gathered:.1f} | {first:.1f} | {gathered / first:.1f}× |")
    sys.stdout.flush()
    app.extensions["trialbuzz"].jobs.shutdown()
    db.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=500_000)
    parser.add_argument("--mentions", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--totals-seconds", type=float, default=0.0,
                        help="EXPLORE_TOTALS_SECONDS: 0 (the default here) counts every "
                        "request, the worst case; the app keeps them 5 s")
    parser.add_argument("--keep", metavar="FILE", help="the SQLite store: filled when new, "
                        "reused as it is otherwise (brought to the current schema)")
    parser.add_argument("--without-statistics", action="store_true", help="SQLite: drop the "
                        "planner statistics (ANALYZE) before the requests, as a store the app "
                        "made and nobody analyzed has none")
    parser.add_argument("--only", choices=["collections"], help="time only the collection "
                        "reads (the store is filled or reused all the same)")
    parser.add_argument("--postgresql-url", metavar="URL", help="a PostgreSQL database to use "
                        "instead of a cluster of the run's own, filled or reused as --keep")
    args = parser.parse_args()
    fake = FakeUpstream().start()
    try:
        with tempfile.TemporaryDirectory(prefix="trialbuzz-explore-") as tmp, ExitStack() as stack:
            args.tmp = Path(tmp)
            for backend in args.backends.split(","):
                if backend == "sqlite":
                    url = f"sqlite:///{args.keep or os.path.join(tmp, 'explore.sqlite3')}"
                elif args.postgresql_url:
                    url = args.postgresql_url
                else:
                    cluster = stack.enter_context(postgres_cluster())
                    url = stack.enter_context(fresh_database(cluster))
                run(backend, url, args, fake)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
