"""Bluesky's search, on when an account is given: the log-in and its session, what a search
keeps, that a post found by search and by the firehose is one mention, and who asks it."""

import json

import pytest

import upstreams
from fakeupstream import Reply
from jetstream import ALICE, BOB, CAROL, link_facet, post
from records import study, trial_record
from trialbuzz.attention import sources as source_registry
from trialbuzz.attention.sources.bluesky import Bluesky, read_post
from trialbuzz.errors import UpstreamError
from upstreams import BLUESKY_ACCOUNT, BLUESKY_TOKEN, post_view

TRIAL = "NCT04280705"
SEARCH = upstreams.ROUTES["bluesky_search"]
SESSION = upstreams.ROUTES["bluesky_session"]


@pytest.fixture
def settings(source_settings, fake):
    upstreams.install(fake)
    return dict(source_settings, **BLUESKY_ACCOUNT)


def searches_answering(fake, by_query):
    """searchPosts answering each query (its `q`, or `url` when given) with pages of posts,
    the next page behind a cursor."""
    def handler(request):
        if request.headers.get("Authorization") != f"Bearer {BLUESKY_TOKEN}":
            return Reply.json({"error": "AuthenticationRequired"}, 401)
        pages = by_query.get(request.arg("url") or request.arg("q"), [[]])
        page = int(request.arg("cursor") or 0)
        body = {"posts": pages[page]}
        if page + 1 < len(pages):
            body["cursor"] = str(page + 1)
        return Reply.json(body)

    fake.route(SEARCH, handler)


def test_a_search_keeps_the_posts_naming_the_trial_credited_to_their_handles(settings, fake):
    study_page = f"https://clinicaltrials.gov/study/{TRIAL}"
    linked = post_view(BOB, "bob.example.org", "3lbob0000002", "The registry entry",
                       facets=[link_facet(study_page + "?tab=results")])
    searches_answering(fake, {
        TRIAL: [[post_view(ALICE, "Alice.Example.org", "3lalice00001", f"Results of {TRIAL}"),
                 # The search matched a word elsewhere (alt text): the post does not name it.
                 post_view(CAROL, "carol.example.org", "3lcarol00001", "About NCT04292899"),
                 {"uri": "at://did:plc:broken/app.bsky.feed.post/x"}],
                [linked]],
        study_page: [[linked]],
    })
    found = Bluesky(settings).find(trial_record())
    assert [(m.external_id, m.author, m.url, m.kind) for m in found] == [
        (f"{ALICE}/3lalice00001", "@alice.example.org",
         "https://bsky.app/profile/alice.example.org/post/3lalice00001", "social"),
        (f"{BOB}/3lbob0000002", "@bob.example.org",
         "https://bsky.app/profile/bob.example.org/post/3lbob0000002", "social"),
    ]
    # Two items skipped: the post naming another trial and the one without an author.
    assert found.skipped == 2
    asked = [(r.arg("q"), r.arg("url"), r.arg("sort"), r.arg("cursor"))
             for r in fake.requests if r.path == SEARCH]
    assert asked == [(TRIAL, None, "latest", None), (TRIAL, None, "latest", "1"),
                     ("*", study_page, "latest", None)]


def test_a_post_found_by_search_is_the_mention_the_firehose_makes_of_it(settings, fake):
    text = f"Results of {TRIAL}"
    searches_answering(fake, {TRIAL: [[post_view(ALICE, "alice.example.org", "3lalice00001",
                                                 text)]]})
    searched = Bluesky(settings).find(trial_record())[0]
    streamed = read_post(post(ALICE, "3lalice00001", 1_795_000_000_000_000, text))[1]
    assert (searched.source, searched.external_id, searched.extra["uri"]) == \
        (streamed.source, streamed.external_id, streamed.extra["uri"])


def test_the_log_in_sends_the_account_and_its_session_serves_later_searches(settings, fake):
    source = Bluesky(settings)
    source.find(trial_record())
    source.find(trial_record("NCT04292899"))
    logins = [r for r in fake.requests if r.path == SESSION]
    assert len(logins) == 1 and logins[0].method == "POST"
    assert json.loads(logins[0].body) == {"identifier": "trialbuzz.example.org",
                                          "password": "abcd-efgh-ijkl-mnop"}


def test_an_expired_session_logs_in_again_once(settings, fake):
    tokens = iter(["stale-token", BLUESKY_TOKEN])
    fake.route(SESSION, lambda request: Reply.json({"accessJwt": next(tokens)}))
    found = Bluesky(settings).find(trial_record())
    assert [m.external_id for m in found] == [f"{ALICE}/3lhjnkjle5s2o"]
    assert fake.count(SESSION) == 2


def test_a_refused_log_in_says_which_settings_to_check_and_never_shows_the_password(
        settings, fake):
    fake.route(SESSION, Reply.json({"error": "AuthenticationRequired",
                                    "message": "Invalid identifier or password"}, 401))
    with pytest.raises(UpstreamError) as caught:
        Bluesky(settings).find(trial_record())
    assert "BLUESKY_APP_PASSWORD" in caught.value.message
    assert "abcd-efgh" not in caught.value.message
    assert fake.count(SEARCH) == 0


def test_a_log_in_answer_without_a_usable_token_is_a_bad_response(settings, fake):
    fake.route(SESSION, Reply.json({"accessJwt": "has spaces\nand lines"}))
    with pytest.raises(UpstreamError):
        Bluesky(settings).find(trial_record())
    assert fake.count(SEARCH) == 0


def test_without_an_account_a_refresh_does_not_ask_bluesky(source_settings):
    keyless = dict(source_settings, BLUESKY_STREAM=False)
    assert "bluesky" not in [s.id for s in source_registry.build(keyless)]
    assert source_registry.status_of_idle(Bluesky, keyless) == \
        "TRIALBUZZ_BLUESKY_STREAM=1 turns it on"
    streaming = dict(keyless, BLUESKY_STREAM=True)
    assert "bluesky" not in [s.id for s in source_registry.build(streaming)]
    assert "bluesky" in [s.id for s in source_registry.build(streaming, streams=True)]


def test_with_an_account_a_refresh_asks_bluesky_without_turning_the_stream_on(source_settings):
    searching = dict(source_settings, BLUESKY_STREAM=False, **BLUESKY_ACCOUNT)
    assert "bluesky" in [s.id for s in source_registry.build(searching)]
    assert "bluesky" not in [s.id for s in source_registry.build(searching, streams=True)]
    assert source_registry.status_of_idle(Bluesky, searching) is None


def test_a_trials_document_lists_the_posts_bluesky_search_found(make_app, fake, ctgov):
    from conftest import refresh_now

    ctgov.add(study(TRIAL))
    upstreams.install(fake)
    app = make_app(**BLUESKY_ACCOUNT)
    refresh_now(app, TRIAL)
    document = app.test_client().get(f"/api/v1/trials/{TRIAL}").get_json()
    bluesky = next(s for s in document["sources"] if s["id"] == "bluesky")
    assert (bluesky["status"], bluesky["count"]) == ("ok", 1)
    assert document["kinds"]["social"] == 1
    assert any(m["url"] == "https://bsky.app/profile/theferrarilab.bsky.social/post/"
               "3lhjnkjle5s2o" for m in document["mentions"])
