"""The task engine: refreshes queued once and run by workers, bounded waits, 202 while the
registry record is unknown, lost work found again, the schedule, and one queue per database."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests

import upstreams
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, running_server
from records import study
from trialbuzz.clock import utcnow
from trialbuzz.jobs import tasks
from trialbuzz.jobs.engine import queue_file, queue_name
from trialbuzz.jobs.work import FAILED, QUEUED, RUNNING
from trialbuzz.storage.models import Work

A = "NCT04280705"


@pytest.fixture
def world(fake, ctgov):
    upstreams.install(fake)
    return fake


def wait_until_ended(jobs, nct_id, seconds=15):
    deadline = time.monotonic() + seconds
    while jobs.status(nct_id).active and time.monotonic() < deadline:
        time.sleep(0.05)
    return jobs.status(nct_id)


def test_without_an_embedded_worker_the_web_makes_no_upstream_call(make_app, world):
    app = make_app(EMBEDDED_WORKER=False, COLD_WAIT=0.3)
    client = app.test_client()
    response = client.get(f"/api/v1/trials/{A}")
    assert response.status_code == 202
    assert response.get_json() == {"nct_id": A, "state": "pending",
                                   "message": response.get_json()["message"]}
    assert int(response.headers["Retry-After"]) >= 1
    assert sum(world.calls.values()) == 0
    jobs = app.extensions["trialbuzz"].jobs
    assert jobs.status(A).state == QUEUED
    # A worker (here: a consumer of the same queue in this process) runs the job.
    consumer = jobs.consumer(threads=2)
    consumer.start()
    try:
        assert wait_until_ended(jobs, A).state == "done"
    finally:
        consumer.stop()
    document = client.get(f"/api/v1/trials/{A}").get_json()
    assert document["state"] == "complete" and document["kinds"]["forum"] == 2


def test_a_cold_trial_is_collecting_until_every_source_has_reported(make_app, world):
    world.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": []}, delay=1.0))
    app = make_app(COLD_WAIT=0.4)
    client = app.test_client()
    first = client.get(f"/api/v1/trials/{A}").get_json()
    assert first["state"] == "collecting" and first["stale"] is True
    wait_until_ended(app.extensions["trialbuzz"].jobs, A)
    assert client.get(f"/api/v1/trials/{A}").get_json()["state"] == "complete"


def test_an_unknown_trial_fails_once_and_is_not_asked_again_before_the_retry(make_app, world):
    app = make_app()
    client = app.test_client()
    assert client.get("/api/v1/trials/NCT99999999").status_code == 404
    calls = world.count(upstreams.ROUTES["ctgov"])
    assert client.get("/api/v1/trials/NCT99999999").status_code == 404
    assert world.count(upstreams.ROUTES["ctgov"]) == calls
    assert app.extensions["trialbuzz"].jobs.status("NCT99999999").state == FAILED


def test_requests_past_the_waiting_room_answer_at_once(make_app, world):
    world.route(upstreams.ROUTES["ctgov"], Reply.json({}, delay=2.0))
    app = make_app(COLD_WAITERS=1, COLD_WAIT=5)
    jobs = app.extensions["trialbuzz"].jobs
    assert jobs._waiting.acquire(blocking=False)  # the one seat is taken
    try:
        started = time.monotonic()
        response = app.test_client().get(f"/api/v1/trials/{A}")
        assert time.monotonic() - started < 1.0
        assert response.status_code == 202
    finally:
        jobs._waiting.release()


def test_a_refresh_whose_worker_died_is_queued_again_by_the_schedule(make_app, world):
    app = make_app(EMBEDDED_WORKER=False)
    state = app.extensions["trialbuzz"]
    assert state.jobs.request(A)
    assert state.work.start(A) is not None          # a worker took it, then died
    with state.db.session() as session:
        session.get(Work, A).lease_until = utcnow() - timedelta(seconds=1)
    assert state.work.lost() == [A]
    tasks.tick(state, state.jobs)
    assert state.work.status(A).state == QUEUED
    tasks.refresh(state, A)
    assert state.work.status(A).state == "done"
    assert state.trials.stored(A).harvested_at is not None


def test_a_refresh_already_taken_is_not_run_twice(make_app, world):
    app = make_app(EMBEDDED_WORKER=False)
    state = app.extensions["trialbuzz"]
    state.jobs.request(A)
    assert state.work.start(A) is not None
    tasks.refresh(state, A)                          # a second delivery of the same job
    assert state.work.status(A).state == RUNNING
    assert sum(world.calls.values()) == 0


def test_the_schedule_refreshes_viewed_trials_before_they_go_stale_most_viewed_first(
        make_app, world, ctgov):
    ctgov.add(study("NCT04292899"))
    app = make_app(EMBEDDED_WORKER=False)
    state = app.extensions["trialbuzz"]
    for nct_id in (A, "NCT04292899"):
        state.jobs.request(nct_id)
        tasks.refresh(state, nct_id)
        state.work.viewed(nct_id)
    with state.db.session() as session:
        for row in session.query(Work):
            row.views = 5 if row.nct_id == "NCT04292899" else 1
    queued = []
    state.jobs.enqueue = queued.append
    tasks.tick(state, state.jobs)
    assert queued == []                              # both fresh: nothing due
    later = utcnow() + timedelta(seconds=state.settings["FRESHNESS"] * 0.95)
    tasks.tick(state, state.jobs, clock=lambda: later)
    assert queued == ["NCT04292899", A]


def test_each_database_has_its_own_queue(tmp_path):
    one, two = f"sqlite:///{tmp_path / 'one.sqlite3'}", f"sqlite:///{tmp_path / 'two.sqlite3'}"
    assert queue_file(one, str(tmp_path)) == str(tmp_path / "one.queue.sqlite3")
    assert queue_file(one, str(tmp_path)) != queue_file(two, str(tmp_path))
    postgres = "postgresql+psycopg://u@localhost/trialbuzz"
    assert queue_file(postgres, str(tmp_path)).startswith(str(tmp_path))
    assert queue_name(one) != queue_name(two) != queue_name(postgres)


def test_a_web_process_and_a_worker_process_share_the_queue(fake, ctgov, tmp_path):
    """`trialbuzz serve` with EMBEDDED_WORKER=0 queues; `trialbuzz worker` runs the job."""
    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url, COLD_WAIT=0.5))
    env["TRIALBUZZ_EMBEDDED_WORKER"] = "0"
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        assert requests.get(f"{base}/api/v1/trials/{A}", timeout=10).status_code == 202
        assert sum(fake.calls.values()) == 0
        worker = subprocess.Popen([sys.executable, "-m", "trialbuzz.cli", "worker",
                                   "--threads", "2"], env={**os.environ, **env},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                response = requests.get(f"{base}/api/v1/trials/{A}", timeout=10)
                if response.status_code == 200 and response.json()["state"] == "complete":
                    break
                assert time.monotonic() < deadline, response.text
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(10)
    assert response.json()["kinds"]["forum"] == 2


def test_a_failed_source_heals_itself_after_its_retry_and_nothing_is_lost(make_app, world):
    app = make_app(EMBEDDED_WORKER=False, SOURCE_RETRY=60)
    state = app.extensions["trialbuzz"]
    state.jobs.request(A)
    tasks.refresh(state, A)
    hn_before = world.count(upstreams.ROUTES["hackernews"])
    world.route(upstreams.ROUTES["gdelt"], Reply.text("down", status=500))
    state.jobs.request(A, force=True)
    tasks.refresh(state, A)
    document = app.test_client().get(f"/api/v1/trials/{A}").get_json()
    gdelt = next(s for s in document["sources"] if s["id"] == "gdelt")
    assert gdelt["status"] == "error" and gdelt["failing_since"] and gdelt["retry_at"]
    assert document["kinds"]["news"] == 1            # what it found before is kept
    assert document["state"] == "partial"
    coverage = document["coverage"]
    asked = sum(s["status"] != "disabled" for s in document["sources"])
    assert coverage["asked"] == asked and coverage["answered"] == asked - 1
    assert coverage["missing"] == [{"id": "gdelt", "name": "GDELT news", "status": "error",
                                    "failing_since": gdelt["failing_since"],
                                    "retry_at": gdelt["retry_at"]}]
    assert coverage["retry_at"] == gdelt["retry_at"]
    assert state.harvester.retry_due(A) == set()     # not before SOURCE_RETRY
    world.route(upstreams.ROUTES["gdelt"], upstreams.gdelt)
    later = utcnow() + timedelta(seconds=61)
    state.harvester.clock = lambda: later
    assert state.harvester.retry_due(A) == {"gdelt"}
    hn_calls = world.count(upstreams.ROUTES["hackernews"])
    queued = []
    state.jobs.enqueue = queued.append
    tasks.tick(state, state.jobs)
    assert queued == [A]
    tasks.refresh(state, A)
    assert world.count(upstreams.ROUTES["hackernews"]) == hn_calls   # only the failed one ran
    assert hn_calls > hn_before
    healed = app.test_client().get(f"/api/v1/trials/{A}").get_json()
    gdelt = next(s for s in healed["sources"] if s["id"] == "gdelt")
    assert gdelt["status"] == "ok" and "retry_at" not in gdelt
    assert healed["state"] == "complete"
    assert healed["coverage"]["missing"] == [] and healed["coverage"]["retry_at"] is None


def test_the_retry_doubles_up_to_the_freshness(make_app, world):
    app = make_app(SOURCE_RETRY=60, FRESHNESS=600)
    harvester = app.extensions["trialbuzz"].harvester
    start = utcnow()
    waits = [(harvester.retry_at(n, start) - start).total_seconds() for n in range(1, 7)]
    assert waits == [60, 120, 240, 480, 600, 600]
