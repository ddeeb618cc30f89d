"""What every networked source does when its service fails: one table, run against each source.

The services' answers come from tests/upstreams.py (real shapes); each case breaks the first
route a source calls. What is particular to one source (its own error bodies, its own quirks)
stays in that source's test file."""

import itertools
import time

import pytest

import upstreams
from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.bluesky import Bluesky
from trialbuzz.attention.sources.crossref import Crossref
from trialbuzz.attention.sources.europepmc import EuropePmc
from trialbuzz.attention.sources.gdelt import Gdelt
from trialbuzz.attention.sources.hackernews import HackerNews
from trialbuzz.attention.sources.mastodon import Mastodon
from trialbuzz.attention.sources.openalex import OpenAlex
from trialbuzz.attention.sources.pubmed import PubMed
from trialbuzz.attention.sources.reddit import Reddit
from trialbuzz.attention.sources.wikipedia import Wikipedia
from trialbuzz.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable

# Each source, and the route of the first call it makes.
SOURCES = {
    "europepmc": (EuropePmc, upstreams.ROUTES["europepmc"]),
    "pubmed": (PubMed, upstreams.ROUTES["pubmed_search"]),
    "wikipedia": (Wikipedia, upstreams.ROUTES["wikipedia"]),
    "hackernews": (HackerNews, upstreams.ROUTES["hackernews"]),
    "gdelt": (Gdelt, upstreams.ROUTES["gdelt"]),
    # Its log-in comes first and is not retried (a POST); its searches are what break here.
    "bluesky": (Bluesky, upstreams.ROUTES["bluesky_search"]),
    "crossref": (Crossref, upstreams.ROUTES["crossref"]),
    "mastodon": (Mastodon, upstreams.ROUTES["mastodon"]),
    "openalex": (OpenAlex, upstreams.ROUTES["openalex"]),
    "reddit": (Reddit, upstreams.ROUTES["reddit"]),
}
GOOD = {
    "europepmc": upstreams.europepmc,
    "pubmed": upstreams.pubmed_search,
    "wikipedia": upstreams.wikipedia,
    "hackernews": upstreams.hackernews,
    "gdelt": upstreams.gdelt,
    "bluesky": upstreams.bluesky_search,
    "crossref": upstreams.crossref,
    "mastodon": upstreams.mastodon,
    "openalex": upstreams.openalex,
    "reddit": upstreams.reddit_naming,
}


@pytest.fixture
def settings(source_settings, fake):
    """Settings matching the routes of tests/upstreams.py, with every source answering well."""
    upstreams.install(fake)
    # Reddit's default answer names no trial; here it finds some, so that losing them shows.
    fake.route(upstreams.ROUTES["reddit"], upstreams.reddit_naming)
    return dict(source_settings, HN_URL=fake.url + "/hn", GDELT_URL=fake.url + "/gdelt/doc",
                MASTODON_URL=fake.url + "/mastodon", MASTODON_TOKEN="token-of-the-operator",
                OPENALEX_KEY="k3y-of-the-operator", **upstreams.BLUESKY_ACCOUNT)


def find(source_id, settings, deadline=None, **overrides):
    """Run one source for NCT04280705."""
    source_class, _ = SOURCES[source_id]
    return source_class(dict(settings, **overrides)).find(trial_record(), deadline=deadline)


def first_then_good(reply, source_id):
    """A handler answering `reply` once, then as the real service would."""
    calls = itertools.count()
    return lambda request, **params: reply if next(calls) == 0 else GOOD[source_id](request,
                                                                                   **params)


@pytest.mark.parametrize("source_id", SOURCES)
@pytest.mark.parametrize("reply", [
    Reply.text("<html><body>Service Unavailable</body></html>", content_type="text/html"),
    Reply(200, b'{"hits": [{"objectID": ', {"Content-Type": "application/json"}),
    Reply.json(["not", "an", "answer"]),
], ids=["html-instead-of-json", "truncated-json", "json-list"])
def test_a_body_that_is_not_an_answer_is_a_bad_response(settings, fake, source_id, reply):
    fake.route(SOURCES[source_id][1], reply)
    with pytest.raises(UpstreamBadResponse):
        find(source_id, settings, UPSTREAM_RETRIES=0)


@pytest.mark.parametrize("source_id", SOURCES)
def test_persistent_server_errors_are_unavailable_after_the_retries(settings, fake, source_id):
    route = SOURCES[source_id][1]
    fake.route(route, Reply.text("Internal Server Error", 500))
    with pytest.raises(UpstreamUnavailable) as caught:
        find(source_id, settings, UPSTREAM_RETRIES=1)
    assert caught.value.code == "upstream_unavailable"
    assert fake.count(route) == 2


@pytest.mark.parametrize("source_id", SOURCES)
def test_a_slow_answer_times_out(settings, fake, source_id):
    fake.route(SOURCES[source_id][1], Reply.json({}, delay=0.5))
    with pytest.raises(UpstreamTimeout):
        find(source_id, settings, UPSTREAM_READ_TIMEOUT=0.1, UPSTREAM_RETRIES=0)


@pytest.mark.parametrize("source_id", SOURCES)
def test_a_deadline_already_past_sends_nothing(settings, fake, source_id):
    with pytest.raises(UpstreamTimeout):
        find(source_id, settings, deadline=time.monotonic() - 1)
    assert fake.requests == []


@pytest.mark.parametrize("source_id", SOURCES)
def test_a_429_with_a_short_retry_after_is_waited_out_and_loses_nothing(settings, fake,
                                                                       source_id):
    route = SOURCES[source_id][1]
    clean = {m.external_id for m in find(source_id, settings)}
    calls = fake.count(route)
    fake.calls.clear()
    fake.route(route, first_then_good(
        Reply.text("Too Many Requests", 429, headers={"Retry-After": "1"}), source_id))
    started = time.monotonic()
    assert {m.external_id for m in find(source_id, settings)} == clean
    assert clean and time.monotonic() - started >= 0.9
    assert fake.count(route) == calls + 1


@pytest.mark.parametrize("source_id", SOURCES)
def test_a_429_with_a_long_retry_after_is_reported_at_once(settings, fake, source_id):
    route = SOURCES[source_id][1]
    fake.route(route, Reply.text("Too Many Requests", 429, headers={"Retry-After": "600"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as caught:
        find(source_id, settings)
    assert time.monotonic() - started < 2
    assert (caught.value.code, caught.value.retry_after) == ("upstream_rate_limited", 600)
    assert fake.count(route) == 1
