"""A collection at its size limit: making it (every trial queued for a worker), reading it
through the API and its page (a page of trials each, with the totals of all), its feed and
its JSON export (every trial), with part of its trials harvested."""

import argparse
import tempfile
import time
from pathlib import Path

from benchlib import FakeUpstream, app_config, nct_ids, serve_registry, summary_ms

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from trialbuzz import create_app  # noqa: E402
from trialbuzz.jobs import tasks  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402


def timed(call, rounds):
    """Durations of `rounds` calls, each checked to answer 200."""
    durations = []
    for _ in range(rounds):
        start = time.perf_counter()
        status = call()
        durations.append(time.perf_counter() - start)
        assert status == 200, status
    return durations


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--harvested", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    fake = FakeUpstream().start()
    ids = nct_ids(options.trials)
    serve_registry(fake, ids)
    upstreams.install(fake)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(app_config(Path(folder), fake.url, EMBEDDED_WORKER=False,
                                    COLLECTION_MAX_TRIALS=options.trials))
        get_db(app).migrate()
        state = app.extensions["trialbuzz"]
        for nct_id in ids[:options.harvested]:
            state.jobs.request(nct_id)
            tasks.refresh(state, nct_id)
        client = app.test_client()
        start = time.perf_counter()
        made = client.post("/api/v1/collections", json={"name": "bench", "nct_ids": ids})
        created = time.perf_counter() - start
        assert made.status_code == 201
        collection = made.get_json()["id"]
        print(f"{options.trials} trials, {options.harvested} harvested "
              f"({options.trials - options.harvested} queued on creation)")
        print(f"create: {created * 1000:.0f} ms")
        for name, path in (("API", f"/api/v1/collections/{collection}"),
                           ("page", f"/collections/{collection}"),
                           ("feed", f"/collections/{collection}/feed.atom"),
                           ("export", f"/collections/{collection}/trials.json")):
            mean, p50, p99 = summary_ms(timed(lambda: client.get(path).status_code,
                                              options.rounds))
            print(f"{name:6} mean {mean:.0f} ms, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
        state.jobs.shutdown()
        get_db(app).dispose()
    fake.stop()


if __name__ == "__main__":
    main()
