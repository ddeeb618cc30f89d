"""Reddit source: per-trial searches, keyless and with an application-only OAuth token, its
refusals and pace headers, against a fake Reddit."""

import base64
import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from limits import parse as parse_rate

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.reddit import MAX_PAGES, Reddit
from trialbuzz.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable
from upstreams import reddit_listing, reddit_post

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
NCT = "NCT04280705"
SEARCH = "/reddit/search.json"
OAUTH_SEARCH = "/reddit-oauth/search"
TOKEN = "/reddit/api/v1/access_token"


def flat(request):
    """A request's query string as a plain dict."""
    return {name: values[0] for name, values in request.query.items()}


def serve(fake, phrase=(), link=(), route=SEARCH):
    """Answer the phrase search with `phrase` children and the `url:` search with `link`."""
    def handler(request):
        chosen = link if request.arg("q", "").startswith("url:") else phrase
        return Reply.json(reddit_listing(list(chosen)))

    fake.route(route, handler)


def find(source_settings, **overrides):
    """Run the source for the usual trial."""
    return Reddit(dict(source_settings, **overrides)).find(trial_record(NCT))


def test_keyless_pace_is_reddits_ten_a_minute_and_oauth_raises_it(source_settings):
    assert parse_rate(Reddit.rate).amount == 10
    assert parse_rate(Reddit.rate).GRANULARITY.name == "minute"
    keyless = Reddit(dict(source_settings, SOURCE_RATES={}))
    oauth = Reddit(dict(source_settings, SOURCE_RATES={}, REDDIT_CLIENT_ID="id",
                        REDDIT_CLIENT_SECRET="secret"))
    assert keyless.upstream.rate.item.amount == 10
    assert oauth.upstream.rate.item.amount == 100
    assert oauth.upstream.base_url.endswith("/reddit-oauth")


def test_a_post_becomes_a_forum_mention_with_its_subreddit_score_and_comments(
        source_settings, fake):
    serve(fake, phrase=[
        reddit_post("1abc2de", "NIH starts remdesivir trial",
                    url="https://clinicaltrials.gov/study/NCT04280705", score=120,
                    num_comments=40),
        reddit_post("1abc3fg", "Anyone enrolled in NCT04280705?", subreddit="COVID19",
                    author="[deleted]", created=1795428000.0,
                    selftext="Looking for people in <b>NCT04280705</b> &amp; others.")])
    found = {m.external_id: m for m in find(source_settings)}
    link, text = found["1abc2de"], found["1abc3fg"]
    assert (link.source, link.kind) == ("reddit", "forum")
    assert link.url == ("https://www.reddit.com/r/medicine/comments/1abc2de/"
                        "nih_starts_remdesivir_trial/")
    assert link.title == "NIH starts remdesivir trial"
    assert link.author == "a_doctor"
    assert link.published_at.isoformat() == "2026-11-22T10:00:00+00:00"
    assert link.snippet == "https://clinicaltrials.gov/study/NCT04280705"
    assert link.extra == {"comment": False, "subreddit": "medicine", "score": 120,
                          "num_comments": 40,
                          "link": "https://clinicaltrials.gov/study/NCT04280705"}
    # A deleted author is no author; selftext is read as plain text; a text post has no link.
    assert text.author is None
    assert text.snippet == "Looking for people in NCT04280705 & others."
    assert text.extra["subreddit"] == "COVID19" and text.extra["link"] is None


def test_the_searches_ask_for_the_id_as_a_phrase_and_for_links_naming_it(source_settings,
                                                                         fake):
    serve(fake)
    find(source_settings)
    asked = [flat(request) for request in fake.requests]
    assert asked == [
        {"q": f'"{NCT}"', "sort": "new", "type": "link", "limit": "100", "raw_json": "1"},
        {"q": f"url:{NCT}", "sort": "new", "type": "link", "limit": "100", "raw_json": "1"},
    ]
    agent = fake.requests[0].headers["User-Agent"]
    assert agent.startswith("trialbuzz/") and "tests@example.org" in agent


