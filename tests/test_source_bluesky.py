"""Bluesky from the public firehose: which posts are kept, how they are filed, and a reader
that resumes from its cursor, reconnects, and is the only one of its deployment."""

import threading
import time
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

import upstreams
from conftest import point_cli_at, wait_for_jobs
from fakeupstream import Reply
from jetstream import (
    ALICE,
    BOB,
    CAROL,
    START_US,
    FakeJetstream,
    identity_event,
    link_card,
    link_facet,
    post,
)
from records import study
from trialbuzz.attention import stream as streams
from trialbuzz.attention.sources.bluesky import read_post
from trialbuzz.cli import main
from trialbuzz.storage.models import Mention, Trial

KNOWN = "NCT04280705"
NEW = "NCT04292899"
MISSING = "NCT99999999"


def at(n):
    """The time of the n-th event, a second apart."""
    return START_US + n * 1_000_000


def firehose():
    """A minute of the firehose: posts naming studies in each way a post can, and others."""
    return [
        identity_event(ALICE, "alice.example.org", at(0)),
        post(ALICE, "3lalice00001", at(1), f"Results of {KNOWN} are out"),
        post(BOB, "3lbob0000001", at(2), "Not about any trial at all"),
        post(BOB, "3lbob0000002", at(3), "Worth reading: clinicaltrials.gov/study/NCT0…",
             facets=[link_facet(f"https://clinicaltrials.gov/study/{NEW}?tab=results")]),
        post(CAROL, "3lcarol00001", at(4), "The registry entry",
             embed=link_card(f"https://classic.clinicaltrials.gov/ct2/show/{KNOWN}")),
        {"time_us": at(5), "raw": "{not json"},
        post(CAROL, "3lcarol00002", at(6), f"Typo'd ID {MISSING}"),
        {"did": BOB, "time_us": at(7), "kind": "commit",
         "commit": {"operation": "delete", "collection": "app.bsky.feed.post",
                    "rkey": "3lbob0000001"}},
        post(ALICE, "3lalice00002", at(8), f"Both {KNOWN} and {NEW} enrolled fast"),
    ]


def profile(request):
    """The public AppView's profile of an author."""
    handles = {BOB: "bob.bsky.social", CAROL: "carol.bsky.social"}
    actor = request.arg("actor")
    if actor not in handles:
        return Reply.json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
    return Reply.json({"did": actor, "handle": handles[actor], "displayName": "Someone"})


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study(NEW, title="Second trial"))
    upstreams.install(fake)
    fake.route("/xrpc/app.bsky.actor.getProfile", profile)
    return fake


@pytest.fixture
def jet():
    server = FakeJetstream(firehose()).start()
    yield server
    server.stop()


def reader_for(app, jet, **options):
    app.config["BLUESKY_JETSTREAM_URL"] = jet.url
    return app.extensions["trialbuzz"].bluesky_reader(**options)


def read(reader, events, since=None):
    reader.run(threading.Event(), since=since, max_events=events)


def mentions(app):
    with app.extensions["trialbuzz"].db.session() as session:
        rows = session.query(Mention).filter_by(source="bluesky").all()
        return sorted((row.nct_id, row.external_id, row.author, row.url, row.kind)
                      for row in rows)


# -- which posts are kept -------------------------------------------------------------------

def test_a_post_naming_a_study_in_text_link_or_card_is_read():
    assert read_post(post(ALICE, "3la", at(1), f"see {KNOWN.lower()}"))[0] == [KNOWN]
    assert read_post(post(ALICE, "3la", at(1), "see the link",
                          facets=[link_facet(f"https://clinicaltrials.gov/ct2/show/{NEW}")]
                          ))[0] == [NEW]
    with_media = {"$type": "app.bsky.embed.recordWithMedia",
                  "media": link_card(f"https://www.clinicaltrials.gov/study/{NEW}")}
    assert read_post(post(ALICE, "3la", at(1), "card", embed=with_media))[0] == [NEW]


