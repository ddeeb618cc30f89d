"""Scale-out for real: two `trialbuzz serve` processes (no embedded worker) and two
`trialbuzz worker` processes on one PostgreSQL database and one Redis, every upstream at the
fake. A lookup is done once however many processes are asked; a pace holds across workers;
a worker killed mid-harvest loses nothing."""

import os
import signal
import subprocess
import sys
import threading
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests
from sqlalchemy import create_engine, select

import upstreams
from conftest import app_config
from fakeupstream import FakeUpstream, Reply
from liveserver import as_environment, running_server
from records import study
from services import fresh_database, redis_server
from trialbuzz import create_app
from trialbuzz.jobs.work import DONE, RUNNING
from trialbuzz.storage.db import get_db
from trialbuzz.storage.models import Mention, Work

GDELT_GAP = 2.0
# How much earlier than the pace a call may reach the fake: the pace is counted when a worker
# takes its turn, the fake records the call when it arrives (a busy machine delays some).
# Paces kept per process would leave gaps of 1 s or less here.
ARRIVAL_JITTER = 0.3
PYTHON = [sys.executable, "-m", "trialbuzz.cli"]


class Deployment:
    """The processes of one deployment, its fake upstream and a view of its database."""

    def __init__(self, fake, env, database_url, stack):
        self.fake, self.env, self.stack = fake, env, stack
        self.engine = create_engine(database_url)
        self.webs = [stack.enter_context(running_server([*PYTHON, "serve", "--threads", "16"],
                                                        env=env)) for _ in range(2)]
        self.workers = []
        # The workers' output, shown when a test fails.
        self.log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
        for _ in range(2):
            self.start_worker()

    def start_worker(self):
        """One more `trialbuzz worker` with one thread: refreshes running at the same time
        are then always in different processes."""
        worker = subprocess.Popen([*PYTHON, "worker", "--threads", "1"],
                                  env={**os.environ, **self.env}, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    def get(self, nct_id, web=0):
        """GET the trial's document from one of the web processes."""
        return requests.get(f"{self.webs[web]}/api/v1/trials/{nct_id}", timeout=10)

    def complete(self, nct_id, seconds=30):
        """Poll (both web processes in turn) until the document is complete; return it."""
        deadline = time.monotonic() + seconds
        for attempt in range(10_000):
            response = self.get(nct_id, web=attempt % 2)
            assert response.status_code in (200, 202), response.text
            if response.status_code == 200 and response.json()["state"] == "complete":
                return response.json()
            if time.monotonic() > deadline:
                self.log.seek(0)
                pytest.fail(f"{nct_id} not complete: {response.text}\n"
                            f"work: {self.rows(Work, nct_id=nct_id)}\nworkers:\n{self.log.read()}")
            time.sleep(0.2)

    def rows(self, model, **where):
        """Rows of a table, as plain tuples of their columns."""
        with self.engine.connect() as connection:
            statement = select(model.__table__)
            for name, value in where.items():
                statement = statement.where(model.__table__.c[name] == value)
            return [tuple(row) for row in connection.execute(statement)]

    def stop(self):
        """Stop the workers still running (the web processes stop with the stack)."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.engine.dispose()


@pytest.fixture(scope="module")
def deployment(postgres_url, tmp_path_factory):
    """Two web processes and two workers sharing PostgreSQL and Redis; GDELT paced at one
    call per 2 s, every other pace lifted."""
    fake = FakeUpstream().start()
    registry = {f"NCT0428{n:04d}": study(f"NCT0428{n:04d}") for n in range(700, 720)}
    fake.route(upstreams.ROUTES["ctgov"], lambda request, nct_id: (
        Reply.json(registry[nct_id]) if nct_id in registry
        else Reply.text("not found", status=404)))
    upstreams.install(fake)
    with ExitStack() as stack:
        stack.callback(fake.stop)
        redis_url = stack.enter_context(redis_server())
        database_url = stack.enter_context(fresh_database(postgres_url))
        config = app_config(tmp_path_factory.mktemp("scaleout"), fake.url,
                            DATABASE_URL=database_url, REDIS_URL=redis_url,
                            EMBEDDED_WORKER=False, COLD_WAIT=1.0, WORK_LEASE=2,
                            UPSTREAM_READ_TIMEOUT=30.0,
                            SOURCE_RATES={"*": "", "gdelt": f"1 per {GDELT_GAP:g} seconds"})
        # The schema first, once: processes starting together would race to create it.
        app = create_app(config)
        get_db(app).migrate()
        get_db(app).dispose()
        env = as_environment(config)
        env["TRIALBUZZ_EMBEDDED_WORKER"] = "0"
        world = Deployment(fake, env, database_url, stack)
        stack.callback(world.stop)
        yield world


def calls_of(fake, run):
    """The fake's calls per route while `run()` runs."""
    before = dict(fake.calls)
    run()
    return {route: count - before.get(route, 0) for route, count in fake.calls.items()
            if count - before.get(route, 0)}


def test_thirty_requests_for_a_cold_trial_over_two_web_processes_make_one_lookup(deployment):
    one_lookup = calls_of(deployment.fake, lambda: deployment.complete("NCT04280700"))
    assert one_lookup[upstreams.ROUTES["ctgov"]] == 1 and one_lookup[upstreams.ROUTES["gdelt"]]

    def crowd():
        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(lambda n: deployment.get("NCT04280701", web=n % 2),
                                    range(30)))
        assert {answer.status_code for answer in answers} <= {200, 202}
        deployment.complete("NCT04280701")

    assert calls_of(deployment.fake, crowd) == one_lookup