def test_a_real_listing_child_is_read(source_settings, fake):
    child = json.loads((FIXTURES / "listing-child-t3.json").read_text())
    child["data"]["title"] = "Results of NCT04280705 are out"
    serve(fake, phrase=[child])
    [mention] = find(source_settings)
    assert mention.external_id == "xs19g9"
    assert mention.url == ("https://www.reddit.com/r/FlutterDev/comments/xs19g9/"
                           "flutter_bottom_navigation_bar_with_nested_routes/")
    assert (mention.author, mention.extra["score"], mention.extra["num_comments"]) == (
        "bizz84", 8, 1)
    assert mention.published_at.isoformat() == "2022-09-30T13:23:18+00:00"
    assert mention.extra["link"].startswith("https://codewithandrea.com/")


def test_posts_found_by_both_searches_count_once_and_loose_matches_are_left_out(
        source_settings, fake):
    both = reddit_post("1aaaaaa", "NCT04280705 results",
                       url="https://clinicaltrials.gov/study/NCT04280705")
    loose = reddit_post("1bbbbbb", "A remdesivir trial", selftext="NCT04280706 is another")
    serve(fake, phrase=[both, loose], link=[both])
    found = find(source_settings)
    assert [m.external_id for m in found] == ["1aaaaaa"]
    assert found.skipped == 0


def test_search_pages_follow_after_up_to_the_cap(source_settings, fake):
    def handler(request):
        page = int(request.arg("after", "t3_p0")[4:])
        children = [reddit_post(f"p{page}x{n}", f"Post {n} on NCT04280705") for n in range(2)]
        return Reply.json(reddit_listing(children, after=f"t3_p{page + 1}"))

    fake.route(SEARCH, handler)
    found = find(source_settings)
    # Each of the two searches read MAX_PAGES pages; every post is found by both.
    assert fake.count(SEARCH) == 2 * MAX_PAGES
    assert len(found) == 2 * MAX_PAGES
    afters = [request.arg("after") for request in fake.requests[:MAX_PAGES]]
    assert afters == [None, "t3_p1", "t3_p2"][:MAX_PAGES]


def test_unsafe_or_broken_fields_never_reach_a_link(source_settings, fake):
    bad_permalink = reddit_post("1ccc111", "NCT04280705 one", subreddit="medicine")
    bad_permalink["data"]["permalink"] = "javascript:alert(1)//r/x/comments/1ccc111/"
    undated = reddit_post("1ccc222", "NCT04280705 two")
    del undated["data"]["created_utc"]
    hostile = reddit_post("1ccc333", "<img src=x onerror=alert(1)>NCT04280705",
                          url="javascript:alert(1)//NCT04280705")
    hostile["data"]["subreddit"] = "x/../../evil"
    hostile["data"]["author"] = "<script>"
    hostile["data"]["permalink"] = "/r/x/../../evil/comments/1ccc333/"
    other_post = reddit_post("1ccc444", "NCT04280705 four")
    other_post["data"]["permalink"] = "/r/medicine/comments/zzzzzz/not_this_post/"
    unreadable = [{"kind": "t3", "data": {"id": "../x", "title": "NCT04280705"}},
                  {"kind": "t1", "data": {"id": "abc", "body": "NCT04280705"}},
                  "not a child"]
    serve(fake, phrase=[bad_permalink, undated, hostile, other_post, *unreadable])
    found = {m.external_id: m for m in find(source_settings)}
    assert found.keys() == {"1ccc111", "1ccc222", "1ccc333", "1ccc444"}
    assert found["1ccc111"].url == "https://www.reddit.com/comments/1ccc111/"
    assert found["1ccc444"].url == "https://www.reddit.com/comments/1ccc444/"
    assert found["1ccc222"].published_at is None
    evil = found["1ccc333"]
    assert evil.url == "https://www.reddit.com/comments/1ccc333/"
    assert evil.extra["subreddit"] is None and evil.author is None
    assert evil.extra["link"] is None and "<" not in evil.title


