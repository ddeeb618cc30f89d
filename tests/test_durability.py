"""Data durability: a killed server loses no committed mention and leaves no half-written trial;
a restart carries on; concurrent writers on SQLite do not fail."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone

import requests

import upstreams
from concurrency import errors_of_workers
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, free_port
from trialbuzz.attention.harvest import Harvester, Outcome
from trialbuzz.attention.sources.base import Mention


def start(env):
    """`trialbuzz serve` on a free port; returns the process and its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "trialbuzz.cli", "serve", "--port",
                                str(port)], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/healthz", timeout=1)
            return process, base
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def test_a_killed_server_keeps_what_was_committed_and_a_restart_finishes(tmp_path, fake,
                                                                         ctgov):
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": []}, delay=30))
    database = tmp_path / "durable.sqlite3"
    config = app_config(tmp_path, fake.url, DATABASE_URL=f"sqlite:///{database}",
                        COLD_WAIT=1.0, SOURCE_DEADLINE=60, UPSTREAM_READ_TIMEOUT=60,
                        WORK_LEASE=2)
    process, base = start(as_environment(config))
    try:
        partial = requests.get(base + "/api/v1/trials/NCT04280705", timeout=10).json()
        assert partial["stale"] is True and partial["kinds"]["forum"] == 2
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    with sqlite3.connect(database) as db:
        record, harvested = db.execute(
            "SELECT record, harvested_at FROM trials WHERE nct_id='NCT04280705'").fetchone()
        assert json.loads(record)["title"] == "Adaptive COVID-19 Treatment Trial (ACTT)"
        assert harvested is None                  # the refresh never finished
        stored = dict(db.execute("SELECT source, count(*) FROM mentions GROUP BY source"))
    assert stored["hackernews"] == 2 and "gdelt" not in stored

    fake.route(upstreams.ROUTES["gdelt"], upstreams.gdelt)
    process, base = start(as_environment(config))
    try:
        # The killed worker's lease runs out; the next request (or the schedule) takes the
        # refresh up again.
        deadline = time.monotonic() + 60
        while True:
            done = requests.get(base + "/api/v1/trials/NCT04280705", timeout=10).json()
            if not done["stale"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait()
    assert done["stale"] is False and done["kinds"]["news"] == 1
    assert done["counts"]["hackernews"] == 2      # kept, not duplicated
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_concurrent_writers_on_sqlite_do_not_fail(app):
    state = app.extensions["trialbuzz"]
    harvester = Harvester(state.db, [], app.config)
    from records import study
    from trialbuzz.registry.ctgov import parse_study
    from trialbuzz.storage.models import Trial

    ids = [f"NCT0000{n:04d}" for n in range(1, 9)]
    with state.db.session() as session:
        for nct_id in ids:
            session.add(Trial(nct_id=nct_id, record=parse_study(study(nct_id)),
                              fetched_at=datetime.now(timezone.utc)))

    def writer(worker):
        for round_ in range(15):
            nct_id = ids[(worker + round_) % len(ids)]
            mentions = [Mention("hackernews", "forum", f"{worker}-{round_}-{i}",
                                f"https://news.ycombinator.com/item?id={i}") for i in range(5)]
            harvester.store(nct_id, [Outcome("hackernews", "ok", mentions=mentions)])

    assert errors_of_workers(writer, 8) == []
    with state.db.session() as session:
        from sqlalchemy import func, select

        from trialbuzz.storage.models import Mention as Row
        assert session.scalar(select(func.count()).select_from(Row)) == 8 * 15 * 5


def test_two_processes_storing_the_same_mentions_at_once_do_not_collide(tmp_path, fake):
    """Two apps on one database stand for two server processes: single-flight cannot help."""
    from conftest import app_config as config_for
    from trialbuzz import create_app
    from trialbuzz.storage.db import get_db

    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    apps = [create_app(config_for(tmp_path, fake.url, DATABASE_URL=database)) for _ in range(2)]
    get_db(apps[0]).migrate()
    from records import study
    from trialbuzz.registry.ctgov import parse_study
    from trialbuzz.storage.models import Trial

    with get_db(apps[0]).session() as session:
        session.add(Trial(nct_id="NCT04280705", record=parse_study(study()),
                          fetched_at=datetime.now(timezone.utc)))
    harvesters = [Harvester(get_db(app), [], app.config) for app in apps]
    mentions = [Mention("gdelt", "news", f"https://news.example.org/{n}",
                        f"https://news.example.org/{n}") for n in range(200)]

    def store(worker):
        harvesters[worker % 2].store("NCT04280705", [Outcome("gdelt", "ok",
                                                             mentions=list(mentions))])

    assert errors_of_workers(store, 8) == []
    with sqlite3.connect(tmp_path / "shared.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM mentions").fetchone() == (200,)
    for app in apps:
        get_db(app).dispose()
