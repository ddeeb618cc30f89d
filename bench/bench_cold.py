"""Cold trial lookups with every attention source delayed, as ratios of the delay and of serial time."""

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import FakeUpstream, app_config, nct_ids, serve_registry

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from trialbuzz import create_app  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402

# The fake's routes of each source; PubMed's two E-utilities are one source making two calls.
SOURCE_ROUTES = {
    "europepmc": [("europepmc", upstreams.europepmc)],
    "pubmed": [("pubmed_search", upstreams.pubmed_search),
               ("pubmed_summary", upstreams.pubmed_summary)],
    "wikipedia": [("wikipedia", upstreams.wikipedia)],
    "hackernews": [("hackernews", upstreams.hackernews)],
    "gdelt": [("gdelt", upstreams.gdelt)],
}


def install_first_delayed(fake, delay, seen):
    """Every source in real shapes, where only each source's first call (per trial) is late."""
    def first_late(source, handler):
        """`handler` with `delay` on the first call of `source` since `seen` was cleared."""
        def answer(request, **params):
            """The real-shaped answer, late only if it is the source's first call."""
            late = source not in seen
            seen.add(source)
            return handler(request, delay=delay if late else 0, **params)
        return answer

    upstreams.install(fake)  # altmetric's 404 and the rest; the routes below take precedence
    for source, routes in SOURCE_ROUTES.items():
        for route, handler in routes:
            fake.route(upstreams.ROUTES[route], first_late(source, handler))


def run_variant(name, delay, count, polite, first_only):
    """Look up `count` cold trials through a fresh app; print and return each time ÷ delay."""
    fake = FakeUpstream().start()
    seen = set()
    if first_only:
        install_first_delayed(fake, delay, seen)
    else:
        upstreams.install(fake, delay=delay)
    ids = nct_ids(count, start=1000001)
    serve_registry(fake, ids)
    ratios = []
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        config = app_config(Path(tmp), fake.url)
        if polite:
            # The production paces: each source's own rate and the registry's 2/s.
            config.pop("SOURCE_RATES")
            config.pop("CTGOV_RATE")
        app = create_app(config)
        get_db(app).migrate()
        client = app.test_client()
        print(f"\n{name}: delay {delay * 1000:.0f} ms, {count} cold trials, "
              f"{'production' if polite else 'no'} rate limits")
        print(f"{'trial':<12} {'ms':>6} {'/delay':>7} {'slowest serial':>20} {'/slowest':>9} "
              f"{'sum serial ms':>14} {'/sum':>5}  calls per source")
        try:
            for nct_id in ids:
                seen.clear()
                before = Counter(fake.calls)
                began = time.perf_counter()
                response = client.get(f"/api/v1/trials/{nct_id}")
                elapsed = time.perf_counter() - began
                body = response.get_json()
                bad = [s["id"] for s in body.get("sources", [])
                       if s["status"] not in ("ok", "disabled")]
                if response.status_code != 200 or bad:
                    print(f"  {nct_id}: status {response.status_code}, sources not ok: {bad}")
                calls = {source: sum(fake.calls[upstreams.ROUTES[r]] -
                                     before[upstreams.ROUTES[r]] for r, _ in routes)
                         for source, routes in SOURCE_ROUTES.items()}
                # What each source would take alone: its calls in series, each one late.
                serial = {source: (1 if first_only else n) * delay if n else 0.0
                          for source, n in calls.items()}
                slowest = max(serial, key=serial.get)
                ratio = elapsed / delay
                ratios.append(ratio)
                print(f"{nct_id:<12} {elapsed * 1000:>6.0f} {ratio:>7.2f} "
                      f"{slowest + ' ' + format(serial[slowest] * 1000, '.0f') + ' ms':>20} "
                      f"{elapsed / serial[slowest]:>9.2f} {sum(serial.values()) * 1000:>14.0f} "
                      f"{elapsed / sum(serial.values()):>5.2f}  "
                      + " ".join(f"{s}={n}" for s, n in calls.items()))
        finally:
            get_db(app).dispose()
            fake.stop()
    median = statistics.median(ratios)
    print(f"{name}: median time / delay = {median:.2f} (target <= 1.30: "
          f"{'met' if median <= 1.3 else 'MISSED'})")
    return median


def main():
    """Run the per-call and the first-call variants and print their ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=5, help="distinct cold trials per variant")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds each late call waits")
    parser.add_argument("--polite", action="store_true",
                        help="keep the production rate limits (GDELT's is 1 call per 5 s)")
    args = parser.parse_args()
    print("registry record served at once (it is not an attention source); "
          "lookups through the Flask test client, one at a time")
    per_call = run_variant("every call late", args.delay, args.trials, args.polite, False)
    first = run_variant("first call of each source late", args.delay, args.trials, args.polite,
                        True)
    print(f"\nsummary: time / {args.delay * 1000:.0f} ms = {per_call:.2f} with every call late, "
          f"{first:.2f} with each source's first call late (target <= 1.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