@pytest.mark.parametrize("body", [
    {"kind": "Listing", "data": {"after": None}},
    {"kind": "Listing", "data": {"children": {"t3": []}}},
    {"kind": "t3", "data": {"children": []}},
    {"error": 404, "message": "Not Found"},
], ids=["no-children", "children-not-a-list", "not-a-listing", "error-object"])
def test_a_malformed_listing_is_a_bad_response(source_settings, fake, body):
    fake.route(SEARCH, Reply.json(body))
    with pytest.raises(UpstreamBadResponse, match="without a listing"):
        find(source_settings)


def test_anonymous_403_says_how_to_call_with_oauth(source_settings, fake, caplog):
    fake.route(SEARCH, Reply.text("<html>blocked</html>", 403, content_type="text/html"))
    with pytest.raises(UpstreamError) as caught:
        find(source_settings)
    assert "refused anonymous access" in caught.value.message
    assert "TRIALBUZZ_REDDIT_CLIENT_ID" in caught.value.message
    assert "TRIALBUZZ_REDDIT_CLIENT_ID" in caplog.text
    assert fake.count(SEARCH) == 1


def test_a_429_without_retry_after_takes_its_wait_from_x_ratelimit_reset(source_settings,
                                                                          fake):
    fake.route(SEARCH, Reply.text("Too Many Requests", 429,
                                  headers={"x-ratelimit-reset": "420",
                                           "x-ratelimit-remaining": "0"}))
    source = Reddit(dict(source_settings, UPSTREAM_RETRIES=0))
    with pytest.raises(UpstreamUnavailable) as caught:
        source.find(trial_record(NCT))
    assert (caught.value.code, caught.value.retry_after) == ("upstream_rate_limited", 420)
    assert "OAuth" in caught.value.message
    # Until the window reopens, nothing more is sent.
    with pytest.raises(UpstreamUnavailable) as again:
        source.find(trial_record(NCT))
    assert again.value.code == "upstream_rate_limited" and again.value.retry_after > 400
    assert fake.count(SEARCH) == 1


def test_a_spent_window_is_waited_out_when_it_reopens_soon(source_settings, fake):
    calls = []

    def handler(request):
        calls.append(time.monotonic())
        return Reply.json(reddit_listing([]), headers={
            "x-ratelimit-remaining": "0.0" if len(calls) == 1 else "5.0",
            "x-ratelimit-reset": "1", "x-ratelimit-used": "10"})

    fake.route(SEARCH, handler)
    find(source_settings)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9


