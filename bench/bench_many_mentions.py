"""A trial with 10,000 stored mentions: document build time against a 10-mention trial, and the summary."""

import argparse
import gc
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from benchlib import FakeUpstream, app_config, nct_ids, serve_registry, study, summary_ms

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from trialbuzz import create_app  # noqa: E402
from trialbuzz.attention import index  # noqa: E402
from trialbuzz.attention.harvest import Outcome  # noqa: E402
from trialbuzz.attention.score import summarize  # noqa: E402
from trialbuzz.attention.service import Page, _mentions  # noqa: E402
from trialbuzz.clock import utcnow  # noqa: E402
from trialbuzz.registry.ctgov import parse_study  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402
from trialbuzz.storage.models import Mention, MentionDay, Trial  # noqa: E402

BASE_URL = "http://127.0.0.1:5000"
# Source, kind and share of the stored mentions; papers are often found by two sources.
MIX = [("gdelt", "news", 0.25), ("hackernews", "forum", 0.30), ("wikipedia", "wikipedia", 0.05),
       ("europepmc", "publication", 0.20), ("pubmed", "publication", 0.15),
       ("ctgov", "publication", 0.05)]


def mention_rows(nct_id, count, now, rng):
    """`count` mentions of mixed sources, kinds and dates; some papers shared across sources."""
    rows = []
    papers = max(1, count // 4)
    for i in range(count):
        pick, total = rng.random(), 0.0
        for source, kind, share in MIX:
            total += share
            if pick < total:
                break
        published = None if rng.random() < 0.05 else now - timedelta(
            seconds=rng.randrange(0, 2 * 365 * 86400))
        extra = {}
        if kind == "publication":
            paper = rng.randrange(papers)
            extra = {"pmid": str(30000000 + paper), "doi": f"10.1000/trial.{paper}",
                     "result": paper % 10 == 0, "preprint": paper % 17 == 0}
        elif kind == "forum":
            extra = {"comment": i % 3 != 0, "points": i % 50}
        rows.append({"nct_id": nct_id, "source": source, "external_id": f"{source}:{i}",
                     "kind": kind, "url": f"https://example.org/{source}/{i}",
                     "title": f"Mention {i} of {nct_id} on {source}", "author": f"author {i % 97}",
                     "published_at": published, "snippet": "A few words about the trial. " * 4,
                     "language": "en", "extra": extra, "first_seen_at": now, "last_seen_at": now})
    return rows


def seed(app, nct_id, count, rng):
    """Store the trial and `count` mentions directly, then summarise them the harvester's way."""
    state, now = app.extensions["trialbuzz"], utcnow()
    with state.db.session() as session:
        session.add(Trial(nct_id=nct_id, record=parse_study(study(nct_id)), fetched_at=now))
        session.flush()
        session.execute(insert(Mention), mention_rows(nct_id, count, now, rng))
    outcomes = [Outcome(source.id, "ok") for source in state.harvester.sources]
    began = time.perf_counter()
    state.harvester.store(nct_id, outcomes)
    return time.perf_counter() - began


def _index_upkeep(state, nct_id, repetitions):
    """Median seconds of keeping the Explorer's index of a trial's stored summary: when its
    mention days are unchanged, and when all of them are written anew; rolled back."""
    with state.db.session() as session:
        summary = session.get(Trial, nct_id).summary

        def rewrite():
            session.execute(delete(MentionDay).where(MentionDay.nct_id == nct_id))
            index.store_summary(session, nct_id, summary)

        same = time_calls(lambda: index.store_summary(session, nct_id, summary), repetitions)
        rewritten = time_calls(rewrite, repetitions)
        session.rollback()
    return statistics.median(same), statistics.median(rewritten)


def time_calls(fn, repetitions, pauses=None):
    """Durations in seconds of `repetitions` calls of `fn`; full GC pauses go to `pauses`."""
    for _ in range(min(5, repetitions)):
        fn()
    started = {}

    def watch(phase, info):
        """Record how long each full (generation 2) collection took."""
        if info["generation"] == 2 and phase == "start":
            started["at"] = time.perf_counter()
        elif info["generation"] == 2 and pauses is not None:
            pauses.append(time.perf_counter() - started["at"])

    gc.callbacks.append(watch)
    durations = []
    try:
        for _ in range(repetitions):
            began = time.perf_counter()
            fn()
            durations.append(time.perf_counter() - began)
    finally:
        gc.callbacks.remove(watch)
    return durations


def main():
    """Seed a large and a small trial, then time their documents and the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=10_000, help="mentions of the big trial")
    parser.add_argument("--small", type=int, default=10, help="mentions of the baseline trial")
    parser.add_argument("--repetitions", type=int, default=200, help="document builds per case")
    parser.add_argument("--summaries", type=int, default=5, help="repeated harvest-side summaries")
    args = parser.parse_args()

    fake = FakeUpstream().start()
    upstreams.install(fake)
    big, small = nct_ids(2, start=2000001)
    serve_registry(fake, [big, small])
    rng = random.Random(20251110)
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        app = create_app(app_config(Path(tmp), fake.url))
        get_db(app).migrate()
        state = app.extensions["trialbuzz"]
        try:
            first_store = {big: seed(app, big, args.mentions, rng),
                           small: seed(app, small, args.small, rng)}
            client = app.test_client()
            rows, pauses, listing, hosts, full = {}, {}, {}, {}, {}
            for nct_id in (big, small):
                document = state.attention.document(nct_id, BASE_URL)
                assert not document["stale"] and document["mentions_total"] > 0, document
                assert client.get(f"/api/v1/trials/{nct_id}").status_code == 200
                direct = time_calls(lambda: state.attention.document(nct_id, BASE_URL,
                                                                     page=Page()),
                                    args.repetitions)
                # The same build with the in-memory cache emptied first: the store's share.
                uncached = time_calls(lambda: (state.attention.cache.invalidate(nct_id),
                                               state.attention.document(nct_id, BASE_URL)),
                                      args.repetitions)
                pauses[nct_id] = []
                http = time_calls(lambda: client.get(f"/api/v1/trials/{nct_id}"),
                                  args.repetitions, pauses[nct_id])
                # Every request naming another Host: links differ, the cached document must not.
                ports = itertools.count(10_000)
                hosts[nct_id] = summary_ms(time_calls(
                    lambda: client.get(f"/api/v1/trials/{nct_id}",
                                       headers={"Host": f"localhost:{next(ports)}"}),
                    args.repetitions))
                # Every listed mention (the details page's document), served from the cache.
                full[nct_id] = summary_ms(time_calls(
                    lambda: state.attention.document(nct_id, BASE_URL,
                                                     page=Page(limit=args.mentions)),
                    args.repetitions))
                with state.db.session() as session:
                    listing[nct_id] = summary_ms(time_calls(
                        lambda: _mentions(session, nct_id, Page()), args.repetitions))[0]
                rows[nct_id] = (summary_ms(direct), summary_ms(http), document,
                                summary_ms(uncached))
            cached = (len(state.attention.cache), state.attention.cache.nbytes)
            stores = {nct_id: time_calls(lambda: state.harvester.store(
                nct_id, [Outcome(s.id, "ok") for s in state.harvester.sources]),
                args.summaries) for nct_id in (big, small)}
            kept_index = {nct_id: _index_upkeep(state, nct_id, args.summaries)
                          for nct_id in (big, small)}
            with state.db.session() as session:
                loaded = session.scalars(select(Mention).where(Mention.nct_id == big)).all()
            pure = time_calls(lambda: summarize(loaded, app.config["SCORE_WEIGHTS"], utcnow()),
                              args.summaries)
        finally:
            get_db(app).dispose()
            fake.stop()

    print(f"document build, {args.repetitions} repetitions each (ms)")
    print(f"{'trial':<12} {'stored':>7} {'listed':>7} {'direct mean':>12} {'p99':>7} "
          f"{'GET mean':>9} {'p99':>7} {'uncached mean':>14} {'p99':>7}")
    for nct_id, count in ((big, args.mentions), (small, args.small)):
        (d_mean, _, d_p99), (h_mean, _, h_p99), document, (u_mean, _, u_p99) = rows[nct_id]
        print(f"{nct_id:<12} {count:>7} {document['mentions_total']:>7} {d_mean:>12.2f} "
              f"{d_p99:>7.2f} {h_mean:>9.2f} {h_p99:>7.2f} {u_mean:>14.2f} {u_p99:>7.2f}")
    (d_big, _, p99_big), (h_big, _, hp99_big), _, (u_big, _, up99_big) = rows[big]
    (d_small, _, _), (h_small, _, _), _, (u_small, _, _) = rows[small]
    print(f"ratio {args.mentions}/{args.small} mentions: direct mean {d_big / d_small:.2f}x, "
          f"GET mean {h_big / h_small:.2f}x")
    for nct_id, count in ((big, args.mentions), (small, args.small)):
        gcs = pauses[nct_id]
        print(f"{count:>6} mentions: mention page + count query {listing[nct_id]:.2f} ms mean; "
              f"{len(gcs)} full GCs during the GETs, longest {max(gcs, default=0) * 1000:.1f} ms")
    print(f"target p99 <= 10 ms for {args.mentions} mentions: GET p99 {hp99_big:.2f} ms "
          f"({'met' if hp99_big <= 10 else 'MISSED'}), direct p99 {p99_big:.2f} ms; "
          f"uncached build p99 {up99_big:.2f} ms "
          f"({'met' if up99_big <= 10 else 'MISSED'}), {u_big / u_small:.2f}x the 10-mention "
          f"trial's")
    print(f"served from the cache (ms): {'trial':<12} {'new Host each GET':>18} {'p99':>7} "
          f"{'all mentions, direct':>21} {'p99':>7}")
    for nct_id in (big, small):
        (n_mean, _, n_p99), (f_mean, _, f_p99) = hosts[nct_id], full[nct_id]
        print(f"{'':<27}{nct_id:<12} {n_mean:>18.2f} {n_p99:>7.2f} {f_mean:>21.2f} {f_p99:>7.2f}")
    print(f"document cache after {2 * args.repetitions} distinct Host headers: {cached[0]} "
          f"entries, about {cached[1] / 2**20:.1f} MiB")
    print("harvest-side summary (Harvester.store, no new mentions), ms:")
    for nct_id, count in ((big, args.mentions), (small, args.small)):
        print(f"  {count:>6} mentions: first (sets duplicate_of) {first_store[nct_id] * 1000:.1f}, "
              f"then median of {args.summaries}: {statistics.median(stores[nct_id]) * 1000:.1f}")
    print(f"  of which score.summarize alone on {len(loaded)} loaded rows: median "
          f"{statistics.median(pure) * 1000:.1f}")
    print("the Explorer's index of a stored summary (index.store_summary), median ms:")
    for nct_id, count in ((big, args.mentions), (small, args.small)):
        same, rewritten = kept_index[nct_id]
        print(f"  {count:>6} mentions: days unchanged (read and compared) {same * 1000:.1f}, "
              f"days all written anew {rewritten * 1000:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
