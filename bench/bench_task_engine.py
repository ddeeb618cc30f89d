"""The task engine under load: /healthz while 200 cold trials are asked at once with every
upstream call 2 s late; harvest throughput with 1, 2 and 4 worker processes on PostgreSQL and
Redis, every call 200 ms late."""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import requests

from benchlib import FakeUpstream, app_config, nct_ids, percentile, serve_registry

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from liveserver import as_environment, running_server  # noqa: E402
from services import fresh_database, postgres_cluster, redis_server  # noqa: E402
from trialbuzz import create_app, settings  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402

PYTHON = [sys.executable, "-m", "trialbuzz.cli"]
HEALTHZ_EVERY = 0.05
# No phase runs longer than this, whatever happens.
PHASE_LIMIT = 180


def cold_crowd(args):
    """/healthz latency, and every cold request's latency and status, while `args.trials`
    different cold trials are requested at once through `trialbuzz serve`."""
    fake = FakeUpstream().start()
    upstreams.install(fake, delay=args.delay)
    ids = nct_ids(args.trials, start=3000001)
    serve_registry(fake, ids, delay=args.delay)
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        config = app_config(Path(tmp), fake.url, CLIENT_UPSTREAM_LIMIT="",
                            UPSTREAM_READ_TIMEOUT=args.delay + 5)
        env = as_environment(config)
        command = [*PYTHON, "serve", "--threads", str(args.threads)] if args.threads else [
            *PYTHON, "serve"]
        try:
            with running_server(command, env=env) as base:
                cold_wait = settings.resolve(environ=env)["COLD_WAIT"]
                return _crowd(base, ids, cold_wait, args.delay)
        finally:
            fake.stop()


def _crowd(base, ids, cold_wait, delay):
    """Send the crowd and the /healthz probe; print and return the figures."""
    answers = [None] * len(ids)
    health = []
    start = threading.Barrier(len(ids) + 1)
    done = threading.Event()

    def ask(i):
        start.wait()
        began = time.perf_counter()
        try:
            status = requests.get(f"{base}/api/v1/trials/{ids[i]}", timeout=60).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        answers[i] = (time.perf_counter() - began, status)

    def probe():
        with requests.Session() as session:
            while not done.is_set():
                began = time.perf_counter()
                try:
                    ok = session.get(base + "/healthz", timeout=30).status_code == 200
                except requests.RequestException:
                    ok = False
                health.append((time.perf_counter() - began, ok))
                time.sleep(HEALTHZ_EVERY)

    threads = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(len(ids))]
    for thread in threads:
        thread.start()
    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    time.sleep(0.5)  # an idle baseline for the probe
    idle = len(health)
    start.wait()
    for thread in threads:
        thread.join(PHASE_LIMIT)
    done.set()
    prober.join(35)
    latencies = [answer[0] for answer in answers if answer]
    statuses = Counter(answer[1] for answer in answers if answer)
    idle_health = [seconds for seconds, _ in health[:idle]]
    loaded = [seconds for seconds, _ in health[idle:]]
    failed_probes = sum(not ok for _, ok in health)
    slowest = max(latencies)
    print(f"{len(ids)} different cold trials at once, every upstream call "
          f"{delay:g} s late, COLD_WAIT {cold_wait:g} s")
    print(f"/healthz idle:   n={len(idle_health)} p50 {percentile(idle_health, 50) * 1000:.0f} ms")
    print(f"/healthz loaded: n={len(loaded)} p50 {percentile(loaded, 50) * 1000:.0f} ms  "
          f"p99 {percentile(loaded, 99) * 1000:.0f} ms  max {max(loaded) * 1000:.0f} ms  "
          f"failed {failed_probes}")
    print(f"cold requests: answered {len(latencies)}/{len(ids)}  statuses {dict(statuses)}  "
          f"p50 {percentile(latencies, 50):.2f} s  max {slowest:.2f} s  "
          f"over COLD_WAIT + 1 s: {sum(t > cold_wait + 1 for t in latencies)}")
    p99 = percentile(loaded, 99)
    met = p99 < 0.3 and slowest <= cold_wait + 1 and len(latencies) == len(ids)
    print(f"/healthz p99 = {p99:.3f} s (target < 0.3 s), slowest cold request / (COLD_WAIT + 1 s)"
          f" = {slowest / (cold_wait + 1):.2f} (target <= 1): {'met' if met else 'MISSED'}")
    return p99, slowest


