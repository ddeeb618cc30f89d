"""Harvesting attention: concurrency, single-flight, stale-while-refresh, idempotent storage, failures."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import upstreams
from fakeupstream import Reply
from records import reference, study
from trialbuzz.clock import utcnow
from trialbuzz.storage.models import Mention

SOURCE_ROUTES = {
    "europepmc": [upstreams.ROUTES["europepmc"]],
    "pubmed": [upstreams.ROUTES["pubmed_search"], upstreams.ROUTES["pubmed_summary"]],
    "wikipedia": [upstreams.ROUTES["wikipedia"]],
    "hackernews": [upstreams.ROUTES["hackernews"]],
    "gdelt": [upstreams.ROUTES["gdelt"]],
    "crossref": [upstreams.ROUTES["crossref"]],
    "reddit": [upstreams.ROUTES["reddit"]],
}

# How a request's path tells which source made it.
SOURCE_PATHS = {"europepmc": ("/search",), "pubmed": ("/esearch.fcgi", "/esummary.fcgi"),
                "wikipedia": ("/en/w/api.php",), "hackernews": ("/hn/",),
                "gdelt": ("/gdelt/",), "crossref": ("/crossref/",), "reddit": ("/reddit/",)}


@pytest.fixture
def world(fake, ctgov):
    """The fake playing the registry and every source for NCT04280705 (and a second trial)."""
    ctgov.add(study(references=[reference("33052335"), reference("1111", "BACKGROUND")]))
    ctgov.add(study("NCT04292899", title="Second trial"))
    upstreams.install(fake)
    return fake


def calls_per_source(fake):
    """How many upstream calls each source made so far."""
    return {source: sum(fake.count(route) for route in routes)
            for source, routes in SOURCE_ROUTES.items()}


def test_cold_lookup_gathers_every_source_and_scores_it(client, world):
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    statuses = {s["id"]: s["status"] for s in document["sources"]}
    assert statuses == {"ctgov": "ok", "europepmc": "ok", "pubmed": "ok", "crossref": "ok",
                        "wikipedia": "ok", "hackernews": "ok", "reddit": "ok", "gdelt": "ok",
                        "feeds": "disabled", "bluesky": "disabled", "mastodon": "disabled",
                        "openalex": "disabled", "altmetric": "disabled"}
    # news 8 + HN story 1 + HN comment 0.25 + Wikipedia 3 = 12.25, rounded up.
    assert document["score"] == 13
    assert document["kinds"]["news"] == 1 and document["kinds"]["forum"] == 2
    assert document["kinds"]["wikipedia"] == 1
    # One paper found by the registry, Europe PMC, PubMed and Crossref (by its DOI); a preprint;
    # another PubMed paper.
    assert document["publications"] == {"total": 3, "results": 1, "preprints": 1,
                                        "notices": 0}
    assert document["counts"]["pubmed"] == 2 and document["counts"]["ctgov"] == 1
    assert document["counts"]["crossref"] == 1
    assert document["stale"] is False
    newest = document["mentions"][0]
    assert newest["source"] == "gdelt" and newest["kind"] == "news"
    assert newest["url"] == "https://news.example.org/2026/11/remdesivir-trial"
    dates = [m["published_at"] for m in document["mentions"] if m["published_at"]]
    assert dates == sorted(dates, reverse=True)
    paper = next(m for m in document["mentions"] if m.get("also_found_by"))
    assert paper["source"] == "pubmed" and paper["result"] is True
    assert set(paper["also_found_by"]) == {"ctgov", "europepmc", "crossref"}


def test_a_cold_lookup_asks_the_sources_side_by_side(make_app, fake, ctgov):
    upstreams.install(fake, delay=0.5)
    client = make_app().test_client()
    assert client.get("/api/v1/trials/NCT04280705").status_code == 200
    arrivals = {}
    for request in fake.requests:
        source = next((name for name, prefixes in SOURCE_PATHS.items()
                       if request.path.startswith(prefixes)), None)
        if source:
            arrivals.setdefault(source, []).append(request.at)
    assert set(arrivals) == set(SOURCE_PATHS)
    # Each source's calls run in series, the sources side by side: every source's first call
    # arrived before any source's second one, which waits for its first's answer (0.5 s late).
    # In series, a source's second call would come before the next source's first.
    seconds = [times[1] for times in arrivals.values() if len(times) > 1]
    assert seconds and max(times[0] for times in arrivals.values()) < min(seconds)


def test_fifty_simultaneous_requests_cause_one_refresh(make_app, world):
    client = make_app().test_client()
    client.get("/api/v1/trials/NCT04280705")
    one_refresh = calls_per_source(world)
    registry_before = world.count(upstreams.ROUTES["ctgov"])
    world.calls.clear()
    barrier = threading.Barrier(50)

    def lookup(_):
        barrier.wait()
        return client.get("/api/v1/trials/NCT04292899").status_code

    with ThreadPoolExecutor(50) as pool:
        # COLD_WAITERS of them wait for the refresh; the others are told to ask again.
        statuses = list(pool.map(lookup, range(50)))
    assert set(statuses) <= {200, 202} and 200 in statuses
    jobs = client.application.extensions["trialbuzz"].jobs
    deadline = time.monotonic() + 10
    while jobs.status("NCT04292899").active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/api/v1/trials/NCT04292899").status_code == 200
    assert calls_per_source(world) == one_refresh
    assert world.count(upstreams.ROUTES["ctgov"]) == 1 == registry_before


def test_stale_document_is_served_at_once_while_one_refresh_runs(app, world):
    client = app.test_client()
    state = app.extensions["trialbuzz"]
    first = client.get("/api/v1/trials/NCT04280705").get_json()
    later = utcnow() + timedelta(hours=7)
    state.attention.clock = state.harvester.clock = lambda: later
    world.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": [
        {"url": "https://news.example.org/new", "title": "Fresh story",
         "seendate": "20261123T080000Z", "domain": "news.example.org"}]}, delay=1.0))
    started = time.monotonic()
    stale = client.get("/api/v1/trials/NCT04280705").get_json()
    assert time.monotonic() - started < 0.8
    assert stale["stale"] is True and stale["score"] == first["score"]
    assert state.jobs.status("NCT04280705").active
    client.get("/api/v1/trials/NCT04280705")          # joins the refresh, starts no other
    deadline = time.monotonic() + 10
    while state.jobs.status("NCT04280705").active and time.monotonic() < deadline:
        time.sleep(0.05)
    fresh = client.get("/api/v1/trials/NCT04280705").get_json()
    assert fresh["stale"] is False
    assert fresh["kinds"]["news"] == 2                 # the earlier article is kept
    assert world.count(upstreams.ROUTES["gdelt"]) == 2


def stored(app, nct_id="NCT04280705"):
    """The stored mention rows of a trial."""
    with app.extensions["trialbuzz"].db.session() as session:
        return session.scalars(select(Mention).where(Mention.nct_id == nct_id)).all()


def test_refreshing_twice_upserts_without_duplicates(app, world):
    client = app.test_client()
    client.get("/api/v1/trials/NCT04280705")
    before = {(m.source, m.external_id): m for m in stored(app)}
    client.get("/api/v1/trials/NCT04280705?refresh=1")
    after = {(m.source, m.external_id): m for m in stored(app)}
    assert after.keys() == before.keys()
    for key, row in after.items():
        assert row.first_seen_at == before[key].first_seen_at
        assert row.last_seen_at >= before[key].last_seen_at


@pytest.mark.parametrize("failure", [
    Reply.text("boom", 500),
    Reply.text("slow down", 429, headers={"Retry-After": "3600"}),
    Reply.text("<html>error</html>", content_type="text/html"),
    Reply(200, b'{"articles": [', {"Content-Type": "application/json"}),
], ids=["500", "429", "html", "truncated"])
def test_a_failing_source_keeps_its_earlier_mentions_and_reports_why(app, world, failure):
    client = app.test_client()
    client.get("/api/v1/trials/NCT04280705")
    world.route(upstreams.ROUTES["gdelt"], failure)
    document = client.get("/api/v1/trials/NCT04280705?refresh=1").get_json()
    gdelt = next(s for s in document["sources"] if s["id"] == "gdelt")
    assert gdelt["status"] == ("rate_limited" if failure.status == 429 else "error")
    assert gdelt["error"]
    assert gdelt["count"] == 1 and document["kinds"]["news"] == 1
    assert document["score"] == 13


def test_a_bug_in_a_source_is_logged_and_the_pages_say_only_that_it_failed(
        app, world, monkeypatch, caplog):
    from trialbuzz.attention.sources.gdelt import Gdelt

    def broken(self, trial, deadline=None):
        raise KeyError("seendate")

    monkeypatch.setattr(Gdelt, "find", broken)
    document = app.test_client().get("/api/v1/trials/NCT04280705").get_json()
    gdelt = next(s for s in document["sources"] if s["id"] == "gdelt")
    assert gdelt["status"] == "error" and gdelt["error"] == "an error in trialbuzz itself"
    assert "KeyError" in caplog.text


def test_a_source_past_its_deadline_is_reported_and_the_rest_served(make_app, world):
    world.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": []}, delay=3))
    client = make_app(SOURCE_DEADLINE=1.0, UPSTREAM_READ_TIMEOUT=5.0).test_client()
    started = time.monotonic()
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    assert time.monotonic() - started < 2.5
    gdelt = next(s for s in document["sources"] if s["id"] == "gdelt")
    assert gdelt["status"] == "error" and "time" in gdelt["error"]
    assert document["kinds"]["forum"] == 2


def test_source_checks_are_recorded_each_time(app, world):
    from trialbuzz.storage.models import SourceCheck
    client = app.test_client()
    client.get("/api/v1/trials/NCT04280705")
    client.get("/api/v1/trials/NCT04280705?refresh=1")
    with app.extensions["trialbuzz"].db.session() as session:
        checks = session.scalar(select(func.count()).select_from(SourceCheck).where(
            SourceCheck.source == "gdelt"))
    assert checks == 2


def test_only_enabled_sources_run(make_app, world):
    client = make_app(SOURCES=["ctgov", "gdelt"]).test_client()
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    statuses = {s["id"]: s["status"] for s in document["sources"]}
    assert statuses["gdelt"] == "ok" and statuses["europepmc"] == "disabled"
    assert calls_per_source(world)["europepmc"] == 0


def test_a_cold_lookup_waits_at_most_cold_wait_then_shows_what_came_in(make_app, world):
    app = make_app(COLD_WAIT=1.5, UPSTREAM_READ_TIMEOUT=10)
    client = app.test_client()
    world.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": []}, delay=4.0))
    started = time.monotonic()
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    assert time.monotonic() - started < 2.5
    statuses = {s["id"]: s["status"] for s in document["sources"]}
    assert statuses["gdelt"] == "pending" and statuses["hackernews"] == "ok"
    assert document["stale"] is True and document["kinds"]["forum"] == 2
    jobs = app.extensions["trialbuzz"].jobs
    deadline = time.monotonic() + 10
    while jobs.status("NCT04280705").active and time.monotonic() < deadline:
        time.sleep(0.05)
    done = client.get("/api/v1/trials/NCT04280705").get_json()
    assert done["stale"] is False
    assert {s["id"]: s["status"] for s in done["sources"]}["gdelt"] == "ok"


def test_a_cached_document_is_dropped_when_a_refresh_changes_it(client, world):
    first = client.get("/api/v1/trials/NCT04280705").get_json()
    world.route(upstreams.ROUTES["gdelt"], Reply.json({"articles": [
        {"url": "https://news.example.org/second", "title": "Second story",
         "seendate": "20261123T080000Z", "domain": "news.example.org"}]}))
    assert client.get("/api/v1/trials/NCT04280705").get_json() == first
    refreshed = client.get("/api/v1/trials/NCT04280705?refresh=1").get_json()
    assert refreshed["kinds"]["news"] == 2
    assert client.get("/api/v1/trials/NCT04280705").get_json()["kinds"]["news"] == 2
