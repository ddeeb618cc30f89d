"""Atom feeds of new mentions, read with feedparser: valid, newest first, stable entry IDs,
safe links, hostile strings as text, linked from the pages; a cold trial is never harvested
on the request."""

from datetime import timedelta

import feedparser
import pytest

import hostile
import upstreams
from conftest import refresh_now
from records import study
from trialbuzz.attention.harvest import Outcome
from trialbuzz.attention.sources.base import Mention as Found
from trialbuzz.clock import utcnow
from trialbuzz.storage.models import Mention

A, MERGED, ALIAS, COLD = "NCT04280705", "NCT00010647", "NCT00009113", "NCT04368728"


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study(MERGED, aliases=[ALIAS], title="Merged study"))
    ctgov.add(study(COLD))
    upstreams.install(fake)
    return fake


@pytest.fixture
def app(make_app):
    return make_app(EMBEDDED_WORKER=False)


harvest = refresh_now


def read(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed, response


def found_later(app, nct_id, minutes, **fields):
    """Store one more mention of `nct_id`, found `minutes` after the harvest."""
    state = app.extensions["trialbuzz"]
    item = Found(source="hackernews", kind="forum", **fields)
    state.harvester.store(nct_id, [Outcome("hackernews", "ok", [item])])
    with state.db.session() as session:
        row = session.query(Mention).filter_by(external_id=fields["external_id"]).one()
        row.first_seen_at = utcnow() + timedelta(minutes=minutes)


def test_a_trial_feed_lists_its_mentions_newest_first_with_stable_ids(app, client, world):
    harvest(app, A)
    found_later(app, A, 5, external_id="later", url="https://example.org/later",
                title="Found later", author="someone", published_at=None)
    feed, response = read(client, f"/trial/{A}/feed.atom")
    assert feed.feed.title == f"{A}: Adaptive COVID-19 Treatment Trial (ACTT)"
    assert feed.feed.link == f"http://localhost/trial/{A}"
    assert any(link.rel == "self" and link.href == f"http://localhost/trial/{A}/feed.atom"
               for link in feed.feed.links)
    assert len(feed.entries) == 8
    assert feed.entries[0].title == "Found later" and feed.entries[0].author == "someone"
    updated = [entry.updated_parsed for entry in feed.entries]
    assert updated == sorted(updated, reverse=True)
    assert len({entry.id for entry in feed.entries}) == 8
    for entry in feed.entries:
        assert entry.link.startswith(("https://", "http://"))
        assert entry.id.startswith("urn:uuid:")
    hn = next(e for e in feed.entries if "news.ycombinator.com/item?id=23456789" in e.link)
    assert hn.author == "pg" and hn.published.startswith("2026-11-20")
    assert hn.tags[0].term == "forum"
    again, _ = read(client, f"/trial/{A}/feed.atom")
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert client.get(f"/trial/{A}/feed.atom",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_entry_ids_are_the_same_in_the_trial_and_collection_feeds(app, client, world):
    harvest(app, A, ALIAS)
    made = client.post("/api/v1/collections", json={"name": "Both",
                                                     "nct_ids": [ALIAS, A]}).get_json()
    trial, _ = read(client, f"/trial/{A}/feed.atom")
    collection, _ = read(client, f"/collections/{made['id']}/feed.atom")
    assert collection.feed.title == "Both · trialbuzz"
    assert collection.feed.link == made["url"]
    assert {e.id for e in trial.entries} <= {e.id for e in collection.entries}
    totals = [client.get(f"/api/v1/trials/{nct_id}").get_json()["mentions_total"]
              for nct_id in (A, MERGED)]
    assert len(collection.entries) == sum(totals)     # both trials' mentions
    assert {e.title.split(":")[0] for e in collection.entries} == {A, MERGED}
    updated = [entry.updated_parsed for entry in collection.entries]
    assert updated == sorted(updated, reverse=True)


def test_hostile_mentions_are_text_and_their_unsafe_links_point_at_the_trial(app, client,
                                                                            fake, ctgov):
    hostile.install(fake, ctgov)
    harvest(app, A)
    for index, url in enumerate(hostile.HOSTILE_URLS):
        found_later(app, A, index, external_id=f"evil-{index}", url=url,
                    title=f"evil-{index} {hostile.PAYLOADS[index]}",
                    author=hostile.PAYLOADS[-1],
                    snippet=hostile.PAYLOADS[1] + "\x00\x1b")
    feed, response = read(client, f"/trial/{A}/feed.atom")
    body = response.get_data(as_text=True)
    assert "<script" not in body and "<img" not in body and "javascript:" not in body.lower()
    evil = {e.title: e for e in feed.entries}
    for index in range(len(hostile.HOSTILE_URLS)):
        entry = evil[" ".join(f"evil-{index} {hostile.PAYLOADS[index]}".split())]
        assert entry.link == f"http://localhost/trial/{A}"    # not the unsafe link
        assert entry.title_detail.type == "text/plain"
        assert entry.summary.startswith(hostile.PAYLOADS[1])
    assert feed.feed.title == f"{A}: {hostile.PAYLOADS[1]}"


@pytest.mark.parametrize("payload", hostile.PAYLOADS)
def test_a_hostile_collection_name_is_the_feeds_title_as_text(app, client, world, payload):
    made = client.post("/api/v1/collections", json={"name": payload, "nct_ids": [A]}
                       ).get_json()
    feed, response = read(client, f"/collections/{made['id']}/feed.atom")
    assert feed.feed.title == " ".join(payload.split()) + " · trialbuzz"
    assert feed.feed.title_detail.type == "text/plain"
    assert "<script" not in response.get_data(as_text=True)


def test_a_cold_trials_feed_queues_its_harvest_and_answers_at_once(app, client, world):
    feed, response = read(client, f"/trial/{COLD}/feed.atom")
    assert sum(world.calls.values()) == 0
    assert app.extensions["trialbuzz"].work.status(COLD).state == "queued"
    assert feed.entries == [] and "being looked up" in feed.feed.subtitle
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_an_alias_feed_redirects_and_bad_ids_are_refused(app, client, world):
    harvest(app, ALIAS)
    moved = client.get(f"/trial/{ALIAS}/feed.atom")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"/trial/{MERGED}/feed.atom"
    assert client.get("/trial/nope/feed.atom").status_code == 400


def test_the_details_page_links_its_feed(app, client, world):
    harvest(app, A)
    html = client.get(f"/trial/{A}").get_data(as_text=True)
    assert f'<link rel="alternate" type="application/atom+xml" title="New mentions of {A}" ' \
           f'href="/trial/{A}/feed.atom">' in html
    assert f'<a href="/trial/{A}/feed.atom">Feed of new mentions (Atom)</a>' in html
