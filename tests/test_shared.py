"""Processes of one deployment sharing a Redis: sources' paces, per-client limits, document
cache invalidation; and what a Redis that goes away leaves working.

Two apps built on one database and one Redis stand in for two processes, except where the
state lives in a module (Flask-Limiter's): there, two real server processes."""

import sys
import threading
import time

import pytest
import requests

import upstreams
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, running_server
from records import study
from trialbuzz import create_app, shared
from trialbuzz.errors import UpstreamUnavailable
from trialbuzz.storage.db import get_db

NCT = "NCT04280705"
# The fake records an arrival a little after the pace admitted the call, later on a busy
# machine (about 10 ms seen here); calls of processes pacing alone come together at once.
TOLERANCE = 0.15


@pytest.fixture
def deployment(tmp_path, fake, redis_url):
    """`build(**overrides)`: apps on one SQLite file and one Redis, every upstream at the fake."""
    apps = []

    def build(**overrides):
        app = create_app(app_config(tmp_path, fake.url, REDIS_URL=redis_url, **overrides))
        get_db(app).migrate()
        apps.append(app)
        return app

    yield build
    for app in apps:
        # Before this test's Redis stops: a consumer left polling it would log each failure.
        app.extensions["trialbuzz"].jobs.shutdown()
        get_db(app).dispose()


def source(app, source_id):
    """The running instance of source `source_id` in `app`."""
    harvester = app.extensions["trialbuzz"].harvester
    return next(s for s in harvester.sources if s.id == source_id)


def test_two_processes_together_never_call_a_source_faster_than_its_pace(deployment, fake):
    fake.route("/gdelt/doc", Reply.json({"articles": []}))
    apps = [deployment(SOURCE_RATES={"gdelt": "1 per 2 seconds"}) for _ in range(2)]
    end = time.monotonic() + 5

    def call_until_the_end(upstream):
        while True:
            try:
                upstream.get("", deadline=end)
            except UpstreamUnavailable:  # the pace leaves no room before the end
                return

    threads = [threading.Thread(target=call_until_the_end, args=(source(app, "gdelt").upstream,))
               for app in apps for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(r.at for r in fake.requests if r.path == "/gdelt/doc")
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert len(times) == 3, gaps   # at 0, 2 and 4 s
    assert min(gaps) >= 2 - TOLERANCE, gaps


def test_a_pace_that_cannot_be_read_refuses_the_call(deployment, fake, redis_url):
    fake.route("/gdelt/doc", Reply.json({"articles": []}))
    upstream = source(deployment(SOURCE_RATES={"gdelt": "5/second"}), "gdelt").upstream
    upstream.get("")
    redis_url.stop()
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable, match="pace shared with other processes"):
        upstream.get("")
    assert time.monotonic() - started < 3
    assert fake.count("/gdelt/doc") == 1


def test_the_per_client_limit_is_one_budget_across_processes(tmp_path, fake, redis_url):
    fake.route("/api/v2/studies/{nct_id}", lambda request, nct_id: Reply.json(study(nct_id)))
    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url, REDIS_URL=redis_url,
                                    CLIENT_UPSTREAM_LIMIT="2/minute"))
    serve = [sys.executable, "-m", "trialbuzz.cli", "serve"]
    with running_server(serve, env=env) as first, running_server(serve, env=env) as second:
        for nct_id in ("NCT00000001", "NCT00000002"):
            assert requests.get(f"{first}/api/v1/trials/{nct_id}", timeout=30).status_code == 200
        refused = requests.get(f"{second}/api/v1/trials/NCT00000003", timeout=30)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"


def test_a_change_seen_by_one_process_rebuilds_the_others_document(deployment, fake, ctgov):
    upstreams.install(fake)
    first, second = deployment(), deployment()
    before = second.test_client().get(f"/api/v1/trials/{NCT}").get_json()
    assert first.test_client().get(f"/api/v1/trials/{NCT}").get_json()["title"] == \
        before["title"]
    ctgov.add(study(NCT, title="A title changed in the registry"))
    assert first.test_client().get(f"/api/v1/trials/{NCT}?refresh=1").get_json()["title"] == \
        "A title changed in the registry"
    # The second process cached its document for DOCUMENT_CACHE_SECONDS (30 s).
    changed = time.monotonic()
    while second.test_client().get(f"/api/v1/trials/{NCT}").get_json()["title"] != \
            "A title changed in the registry":
        assert time.monotonic() - changed < 3, "the second process kept its old document"
        time.sleep(0.1)


