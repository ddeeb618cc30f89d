"""/healthz latency while clients keep resolving worst-case pages, against the idle server.

A loopback fake serves hostile pages of FETCH_MAX_BYTES (deep nesting, millions of tiny tags);
`trialbuzz serve` resolves them through `/api/v1/resolve?url=` from several client threads at
once while a prober times `/healthz`. Prints latency percentiles, the ratio to the idle
baseline measured first, and the server's resident memory before and after.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchlib import FakeUpstream, Reply, app_config, percentile
from bench_page_reader import SIZE, shapes

from liveserver import as_environment, running_server  # noqa: E402 - benchlib's sys.path

WORST = ("nested <dt>", "nested <h1>", "tiny text", "nested <td>")


def rss_mib(pid):
    """Resident memory of a process in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def probe(base, seconds, interval=0.05):
    """GET /healthz every `interval` s for `seconds`; return the latencies in seconds."""
    latencies, stop = [], time.monotonic() + seconds
    with requests.Session() as session:
        while time.monotonic() < stop:
            began = time.perf_counter()
            session.get(base + "/healthz", timeout=120).raise_for_status()
            latencies.append(time.perf_counter() - began)
            time.sleep(interval)
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8, help="threads resolving pages")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds under load")
    parser.add_argument("--size", type=int, default=SIZE, help="page size in bytes")
    args = parser.parse_args()

    pages = {name: page.encode() for name, page in shapes(args.size).items() if name in WORST}
    names = list(pages)
    fake = FakeUpstream().start()
    fake.route("/page/{n}", lambda request, n: Reply(
        200, pages[names[int(n) % len(names)]], {"Content-Type": "text/html; charset=utf-8"}))
    host = fake.url.split("//", 1)[1]
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        config = app_config(Path(tmp), fake.url)
        config.update(CLIENT_UPSTREAM_LIMIT="")
        env = {**as_environment(config), "TRIALBUZZ_FETCH_ALLOW_HOSTS": host}
        command = [sys.executable, "-m", "trialbuzz.cli", "serve"]
        with running_server(command, env=env) as base:
            pid = base.process.pid
            idle = probe(base, 3)
            rss_before = rss_mib(pid)
            stop, counts, errors = threading.Event(), [0] * args.clients, [0] * args.clients

            def client(i):
                with requests.Session() as session:
                    n = i
                    while not stop.is_set():
                        response = session.get(base + "/api/v1/resolve",
                                               params={"url": f"{fake.url}/page/{n}"},
                                               timeout=120)
                        counts[i] += 1
                        errors[i] += response.status_code != 200
                        n += args.clients

            threads = [threading.Thread(target=client, args=(i,), daemon=True)
                       for i in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(1)  # every client is inside a resolve
            loaded = probe(base, args.duration)
            stop.set()
            for thread in threads:
                thread.join(120)
            rss_after = rss_mib(pid)
    fake.stop()

    def row(name, values):
        ms = [v * 1000 for v in values]
        print(f"{name:<8} {len(ms):>6} {percentile(ms, 50):>8.1f} {percentile(ms, 99):>8.1f} "
              f"{max(ms):>8.1f}")

    print(f"{args.clients} clients resolving {', '.join(names)} pages of "
          f"{args.size / 2**20:.1f} MiB for {args.duration:g} s; {os.cpu_count()} CPUs")
    print(f"{'healthz':<8} {'probes':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    row("idle", idle)
    row("loaded", loaded)
    print(f"loaded/idle p99 = {percentile(loaded, 99) / percentile(idle, 99):.1f}; "
          f"max {max(loaded) * 1000:.0f} ms (target < 500 ms: "
          f"{'met' if max(loaded) < 0.5 else 'MISSED'})")
    print(f"pages resolved {sum(counts)} ({sum(errors)} not 200); server memory "
          f"{rss_before:.0f} -> {rss_after:.0f} MiB")
    return 0 if max(loaded) < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