@pytest.mark.parametrize("event", [
    post(ALICE, "3la", at(1), "nothing here"),
    post(ALICE, "3la", at(1), "a search, not a study",
         facets=[link_facet("https://clinicaltrials.gov/search?cond=asthma")]),
    {**post(ALICE, "3la", at(1), KNOWN), "kind": "account"},
    {"did": ALICE, "time_us": at(1), "kind": "commit",
     "commit": {"operation": "create", "collection": "app.bsky.feed.like", "rkey": "3la",
                "record": {"text": KNOWN}}},
    {"did": "did:evil:<script>", "time_us": at(1), "kind": "commit",
     "commit": {"operation": "create", "collection": "app.bsky.feed.post", "rkey": "3la",
                "record": {"text": KNOWN}}},
    {"did": ALICE, "time_us": at(1), "kind": "commit",
     "commit": {"operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "../../x y", "record": {"text": KNOWN}}},
    {"did": ALICE, "time_us": at(1), "kind": "commit",
     "commit": {"operation": "create", "collection": "app.bsky.feed.post", "rkey": "3la",
                "record": ["not", "a", "record"]}},
    ["not", "an", "event"],
], ids=["no-id", "search-link", "account", "like", "bad-did", "bad-rkey", "bad-record",
        "list"])
def test_other_events_and_malformed_posts_are_passed_over(event):
    assert read_post(event) is None


def test_a_post_is_a_social_mention_dated_no_later_than_the_firehose_carried_it():
    ids, mention = read_post(post(ALICE, "3lalice00001", at(1), f"<b>{KNOWN}</b> & more",
                                  created_at="2099-01-01T00:00:00Z", langs=["en-GB"]))
    assert ids == [KNOWN] and mention.kind == "social" and mention.source == "bluesky"
    assert mention.external_id == f"{ALICE}/3lalice00001"
    assert mention.url == f"https://bsky.app/profile/{ALICE}/post/3lalice00001"
    assert mention.published_at == datetime.fromtimestamp(at(1) / 1e6, timezone.utc)
    assert mention.title == f"<b>{KNOWN}</b> & more" and mention.language == "en-GB"


# -- filing ---------------------------------------------------------------------------------

def test_posts_are_filed_under_every_trial_they_name_with_their_authors(make_app, world, jet):
    app = make_app(BLUESKY_STREAM=True)
    reader = reader_for(app, jet)
    read(reader, len(jet.events))
    wait_for_jobs(app, NEW, MISSING)
    assert reader.counts.posts == 5 and reader.counts.skipped == 1
    assert mentions(app) == sorted([
        (KNOWN, f"{ALICE}/3lalice00001", "@alice.example.org",
         "https://bsky.app/profile/alice.example.org/post/3lalice00001", "social"),
        (KNOWN, f"{CAROL}/3lcarol00001", "@carol.bsky.social",
         "https://bsky.app/profile/carol.bsky.social/post/3lcarol00001", "social"),
        (KNOWN, f"{ALICE}/3lalice00002", "@alice.example.org",
         "https://bsky.app/profile/alice.example.org/post/3lalice00002", "social"),
        (NEW, f"{BOB}/3lbob0000002", "@bob.bsky.social",
         "https://bsky.app/profile/bob.bsky.social/post/3lbob0000002", "social"),
        (NEW, f"{ALICE}/3lalice00002", "@alice.example.org",
         "https://bsky.app/profile/alice.example.org/post/3lalice00002", "social"),
    ])
    client = app.test_client()
    # A trial first seen in a post got its registry record; one the registry lacks is gone.
    second = client.get(f"/api/v1/trials/{NEW}").get_json()
    assert second["title"] == "Second trial" and second["kinds"]["social"] == 2
    with app.extensions["trialbuzz"].db.session() as session:
        assert session.get(Trial, MISSING) is None
    assert client.get(f"/api/v1/trials/{MISSING}").status_code == 404
    known = client.get(f"/api/v1/trials/{KNOWN}").get_json()
    assert known["kinds"]["social"] == 3 and known["state"] == "complete"
    bluesky = next(s for s in known["sources"] if s["id"] == "bluesky")
    assert bluesky["status"] == "ok" and bluesky["count"] == 3


def test_the_stream_source_is_off_until_switched_on_and_never_counted_missing(make_app, world):
    off = make_app().test_client().get(f"/api/v1/trials/{KNOWN}").get_json()
    bluesky = next(s for s in off["sources"] if s["id"] == "bluesky")
    assert bluesky["status"] == "disabled"
    on = make_app(BLUESKY_STREAM=True).test_client()
    document = on.get(f"/api/v1/trials/{KNOWN}").get_json()
    bluesky = next(s for s in document["sources"] if s["id"] == "bluesky")
    assert bluesky["status"] == "ok" and document["state"] == "complete"
    assert all(m["id"] != "bluesky" for m in document["coverage"]["missing"])


# -- the reader -----------------------------------------------------------------------------

def test_a_restarted_reader_resumes_from_its_cursor_losing_and_repeating_nothing(make_app,
                                                                                   world, jet):
    app = make_app()
    first = reader_for(app, jet)
    read(first, 3)
    assert "cursor" not in jet.asked[0]
    assert len(mentions(app)) == 1
    second = reader_for(app, jet)
    read(second, len(jet.events))
    # It asked from a little before the last event the first one read, and stored each once.
    assert int(jet.asked[1]["cursor"]) == at(2) - streams.REWIND_US
    assert jet.asked[1]["wantedCollections"] == "app.bsky.feed.post"
    wait_for_jobs(app, NEW, MISSING)
    assert len(mentions(app)) == 5
    assert second.cursor == at(8)


def test_a_dropped_connection_is_resumed_after_a_pause(make_app, world, monkeypatch):
    monkeypatch.setattr(streams, "BACKOFF_FIRST", 0.01)
    readable = [event for event in firehose() if "raw" not in event]
    jet = FakeJetstream(readable, cut_after=2).start()
    try:
        app = make_app()
        reader = reader_for(app, jet)
        stop = threading.Event()
        runner = threading.Thread(target=reader.run, args=(stop,))
        runner.start()
        deadline = time.monotonic() + 20
        while reader.cursor != at(8) and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        runner.join(10)
        wait_for_jobs(app, NEW, MISSING)
    finally:
        jet.stop()
    assert reader.counts.connections >= 4 and len(jet.asked) == reader.counts.connections
    # Each connection resumed at the last event read before it dropped.
    assert [int(a["cursor"]) for a in jet.asked[1:3]] == [at(1), at(2)]
    assert len(mentions(app)) == 5


def test_an_unreachable_firehose_is_retried_with_growing_pauses(make_app, world, monkeypatch):
    pauses = []
    stop = threading.Event()

    def wait(seconds):
        pauses.append(seconds)
        if len(pauses) == 4:
            stop.set()
        return stop.is_set()

    monkeypatch.setattr(stop, "wait", wait)
    app = make_app()
    app.config["BLUESKY_JETSTREAM_URL"] = "ws://127.0.0.1:9/subscribe"  # nothing listens
    app.extensions["trialbuzz"].bluesky_reader().run(stop)
    assert len(pauses) == 4
    for failures, pause in enumerate(pauses, start=1):
        ceiling = min(streams.BACKOFF_LAST, streams.BACKOFF_FIRST * 2 ** (failures - 1))
        assert ceiling / 2 <= pause <= ceiling


def test_one_reader_per_deployment_holds_the_stream(make_app, world, jet):
    app = make_app()
    first = reader_for(app, jet, owner="worker-1")
    second = reader_for(app, jet, owner="worker-2")
    first.claim()
    with pytest.raises(streams.StreamTaken):
        second.claim()
    first.cursor = at(4)
    first.release()
    assert second.claim() == at(4)
    with pytest.raises(streams.StreamTaken):
        first.save()          # its lease is gone: it must stop rather than read twice


# -- the command line -----------------------------------------------------------------------

def test_stream_command_reads_and_reports(world, jet, tmp_path, monkeypatch):
    point_cli_at(world, tmp_path, monkeypatch)
    world.route("/xrpc/app.bsky.actor.getProfile", profile)
    monkeypatch.setenv("TRIALBUZZ_BLUESKY_JETSTREAM_URL", jet.url)
    monkeypatch.setenv("TRIALBUZZ_EMBEDDED_WORKER", "0")
    result = CliRunner().invoke(main, ["stream", "bluesky", "--max-events", "9"])
    assert result.exit_code == 0, result.output
    assert f"9 events, 5 posts naming a study, 6 mentions filed; cursor {at(8)}" in \
        result.output
    again = CliRunner().invoke(main, ["stream", "bluesky", "--since", "yesterday"])
    assert again.exit_code == 2 and "--since" in again.output