def test_a_paced_source_is_never_called_faster_across_workers(deployment):
    ids = [f"NCT0428{n:04d}" for n in range(702, 707)]
    started = time.monotonic()
    for n, nct_id in enumerate(ids):
        assert deployment.get(nct_id, web=n % 2).status_code in (200, 202)
    documents = [deployment.complete(nct_id, seconds=40) for nct_id in ids]
    arrivals = sorted(request.at for request in deployment.fake.requests
                      if request.path == upstreams.ROUTES["gdelt"] and request.at >= started)
    assert len(arrivals) == len(ids)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= GDELT_GAP - ARRIVAL_JITTER, gaps
    assert all(document["kinds"]["news"] == 1 for document in documents)


def test_a_worker_killed_mid_harvest_loses_nothing(deployment):
    nct_id = "NCT04280710"
    gate = threading.Event()
    called = threading.Event()

    def stuck(request):
        called.set()
        gate.wait(30)
        return Reply.json({"articles": []})

    deployment.fake.route(upstreams.ROUTES["gdelt"], stuck)
    try:
        assert deployment.get(nct_id).status_code in (200, 202)
        assert called.wait(20), "the slow source was never called"
        # Every other source has reported and stored what it found.
        deadline = time.monotonic() + 20
        while True:
            sources = deployment.get(nct_id).json()["sources"]
            if all(s["status"] != "pending" for s in sources if s["id"] != "gdelt"):
                break
            assert time.monotonic() < deadline, sources
            time.sleep(0.1)
        before = deployment.rows(Mention, nct_id=nct_id)
        assert {row[2] for row in before} >= {"hackernews", "europepmc", "wikipedia"}
        assert [row[1] for row in deployment.rows(Work, nct_id=nct_id)] == [RUNNING]
        # One thread each and one refresh under way: kill both so none could finish it.
        for worker in deployment.workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
    finally:
        deployment.fake.route(upstreams.ROUTES["gdelt"], upstreams.gdelt)
        gate.set()
    deployment.start_worker()
    deployment.start_worker()
    # A request after the lease has passed queues the lost refresh again.
    document = deployment.complete(nct_id, seconds=40)
    assert document["kinds"]["news"] == 1 and document["kinds"]["forum"] == 2
    assert {source["status"] for source in document["sources"]} <= {"ok", "disabled"}
    # The rows stored before the kill are still there, untouched but for when last seen.
    columns = Mention.__table__.c.keys()
    kept = [columns.index(name) for name in ("id", "source", "external_id", "first_seen_at")]
    after = {row[0]: row for row in deployment.rows(Mention, nct_id=nct_id)}
    assert [[after[row[0]][i] for i in kept] for row in before] == [
        [row[i] for i in kept] for row in before]
    assert {row[2] for row in after.values()} >= {row[2] for row in before} | {"gdelt"}
    work = deployment.rows(Work, nct_id=nct_id)[0]
    assert work[1] == DONE and work[Work.__table__.c.keys().index("attempts")] == 2
    assert [row for row in deployment.rows(Work) if row[1] == RUNNING] == []