PER_TRIAL_ROUTES = (f"/api/v1/trials/{NCT}", f"/trial/{NCT}", f"/badge/{NCT}.svg",
                    f"/api/v1/shields/{NCT}.json", f"/v1/nct_id/{NCT}",
                    f"/trial/{NCT}/mentions.json", f"/api/v1/badges?ids={NCT}")


def test_cached_documents_are_served_while_redis_is_down(deployment, fake, ctgov, redis_url):
    upstreams.install(fake)
    app = deployment(CTGOV_RATE="100/second", SOURCE_RATES={"*": "100/second"})
    client = app.test_client()
    warm = {route: client.get(route) for route in PER_TRIAL_ROUTES}
    assert {route: r.status_code for route, r in warm.items()} == \
        {route: 200 for route in PER_TRIAL_ROUTES}
    cache = app.extensions["trialbuzz"].attention.cache
    redis_url.stop()
    time.sleep(cache.generations.ttl + 0.1)   # past the generations read while warming
    for route in PER_TRIAL_ROUTES:
        started = time.monotonic()
        response = client.get(route)
        assert (route, response.status_code) == (route, 200)
        assert time.monotonic() - started < 2, route
    assert client.get(PER_TRIAL_ROUTES[0]).get_json() == warm[PER_TRIAL_ROUTES[0]].get_json()
    # A trial never seen needs the registry, whose shared pace cannot be read: a clear 503.
    cold = client.get("/api/v1/trials/NCT00000009")
    assert cold.status_code == 503
    assert cold.get_json()["error"]["code"] == "upstream_unavailable"
    # This process's own changes still reach its cache.
    generation = cache.generation(NCT)
    cache.invalidate(NCT)
    assert cache.generation(NCT) != generation


@pytest.mark.parametrize("redis_setting, storage_url, counted_in", [
    ("", "memory://", "memory://"),
    ("redis://127.0.0.1:6379/0", "memory://", "redis://127.0.0.1:6379/0"),
    ("redis://127.0.0.1:6379/0", "", "redis://127.0.0.1:6379/0"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380/1", "redis://127.0.0.1:6380/1"),
    ("", "redis://127.0.0.1:6380/1", "redis://127.0.0.1:6380/1"),
])
def test_client_limits_are_counted_in_redis_url_unless_told_otherwise(redis_setting,
                                                                     storage_url, counted_in):
    settings = {"REDIS_URL": redis_setting, "RATE_LIMIT_STORAGE_URL": storage_url,
                "DATABASE_URL": "sqlite:///x"}
    url, options = shared.client_limit_storage(settings)
    assert url == counted_in
    if counted_in.startswith("redis://"):
        assert options["key_prefix"].startswith(shared.namespace(settings))


def test_each_deployment_has_its_own_keys_and_no_password_shows_in_them():
    one = shared.namespace({"DATABASE_URL": "postgresql://app:s3cret@127.0.0.1/one"})
    assert one == shared.namespace({"DATABASE_URL": "postgresql://app:s3cret@127.0.0.1/one"})
    assert one != shared.namespace({"DATABASE_URL": "postgresql://app:s3cret@127.0.0.1/two"})
    assert "s3cret" not in one and "127.0.0.1" not in one


def test_only_redis_url_needs_the_redis_library(tmp_path, fake, monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)   # as where the redis extra is not installed
    create_app(app_config(tmp_path, fake.url))
    with pytest.raises(RuntimeError, match=r"pip install 'trialbuzz\[redis\]'"):
        create_app(app_config(tmp_path, fake.url, REDIS_URL="redis://127.0.0.1:6379/0"))
