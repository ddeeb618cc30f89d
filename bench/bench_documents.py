"""Warm trial documents and badge payloads against a bare route of the same waitress server."""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchlib import FakeUpstream, app_config, nct_ids, serve_registry, summary_ms

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from liveserver import as_environment, running_server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_REQUESTS_PER_CLIENT = 1_000_000


def cpu_seconds(pid):
    """User plus system CPU seconds a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm(base, ids, badge_path):
    """Harvest every trial once and wait until each document is served fresh."""
    deadline = time.monotonic() + 60
    for path in [f"/api/v1/trials/{nct_id}" for nct_id in ids] + [badge_path]:
        while True:
            response = requests.get(base + path, timeout=30)
            response.raise_for_status()
            body = response.json()
            trials = body.get("trials", [body])
            if not any(t.get("stale") or t.get("pending") for t in trials):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} still stale after 60 s")
            time.sleep(0.05)


def load(url, clients, duration):
    """GET `url` from `clients` threads (one Session each) for `duration` s; return the figures."""
    latencies = [[] for _ in range(clients)]
    errors, statuses = [0] * clients, [{} for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i):
        """One client: requests in a loop until the shared stop time."""
        with requests.Session() as session:
            start.wait()
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                began = time.perf_counter()
                if began >= stop_at[0]:
                    break
                try:
                    response = session.get(url, timeout=30)
                    status = response.status_code
                except requests.RequestException:
                    status = "exception"
                latencies[i].append(time.perf_counter() - began)
                statuses[i][status] = statuses[i].get(status, 0) + 1
                errors[i] += status != 200

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + duration
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(duration + 60)
    elapsed = time.perf_counter() - began
    merged = [value for part in latencies for value in part]
    counts = {}
    for part in statuses:
        for status, n in part.items():
            counts[status] = counts.get(status, 0) + n
    return {"requests": len(merged), "rps": len(merged) / elapsed, "latencies": merged,
            "errors": sum(errors), "statuses": counts}


def main():
    """Run bare, document, badge and bare again; print throughput, latency and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--badge-trials", type=int, default=1, help="NCT IDs in the badge call")
    args = parser.parse_args()

    ids = nct_ids(max(1, args.badge_trials))
    badge_path = "/api/v1/badge?ids=" + ",".join(ids)
    fake = FakeUpstream().start()
    upstreams.install(fake)
    serve_registry(fake, ids)
    command = [sys.executable, os.path.join(HERE, "serve_bare.py"), "--threads",
               str(args.threads)]
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp, \
            running_server(command, env=as_environment(app_config(Path(tmp), fake.url))) as base:
        process = base.process
        try:
            warm(base, ids, badge_path)
            phases = [("bare", "/bench/bare"), ("document", f"/api/v1/trials/{ids[0]}"),
                      ("badge", badge_path), ("bare again", "/bench/bare")]
            results = {}
            print(f"{args.clients} client threads, {args.threads} waitress threads, "
                  f"{args.duration:g} s per endpoint, {os.cpu_count()} CPUs, server pid "
                  f"{process.pid}")
            print(f"{'endpoint':<11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
                  f"{'srv CPU ms/req':>15} {'requests':>9} {'errors':>7}  statuses")
            for name, path in phases:
                cpu_before = cpu_seconds(process.pid)
                result = load(base + path, args.clients, args.duration)
                result["cpu_ms"] = ((cpu_seconds(process.pid) - cpu_before) * 1000
                                    / max(1, result["requests"]))
                results[name] = result
                _, p50, p99 = summary_ms(result["latencies"])
                print(f"{name:<11} {result['rps']:>8.0f} {p50:>8.2f} {p99:>8.2f} "
                      f"{result['cpu_ms']:>15.2f} {result['requests']:>9} "
                      f"{result['errors']:>7}  {result['statuses']}")
            base.log.seek(0)
            queue_warnings = sum("Task queue depth" in line for line in base.log)
        finally:
            fake.stop()

    bare = (results["bare"]["rps"] + results["bare again"]["rps"]) / 2
    print(f"bare drift: last/first throughput = "
          f"{results['bare again']['rps'] / results['bare']['rps']:.2f}; "
          f"baseline = mean of both bare runs = {bare:.0f} req/s")
    for name in ("document", "badge"):
        ratio = results[name]["rps"] / bare
        cpu = results[name]["cpu_ms"] / ((results["bare"]["cpu_ms"]
                                          + results["bare again"]["cpu_ms"]) / 2)
        print(f"{name}/bare throughput = {ratio:.2f} (target >= 0.70: "
              f"{'met' if ratio >= 0.7 else 'MISSED'}); server CPU per request = {cpu:.1f}x bare")
    total_errors = sum(r["errors"] for r in results.values())
    print(f"errors (non-200 or exception): {total_errors}; waitress queue-depth warnings: "
          f"{queue_warnings}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
