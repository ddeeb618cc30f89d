"""Load: drive a real `trialbuzz serve` on loopback for a while with a mix of warm reads and cold lookups."""

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

from benchlib import FakeUpstream, app_config, nct_ids, percentile, serve_registry

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from liveserver import as_environment, running_server  # noqa: E402

# What one request of the mix asks for, and how often (weights).
MIX = {"document": 40, "badge": 25, "svg": 25, "cold": 10}


def rss_kib(pid):
    """Resident memory of a process in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    """Run the load and print throughput, latency, errors and server memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warm-trials", type=int, default=20)
    parser.add_argument("--cold-delay", type=float, default=0.05,
                        help="delay of every fake source call, seconds")
    args = parser.parse_args()

    fake = FakeUpstream().start()
    upstreams.install(fake, delay=args.cold_delay)
    # Enough registry records for every cold lookup the run can make.
    ids = nct_ids(args.warm_trials + 20000)
    serve_registry(fake, ids)
    warm, cold = ids[:args.warm_trials], iter(ids[args.warm_trials:])
    cold_lock = threading.Lock()
    config = app_config(Path(tempfile.mkdtemp()), fake.url, CONTACT="load@example.org")
    env = as_environment(config)
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        pid = base.process.pid
        session = requests.Session()
        for nct_id in warm:
            session.get(f"{base}/api/v1/trials/{nct_id}", timeout=60).raise_for_status()
        before = rss_kib(pid) if pid else 0
        latencies, statuses, errors = defaultdict(list), Counter(), Counter()
        stop_at = time.monotonic() + args.seconds

        def client(seed):
            rng = random.Random(seed)
            http = requests.Session()
            kinds = list(MIX)
            weights = [MIX[k] for k in kinds]
            while time.monotonic() < stop_at:
                kind = rng.choices(kinds, weights)[0]
                nct_id = rng.choice(warm)
                if kind == "cold":
                    with cold_lock:
                        nct_id = next(cold)
                path = {"document": f"/api/v1/trials/{nct_id}",
                        "badge": f"/api/v1/badge?ids={nct_id}",
                        "svg": f"/badge/{nct_id}.svg",
                        "cold": f"/api/v1/trials/{nct_id}"}[kind]
                started = time.monotonic()
                try:
                    response = http.get(base + path, timeout=30)
                    statuses[(kind, response.status_code)] += 1
                    if response.status_code != 200:
                        errors[(kind, response.status_code)] += 1
                except requests.RequestException as exc:
                    errors[(kind, exc.__class__.__name__)] += 1
                latencies[kind].append(time.monotonic() - started)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        after = rss_kib(pid) if pid else 0
    fake.stop()

    total = sum(len(v) for v in latencies.values())
    print(f"{args.clients} clients for {elapsed:.1f} s against `trialbuzz serve` (waitress, "
          f"8 threads), fake sources delayed {args.cold_delay * 1000:.0f} ms a call")
    print(f"{'kind':<10}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for kind in MIX:
        values = latencies[kind]
        print(f"{kind:<10}{len(values):>9}{len(values) / elapsed:>8.1f}"
              f"{percentile(values, 50) * 1000:>9.1f}{percentile(values, 99) * 1000:>9.1f}")
    print(f"{'all':<10}{total:>9}{total / elapsed:>8.1f}")
    print(f"errors: {sum(errors.values())} {dict(errors) if errors else ''}")
    print(f"server memory (RSS): {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
          f"({(after - before) / 1024:+.1f} MiB)")


if __name__ == "__main__":
    main()
