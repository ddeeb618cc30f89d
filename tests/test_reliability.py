"""Failing upstreams, per source: the document is still served, on time, with that source's status;
and under 100 concurrent lookups every source's own rate limit holds."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import upstreams
from fakeupstream import Reply
from records import study

DEADLINE = 2.5

# The route that fails for each source (its first call), and how the fake fails it.
SOURCE_ROUTES = {
    "europepmc": upstreams.ROUTES["europepmc"],
    "pubmed": upstreams.ROUTES["pubmed_search"],
    "wikipedia": upstreams.ROUTES["wikipedia"],
    "hackernews": upstreams.ROUTES["hackernews"],
    "gdelt": upstreams.ROUTES["gdelt"],
    "reddit": upstreams.ROUTES["reddit"],
}
FAULTS = {
    "timeout": (lambda: Reply.json({}, delay=DEADLINE + 1.5), "error"),
    "reset": (lambda: Reply(reset=True), "error"),
    "drip": (lambda: Reply.json({"hits": ["x" * 400]}, drip=0.02), "error"),
    "persistent-500": (lambda: Reply.text("Internal Server Error", 500), "error"),
    "429-burst": (lambda: Reply.text("Too Many Requests", 429, headers={"Retry-After": "600"}),
                  "rate_limited"),
    "malformed": (lambda: Reply(200, b"{not json", {"Content-Type": "application/json"}),
                  "error"),
    "truncated": (lambda: Reply(200, b'{"hits": [{"objectID": "1"', {"Content-Type":
                                                                    "application/json"}),
                  "error"),
    "html": (lambda: Reply.text("<html><body>Service unavailable</body></html>",
                                content_type="text/html"), "error"),
}


@pytest.fixture
def faulty_app(make_app, fake, ctgov):
    """An app with short deadlines, every source faked."""
    upstreams.install(fake)
    return make_app(SOURCE_DEADLINE=DEADLINE, COLD_WAIT=DEADLINE + 2, UPSTREAM_READ_TIMEOUT=1.0,
                    UPSTREAM_RETRIES=1)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("source", SOURCE_ROUTES)
def test_a_failing_source_leaves_the_document_served_on_time(faulty_app, fake, source, fault):
    make_reply, expected = FAULTS[fault]
    fake.route(SOURCE_ROUTES[source], make_reply())
    started = time.monotonic()
    response = faulty_app.test_client().get("/api/v1/trials/NCT04280705")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < DEADLINE + 1.0
    statuses = {s["id"]: s for s in response.get_json()["sources"]}
    assert statuses[source]["status"] == expected
    assert statuses[source]["error"]
    others = [s for sid, s in statuses.items() if sid != source and s["status"] != "disabled"]
    assert all(s["status"] == "ok" for s in others), others


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_short_burst_of_errors_is_retried_through(make_app, fake, ctgov, status):
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["gdelt"], [
        Reply.text("busy", status, headers={"Retry-After": "0"}),
        Reply.text("busy", status, headers={"Retry-After": "0"}),
        Reply.json({"articles": []})])
    document = make_app(UPSTREAM_RETRIES=3).test_client().get(
        "/api/v1/trials/NCT04280705").get_json()
    assert {s["id"]: s["status"] for s in document["sources"]}["gdelt"] == "ok"
    assert fake.count(upstreams.ROUTES["gdelt"]) == 3


RATES = {"europepmc": 60, "pubmed": 60, "wikipedia": 300, "hackernews": 100, "gdelt": 30,
         "reddit": 100}


def most_in_any_second(times):
    """The largest number of calls that fell within any one-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_each_sources_rate_limit_holds_under_100_concurrent_lookups(make_app, fake):
    upstreams.install(fake)
    fake.route("/api/v2/studies/{nct_id}", lambda request, nct_id: Reply.json(
        study(nct_id, title=f"Trial {nct_id}")))
    app = make_app(SOURCE_RATES={sid: f"{n}/second" for sid, n in RATES.items()},
                   SOURCE_DEADLINE=60, COLD_WAIT=60, HARVEST_THREADS=16, COLD_WAITERS=100,
                   WORKER_THREADS=16)
    client = app.test_client()
    ids = [f"NCT{n:08d}" for n in range(1, 101)]
    barrier = threading.Barrier(len(ids))

    def lookup(nct_id):
        barrier.wait()
        return client.get(f"/api/v1/trials/{nct_id}").status_code

    with ThreadPoolExecutor(len(ids)) as pool:
        assert set(pool.map(lookup, ids)) == {200}
    for source, route in SOURCE_ROUTES.items():
        routes = [route] + ([upstreams.ROUTES["pubmed_summary"]] if source == "pubmed" else [])
        times = [r.at for r in fake.requests if any(
            r.path == route.replace("{lang}", "en") for route in routes)]
        assert times, source
        # Arrival at the fake can lag the limiter's clock by a little; allow one call of slack.
        assert most_in_any_second(times) <= RATES[source] + 1, source