def throughput(cluster, redis_url, workers, trials, delay):
    """Trials harvested per minute by `workers` worker processes on a fresh database."""
    fake = FakeUpstream().start()
    upstreams.install(fake, delay=delay)
    ids = nct_ids(trials, start=4000001 + 1000 * workers)
    serve_registry(fake, ids, delay=delay)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        stack.callback(fake.stop)
        database_url = stack.enter_context(fresh_database(cluster))
        config = app_config(Path(tmp), fake.url, DATABASE_URL=database_url,
                            REDIS_URL=redis_url, EMBEDDED_WORKER=False, CTGOV_RATE=None,
                            SOURCE_RATES={"*": ""}, UPSTREAM_READ_TIMEOUT=delay + 5)
        app = create_app(config)
        get_db(app).migrate()
        stack.callback(get_db(app).dispose)
        env = {**os.environ, **as_environment(config), "TRIALBUZZ_EMBEDDED_WORKER": "0"}
        log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
        processes = [subprocess.Popen([*PYTHON, "worker"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT) for _ in range(workers)]
        stack.callback(_stop, processes)
        _wait_for_workers(log, workers)
        jobs = app.extensions["trialbuzz"].jobs
        began = time.monotonic()
        for nct_id in ids:
            jobs.request(nct_id)
        states = Counter()
        while time.monotonic() - began < PHASE_LIMIT:
            states = Counter(jobs.status(nct_id).state for nct_id in ids)
            if states["done"] + states["failed"] == len(ids):
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - began
        rate = states["done"] / elapsed * 60
        print(f"{workers} worker process(es): {states['done']}/{len(ids)} trials done in "
              f"{elapsed:.1f} s = {rate:.0f} trials/min  (failed {states['failed']}, "
              f"upstream calls {sum(fake.calls.values())})")
        return rate


def _wait_for_workers(log, count, timeout=60):
    """Wait until `count` workers said they run (each prints one line once it is ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if log.read().count("trialbuzz worker:") >= count:
            return
        time.sleep(0.1)
    log.seek(0)
    raise RuntimeError(f"workers did not start:\n{log.read()}")


def _stop(processes):
    """Stop worker processes, killing any that do not stop."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def harvest_throughput(args):
    """Trials per minute with 1, 2 and 4 worker processes, as ratios to one."""
    rates = {}
    with postgres_cluster() as cluster, redis_server() as redis_url:
        print(f"\n{args.harvest_trials} cold trials queued at once, every upstream call "
              f"{args.harvest_delay * 1000:.0f} ms late, pacing lifted, "
              f"{os.cpu_count()} CPUs, WORKER_THREADS default per process")
        for workers in (1, 2, 4):
            rates[workers] = throughput(cluster, redis_url, workers, args.harvest_trials,
                                        args.harvest_delay)
    for workers in (2, 4):
        print(f"{workers} workers / 1 worker = {rates[workers] / rates[1]:.2f}")
    ratio = rates[4] / rates[1]
    print(f"4 workers / 1 = {ratio:.2f} (target >= 3: {'met' if ratio >= 3 else 'MISSED'})")
    return ratio


def main():
    """Run the phases asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200, help="cold trials asked at once")
    parser.add_argument("--delay", type=float, default=2.0,
                        help="seconds every upstream call is late in the cold crowd")
    parser.add_argument("--threads", type=int, default=0,
                        help="serve --threads (default: the command's own default)")
    parser.add_argument("--harvest-trials", type=int, default=96,
                        help="trials queued for each number of workers")
    parser.add_argument("--harvest-delay", type=float, default=0.2,
                        help="seconds every upstream call is late in the harvest")
    parser.add_argument("--only", choices=("crowd", "harvest"), help="run one phase only")
    args = parser.parse_args()
    if args.only in (None, "crowd"):
        cold_crowd(args)
    if args.only in (None, "harvest"):
        harvest_throughput(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