def test_a_spent_window_that_reopens_late_is_reported_not_slept(source_settings, fake):
    fake.route(SEARCH, Reply.json(reddit_listing([]), headers={
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": "300"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as caught:
        find(source_settings)
    assert caught.value.code == "upstream_rate_limited"
    assert time.monotonic() - started < 2 and fake.count(SEARCH) == 1


@pytest.mark.parametrize("reply, status, words", [
    (Reply.text("Too Many Requests", 429, headers={"Retry-After": "900"}), "rate_limited",
     "Reddit is rate-limiting us"),
    (Reply.text("<html>blocked</html>", 403, content_type="text/html"), "error",
     "TRIALBUZZ_REDDIT_CLIENT_ID"),
], ids=["429", "403"])
def test_a_refresh_reports_a_refusal_as_the_sources_status(make_app, ctgov, fake, reply,
                                                           status, words):
    import upstreams
    from conftest import refresh_now
    from records import study

    upstreams.install(fake)
    ctgov.add(study(NCT))
    fake.route(SEARCH, reply)
    app = make_app(EMBEDDED_WORKER=False)
    refresh_now(app, NCT)
    document = app.test_client().get(f"/api/v1/trials/{NCT}").get_json()
    reddit = next(s for s in document["sources"] if s["id"] == "reddit")
    assert reddit["status"] == status and words in reddit["error"]
    # The other sources answered as ever.
    assert document["counts"].get("hackernews") == 2


# OAuth --------------------------------------------------------------------------------------

def oauth_settings(source_settings, **overrides):
    return dict(source_settings, REDDIT_CLIENT_ID="my-app", REDDIT_CLIENT_SECRET="s3cret",
                **overrides)


def token_endpoint(fake, tokens, expires_in=86400):
    """A token endpoint handing out `tokens` in turn to the right credentials."""
    given = iter(tokens)
    wanted = "Basic " + base64.b64encode(b"my-app:s3cret").decode()

    def handler(request):
        if request.method != "POST" or request.headers.get("Authorization") != wanted:
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        if parse_qs(request.body.decode()) != {"grant_type": ["client_credentials"]}:
            return Reply.json({"error": "unsupported_grant_type"}, status=400)
        return Reply.json({"access_token": next(given), "token_type": "bearer",
                           "expires_in": expires_in, "scope": "*"})

    fake.route(TOKEN, handler)


def oauth_api(fake, valid):
    """The OAuth API: answers a listing to a bearer token in `valid`, else 401."""
    def handler(request):
        token = request.headers.get("Authorization", "")
        if token.removeprefix("bearer ") not in valid:
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        return Reply.json(reddit_listing([reddit_post("1ddd111", "NCT04280705 discussed")]))

    fake.route(OAUTH_SEARCH, handler)


def test_oauth_calls_carry_a_token_that_is_kept_between_calls(source_settings, fake):
    token_endpoint(fake, ["tok-1", "tok-2"])
    oauth_api(fake, {"tok-1"})
    source = Reddit(oauth_settings(source_settings))
    assert [m.external_id for m in source.find(trial_record(NCT))] == ["1ddd111"]
    source.find(trial_record(NCT))
    assert fake.count(TOKEN) == 1 and fake.count(OAUTH_SEARCH) == 4
    assert fake.count(SEARCH) == 0
    calls = [r for r in fake.requests if r.path == OAUTH_SEARCH]
    assert {r.headers["Authorization"] for r in calls} == {"bearer tok-1"}
    assert flat(calls[0])["q"] == f'"{NCT}"'


def test_a_401_renews_the_token_once(source_settings, fake):
    token_endpoint(fake, ["old", "new"])
    oauth_api(fake, {"new"})
    found = Reddit(oauth_settings(source_settings)).find(trial_record(NCT))
    assert [m.external_id for m in found] == ["1ddd111"]
    assert fake.count(TOKEN) == 2


def test_a_token_about_to_expire_is_renewed(source_settings, fake):
    token_endpoint(fake, ["a", "b", "c", "d"], expires_in=30)
    oauth_api(fake, {"a", "b", "c", "d"})
    Reddit(oauth_settings(source_settings)).find(trial_record(NCT))
    assert fake.count(TOKEN) == 2


def test_a_token_refused_again_after_renewal_is_an_error(source_settings, fake):
    token_endpoint(fake, ["x", "y"])
    oauth_api(fake, set())
    with pytest.raises(UpstreamError, match="refused our OAuth token"):
        Reddit(oauth_settings(source_settings)).find(trial_record(NCT))
    assert fake.count(TOKEN) == 2 and fake.count(OAUTH_SEARCH) == 2


@pytest.mark.parametrize("reply", [
    Reply.json({"message": "Unauthorized", "error": 401}, status=401),
    Reply.json({"error": "invalid_grant"}),
], ids=["401", "error-in-200"])
def test_wrong_credentials_are_a_clear_error(source_settings, fake, reply):
    fake.route(TOKEN, reply)
    with pytest.raises(UpstreamError) as caught:
        Reddit(oauth_settings(source_settings)).find(trial_record(NCT))
    assert "refused our OAuth credentials" in caught.value.message
    assert "TRIALBUZZ_REDDIT_CLIENT_SECRET" in caught.value.message
    assert "s3cret" not in caught.value.message
    assert fake.count(OAUTH_SEARCH) == 0


def test_a_token_answer_without_a_token_is_a_bad_response(source_settings, fake):
    fake.route(TOKEN, Reply.text("<html>login</html>", content_type="text/html"))
    with pytest.raises(UpstreamBadResponse):
        Reddit(oauth_settings(source_settings)).find(trial_record(NCT))


# Sweeps ------------------------------------------------------------------------------------

@pytest.fixture
def world(fake):
    from sweepworld import World
    from trialbuzz.clock import utcnow

    return World(now=utcnow().replace(microsecond=0)).install(fake)


@pytest.fixture
def state(make_app):
    return make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False).extensions["trialbuzz"]


def sweep(state, **options):
    from trialbuzz.jobs.sweeps import RUNNING

    assert state.sweeps.claim(("reddit", ""), RUNNING)
    return state.sweeps.run(("reddit", ""), **options)


def filed(state):
    """{external id: NCT IDs} of the Reddit posts stored."""
    from sqlalchemy import select

    from trialbuzz.storage.models import Mention

    with state.db.session() as session:
        rows = session.execute(select(Mention.external_id, Mention.nct_id)
                               .where(Mention.source == "reddit")).all()
    found = {}
    for external_id, nct_id in rows:
        found.setdefault(external_id, set()).add(nct_id)
    return found


def test_a_sweep_reads_the_domain_listing_and_searches_and_files_each_post_under_its_ids(
        state, world):
    from datetime import timedelta

    from sweepworld import mentions_named, nct

    now = world.now
    world.add_reddit("1link01", now - timedelta(hours=3),
                     url=f"https://clinicaltrials.gov/study/{nct(4_000_001)}",
                     title=f"Compare with {nct(4_000_002)}")
    world.add_reddit("1text01", now - timedelta(hours=2),
                     text=f"Both {nct(4_000_003)} and {nct(4_000_004)} are recruiting")
    world.add_reddit("1addr01", now - timedelta(hours=1),
                     text=f"See https://www.clinicaltrials.gov/ct2/show/{nct(4_000_005)}")
    world.add_reddit("1none01", now - timedelta(hours=1), url="https://clinicaltrials.gov/")
    bad = world.add_reddit("1bad001", now - timedelta(minutes=5),
                           url=f"https://clinicaltrials.gov/study/{nct(4_000_006)}")
    bad["permalink"] = "//evil.example/r/x"
    del bad["created_utc"]
    tally = sweep(state)
    assert tally.outcome == "done"
    stored = filed(state)
    assert stored == {key[1]: ids for key, ids in mentions_named(world).items()
                      if key[0] == "reddit"}
    assert stored["1link01"] == {nct(4_000_001), nct(4_000_002)}
    assert "1none01" not in stored
    asked = [query for key, query in world.queries if key == "reddit"]
    assert asked[0] == {"domain": "clinicaltrials.gov", "limit": ["100"], "raw_json": ["1"]}
    assert [query.get("q") for query in asked[1:]] == [["NCT*"], ['"clinicaltrials.gov"']]
    assert all(query["sort"] == ["new"] and query["type"] == ["link"] for query in asked[1:])
    with state.db.session() as session:
        from trialbuzz.storage.models import Mention

        row = session.query(Mention).filter_by(source="reddit", external_id="1bad001").first()
        assert row.url == "https://www.reddit.com/comments/1bad001/"


def test_listings_are_paged_until_their_items_are_older_than_the_run(state, world):
    from datetime import timedelta

    from sweepworld import nct

    for n in range(450):
        world.add_reddit(f"1p{n:05d}", world.now - timedelta(days=30, minutes=n),
                         url=f"https://clinicaltrials.gov/study/{nct(4_100_000 + n)}")
    first = sweep(state)
    # From Reddit's beginning: every page of the domain listing (450 posts, 100 a page), and
    # a gap before its oldest post, so the sweep does not claim the history.
    assert first.outcome == "done" and len(filed(state)) == 450
    domain = [q for key, q in world.queries if key == "reddit" and "domain" in q]
    assert len(domain) == 5 and [q.get("after") for q in domain][1] == ["t3_1p00099"]
    from trialbuzz.storage.models import Sweep

    with state.db.session() as session:
        row = session.get(Sweep, ("reddit", ""))
        assert row.watermark is not None and not row.complete and row.run is None
    # A day later: two new posts; each listing's first page already reaches the watermark.
    world.queries.clear()
    world.add_reddit("1new001", world.now + timedelta(hours=1),
                     text=f"News about {nct(4_100_001)}")
    world.add_reddit("1new002", world.now + timedelta(hours=2),
                     url=f"https://clinicaltrials.gov/study/{nct(4_100_002)}")
    state.sweeps.clock = lambda: world.now + timedelta(days=1)
    assert sweep(state).outcome == "done"
    assert len([q for key, q in world.queries if key == "reddit"]) == 3
    assert {"1new001", "1new002"} <= set(filed(state))


def test_a_listing_past_its_cap_is_read_no_further(state, world):
    from datetime import timedelta

    from sweepworld import nct

    for n in range(1200):
        world.add_reddit(f"1q{n:05d}", world.now - timedelta(minutes=n),
                         url=f"https://clinicaltrials.gov/study/{nct(4_200_000 + n % 50)}")
    assert sweep(state).outcome == "done"
    domain = [q for key, q in world.queries if key == "reddit" and "domain" in q]
    assert len(domain) == 10 and len(filed(state)) == 1000


@pytest.mark.parametrize("reply, words", [
    (Reply.text("Too Many Requests", 429, headers={"Retry-After": "600"}),
     "Reddit is rate-limiting us"),
    (Reply.text("<html>blocked</html>", 403, content_type="text/html"),
     "TRIALBUZZ_REDDIT_CLIENT_ID"),
    (Reply.json({"kind": "Listing", "data": {"after": "t3_x"}}), "without a listing"),
], ids=["429", "403", "malformed"])
def test_a_refused_sweep_fails_with_a_message_and_resumes_where_it_stood(state, world, reply,
                                                                         words):
    from datetime import timedelta

    from sweepworld import nct

    from trialbuzz.storage.models import Sweep

    for n in range(250):
        world.add_reddit(f"1s{n:05d}", world.now - timedelta(minutes=n),
                         url=f"https://clinicaltrials.gov/study/{nct(4_300_000 + n)}")
    world.fail("reddit", None, reply)
    tally = sweep(state)
    assert tally.outcome == "failed" and words in tally.error
    with state.db.session() as session:
        row = session.get(Sweep, ("reddit", ""))
        assert row.failures == 1 and row.run["after"] == "t3_1s00099"
    assert len(filed(state)) == 100
    world.queries.clear()
    if reply.status == 429:
        # Reddit asked for ten minutes: until then the run fails again without calling.
        again = sweep(state)
        assert again.outcome == "failed" and "wait" in again.error
        assert world.queries == []
        state.sweeps.sweepers["reddit"]._resume_at = 0.0    # ten minutes later
    tally = sweep(state)
    assert tally.outcome == "done"
    assert world.queries[0][1]["after"] == ["t3_1s00099"]
    assert len(filed(state)) == 250


def test_posts_found_are_counted_and_linked_in_the_trials_document(make_app, ctgov, fake):
    import upstreams
    from conftest import refresh_now
    from records import study
    from trialbuzz.jobs import tasks

    upstreams.install(fake)
    ctgov.add(study(NCT))
    app = make_app(EMBEDDED_WORKER=False)
    refresh_now(app, NCT)
    client = app.test_client()
    before = client.get(f"/api/v1/trials/{NCT}").get_json()
    # The default answer is a loose match naming no trial: nothing is counted.
    assert before["counts"].get("reddit", 0) == 0
    fake.route(upstreams.ROUTES["reddit"], upstreams.reddit_naming)
    state = app.extensions["trialbuzz"]
    state.jobs.request(NCT, force=True)
    tasks.refresh(state, NCT)
    document = client.get(f"/api/v1/trials/{NCT}").get_json()
    assert document["counts"]["reddit"] == 2
    assert document["kinds"]["forum"] == before["kinds"]["forum"] + 2
    assert document["score"] == before["score"] + 2      # forum posts weigh 1 each
    posts = {m["url"] for m in document["mentions"] if m["source"] == "reddit"}
    assert "https://www.reddit.com/r/medicine/comments/1abc2de/nih_starts_remdesivir_trial/" \
        in posts
    html = client.get(f"/trial/{NCT}").get_data(as_text=True)
    assert "Anyone enrolled in NCT04280705?" in html


def test_the_score_page_lists_reddit_and_the_weight_of_its_forum_posts(client):
    import re

    html = client.get("/about/score").get_data(as_text=True)
    row = re.search(r"<tr><td>Reddit</td>\s*<td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert row and row.groups() == (Reddit.about, "on")
    assert "<td>Forums</td><td>1 a story, 0.25 a comment</td>" in html


@pytest.mark.parametrize("overrides, words", [
    ({}, "Reddit is on: keyless, 10 calls a minute (Reddit may refuse it: "
         "TRIALBUZZ_REDDIT_CLIENT_ID"),
    ({"REDDIT_CLIENT_ID": "my-app", "REDDIT_CLIENT_SECRET": "s3cret"},
     "Reddit is on: OAuth app, 100 calls a minute"),
    ({"SOURCES": ["ctgov"]}, "Reddit is off: not enabled (TRIALBUZZ_SOURCES)"),
], ids=["keyless", "oauth", "off"])
def test_the_command_line_tells_the_operator_how_reddit_runs(make_app, overrides, words):
    import click.testing

    from trialbuzz.cli import _say_sources_off

    app = make_app(**overrides)
    result = click.testing.CliRunner().invoke(
        click.command()(lambda: _say_sources_off(app.config)))
    assert words in result.output
    assert "s3cret" not in result.output


def test_an_oauth_sweep_asks_the_oauth_host_without_json_and_ends_done(source_settings, fake):
    token_endpoint(fake, ["tok-1"])
    fake.route("/reddit-oauth/domain/clinicaltrials.gov/new",
               Reply.json(reddit_listing([reddit_post(
                   "1eee111", "Trial page", url="https://clinicaltrials.gov/study/NCT04280705",
                   created=1795082400.0)])))
    fake.route("/reddit-oauth/search", Reply.json(reddit_listing([])))
    source = Reddit(oauth_settings(source_settings))
    pages = list(source.sweep_pages("", {"since": "2026-11-01T00:00:00+00:00",
                                         "until": "2026-12-01T00:00:00+00:00"}))
    assert [page.run["listing"] for page in pages] == [1, 2, 3]
    assert pages[-1].run["done"] is True and not any(p.run.get("done") for p in pages[:-1])
    [(ids, mention)] = pages[0].found
    assert ids == ["NCT04280705"] and mention.external_id == "1eee111"
    # The domain listing ended before the window's start: a gap; the empty searches leave none.
    assert pages[0].run["gap"] is True and pages[0].run["from_origin"] is False
    calls = [r for r in fake.requests if r.path.startswith("/reddit-oauth/")]
    assert len(calls) == 3 and fake.count(TOKEN) == 1
    assert {r.headers["Authorization"] for r in calls} == {"bearer tok-1"}
    assert fake.count(SEARCH) == 0
