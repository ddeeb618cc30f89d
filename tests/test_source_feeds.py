"""News and blog feeds: the list in use, entries naming a study filed by the sweeps, conditional
GETs that file nothing when a feed is unchanged, hostile and broken feeds, and a trial's refresh
that answers from what the sweeps filed without asking any feed."""

import os
import textwrap
import time
from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

import hostile
import upstreams
from conftest import point_cli_at
from fakeupstream import Reply
from trialbuzz import settings as settings_module
from trialbuzz.attention import sources
from trialbuzz.attention.sources import feedlist
from trialbuzz.attention.sources.feeds import Feeds
from trialbuzz.clock import utcnow
from trialbuzz.jobs import tasks
from trialbuzz.jobs.sweeps import RUNNING
from trialbuzz.storage.models import Mention, Sweep

NCT, OLD = "NCT04280705", "NCT00010647"
NEWS, BLOG = upstreams.ROUTES["feed_news"], upstreams.ROUTES["feed_blog"]


@pytest.fixture
def state(make_app, fake):
    upstreams.install(fake)
    return make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False).extensions["trialbuzz"]


def poll(state, path=None):
    """Run the sweep of every feed (or of the one at `path`) to its end: {path: Tally}."""
    source = state.sweeps.sweepers["feeds"]
    tallies = {}
    for feed in source.feeds:
        if path is None or feed.url.endswith(path):
            key = ("feeds", feed.scope)
            assert state.sweeps.claim(key, RUNNING)
            tallies[feed.url[feed.url.index("/feeds/"):]] = state.sweeps.run(key)
    return tallies


def stored(state):
    """{(nct_id, external_id): Mention row} of the feeds' mentions."""
    with state.db.session() as session:
        return {(row.nct_id, row.external_id): row for row in session.scalars(
            select(Mention).where(Mention.source == "feeds"))}


def rss(*items, channel_extra=""):
    """An RSS 2.0 feed around `items` (already XML)."""
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
            f'<link>https://news.example.org/</link><description>D</description>{channel_extra}'
            + "".join(items) + "</channel></rss>")


def item(title="About NCT04280705", link="https://news.example.org/a", guid=None,
         description="", pub="Mon, 30 Nov 2026 13:00:00 +0000"):
    """One RSS item; a None field is left out."""
    parts = [f"<title>{title}</title>" if title is not None else "",
             f"<link>{link}</link>" if link is not None else "",
             f"<guid>{guid}</guid>" if guid is not None else "",
             f"<description>{description}</description>" if description else "",
             f"<pubDate>{pub}</pubDate>" if pub is not None else ""]
    return "<item>" + "".join(parts) + "</item>"


def serve(fake, body, content_type="application/rss+xml", path=NEWS, **options):
    fake.route(path, Reply.text(body, content_type=content_type, **options))


# --- the list --------------------------------------------------------------------------------


def test_the_shipped_list_has_named_news_and_blog_feeds_each_with_its_own_scope():
    feeds = feedlist.load(settings_module.resolve(environ={}))
    assert len(feeds) >= 10 and {feed.kind for feed in feeds} == {"news", "blog"}
    assert all(feed.url.startswith("https://") and feed.name for feed in feeds)
    scopes = [feed.scope for feed in feeds]
    assert len(set(scopes)) == len(scopes) and max(map(len, scopes)) <= 32
    assert any("statnews.com" in feed.url for feed in feeds)


def test_feeds_file_replaces_the_list_and_feeds_adds_to_it_leaving_out_bad_entries(tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text(textwrap.dedent("""
        [[feed]]
        name = "Our <b>own</b> news"
        kind = "news"
        url = "https://own.example.org/rss"

        [[feed]]
        name = "Not a feed kind"
        kind = "podcast"
        url = "https://own.example.org/pod"

        [[feed]]
        name = "A script"
        kind = "blog"
        url = "javascript:alert(1)"
    """))
    settings = settings_module.resolve(environ={
        "TRIALBUZZ_FEEDS_FILE": str(own),
        "TRIALBUZZ_FEEDS": "blog https://blog.example.org/feed A Blog, https://plain.example.org/"
                           "atom.xml, ftp://old.example.org/feed, https://own.example.org/rss"})
    feeds = feedlist.load(settings)
    assert [(f.url, f.kind, f.name) for f in feeds] == [
        ("https://own.example.org/rss", "news", "Our <b>own</b> news"),
        ("https://blog.example.org/feed", "blog", "A Blog"),
        ("https://plain.example.org/atom.xml", "news", "plain.example.org")]


def test_an_unreadable_feeds_file_polls_nothing_and_the_command_says_why(
        tmp_path, fake, monkeypatch, source_settings):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[feed]\nurl = ")
    source = Feeds(dict(source_settings, FEEDS_FILE=str(broken)))
    assert source.feeds == [] and source.sweep_scopes() == []
    assert str(broken) in source.list_error
    point_cli_at(fake, tmp_path, monkeypatch)
    monkeypatch.setenv("TRIALBUZZ_FEEDS_FILE", str(broken))
    from trialbuzz.cli import main

    result = CliRunner().invoke(main, ["feeds"])
    assert result.exit_code != 0 and "is not valid TOML" in result.output
    # Until the operator mends it, no trial shows the feeds as checked with nothing found.
    assert "is not valid TOML" in sources.status_of_idle(
        Feeds, dict(source_settings, FEEDS_FILE=str(broken), SWEEP_EVERY=86400))
    mended = dict(source_settings, FEEDS_FILE=str(broken), SWEEP_EVERY=86400)
    broken.write_text(upstreams.feed_list(fake.url))
    os.utime(broken, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert sources.status_of_idle(Feeds, mended) is None


def test_an_unreadable_feeds_file_shows_the_feeds_as_not_used(tmp_path, make_app, fake, ctgov):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[feed]\nurl = ")
    upstreams.install(fake)
    client = make_app(FEEDS_FILE=str(broken), SWEEP_EVERY=86400).test_client()
    document = client.get(f"/api/v1/trials/{NCT}").get_json()
    feeds = next(s for s in document["sources"] if s["id"] == "feeds")
    assert (feeds["status"], feeds["error"]) == ("disabled", "not used on this server")
    assert "feeds" not in [m["id"] for m in document["coverage"]["missing"]]


# --- polling -----------------------------------------------------------------------------------


def test_entries_naming_a_study_are_filed_as_the_feeds_kind_under_each_id(state):
    tallies = poll(state)
    assert {path: tally.outcome for path, tally in tallies.items()} == {NEWS: "done",
                                                                       BLOG: "done"}
    assert tallies[NEWS].skipped == 1                  # the entry naming no trial
    found = stored(state)
    assert set(found) == {(NCT, "https://news.example.org/?p=912345"),
                          (OLD, "https://news.example.org/?p=912300"),
                          (NCT, "tag:blog.example.org,2026:post-77")}
    news = found[(NCT, "https://news.example.org/?p=912345")]
    assert news.kind == "news" and news.title == \
        "Remdesivir trial\u2019s final results hold up on a second look"
    assert news.url == "https://news.example.org/2026/11/30/remdesivir-actt-final-results/"
    assert news.author == "Jane Reporter" and news.language == "en-US"
    assert news.published_at.replace(tzinfo=timezone.utc) == datetime(2026, 11, 30, 13, 0,
                                                                      tzinfo=timezone.utc)
    # The content's words, not the summary's excerpt and its "appeared first on" line.
    assert news.snippet == "The trial, registered as NCT04280705, enrolled 1,062 patients."
    assert news.extra["feed"] == "Health news example"
    blog = found[(NCT, "tag:blog.example.org,2026:post-77")]
    # An HTML title is reduced to its words; the study is named only by its classic page's link.
    assert blog.kind == "blog" and blog.title == "Why ACTT-1 still matters"
    assert blog.author == "Dr. Blogger" and blog.snippet == "See the record first."


def test_a_second_poll_sends_the_validators_and_a_304_files_nothing(state, fake, make_app):
    poll(state)
    before = {key: row.last_seen_at for key, row in stored(state).items()}
    # Another process (a new app on the same store) polls: the validators are in the store.
    again = make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False).extensions["trialbuzz"]
    tallies = poll(again)
    polls = [r for r in fake.requests if r.path == NEWS]
    assert "If-None-Match" not in polls[0].headers
    assert polls[1].headers["If-None-Match"] == upstreams.FEED_ETAG
    assert polls[1].headers["If-Modified-Since"] == upstreams.FEED_MODIFIED
    assert all(t.outcome == "done" and not t.mentions and t.calls == 1
               for t in tallies.values())
    assert {key: row.last_seen_at for key, row in stored(state).items()} == before


def test_a_changed_feed_stores_its_entries_once_and_keeps_the_new_validators(state, fake):
    poll(state, NEWS)
    fake.route(NEWS, lambda request: upstreams.feed_reply(
        upstreams.NEWS_RSS, "application/rss+xml", request, etag='"v2"',
        modified="Tue, 01 Dec 2026 09:00:00 GMT"))
    tally = poll(state, NEWS)[NEWS]
    assert len(tally.mentions) == 2 and len(stored(state)) == 2
    key = ("feeds", state.sweeps.sweepers["feeds"].feeds[0].scope)
    with state.db.session() as session:
        assert session.get(Sweep, key).kept == {"etag": '"v2"',
                                                "modified": "Tue, 01 Dec 2026 09:00:00 GMT",
                                                "naming": 2}
    assert poll(state, NEWS)[NEWS].calls == 1 and fake.requests[-1].headers[
        "If-None-Match"] == '"v2"'


def test_a_feed_sending_only_last_modified_is_asked_if_modified_since(state, fake):
    def handler(request):
        reply = upstreams.feed_reply(upstreams.NEWS_RSS, "application/rss+xml", request)
        del reply.headers["ETag"]
        return reply

    fake.route(NEWS, handler)
    poll(state, NEWS)
    tally = poll(state, NEWS)[NEWS]
    second = [r for r in fake.requests if r.path == NEWS][1]
    assert "If-None-Match" not in second.headers
    assert second.headers["If-Modified-Since"] == upstreams.FEED_MODIFIED
    assert not tally.mentions and len(stored(state)) == 2


def test_an_entry_carried_by_two_feeds_is_one_mention(state, fake):
    shared = item(link="https://news.example.org/shared", guid="https://news.example.org/?p=1")
    serve(fake, rss(shared))
    serve(fake, rss(shared), path=BLOG)
    poll(state)
    assert list(stored(state)) == [(NCT, "https://news.example.org/?p=1")]


def test_a_feed_without_validators_is_fetched_whole_each_time(state, fake):
    serve(fake, rss(item()))
    poll(state, NEWS)
    poll(state, NEWS)
    polls = [r for r in fake.requests if r.path == NEWS]
    assert len(polls) == 2 and not any("If-None-Match" in r.headers
                                       or "If-Modified-Since" in r.headers for r in polls)
    assert len(stored(state)) == 1                     # the one item, stored once


# --- hostile and broken feeds -------------------------------------------------------------------


def test_script_in_titles_and_summaries_is_kept_as_text_and_unsafe_links_are_dropped(state,
                                                                                     fake):
    from xml.sax.saxutils import escape

    payloads = [escape(payload) for payload in hostile.PAYLOADS[:5]]
    items = [item(title=f"NCT04280705 {payload}", link=f"https://news.example.org/{n}",
                  description=payload) for n, payload in enumerate(payloads)]
    items += [item(title="NCT04280705 by a script link", link=escape(url), guid=f"g{n}")
              for n, url in enumerate(hostile.HOSTILE_URLS)]
    # No link, but a permalink guid: the guid is the link.
    items.append(item(title="NCT04280705 with a permalink guid", link=None,
                      guid="https://news.example.org/permalink"))
    # A link relative to the feed's own site.
    items.append(item(title="NCT04280705 on the same site", link="/relative"))
    serve(fake, rss(*items))
    tally = poll(state, NEWS)[NEWS]
    rows = list(stored(state).values())
    news = [row for row in rows if row.kind == "news"]
    assert tally.outcome == "done" and len(news) == 7
    assert tally.skipped == len(hostile.HOSTILE_URLS)
    for row in news:
        assert row.url.startswith(("https://news.example.org/", fake.url + "/relative"))
        for text in (row.title, row.snippet or ""):
            assert "<script" not in text.lower() and "onerror=" not in text.lower()
    assert {row.url for row in news} >= {"https://news.example.org/permalink"}


def test_entries_without_dates_are_undated_and_without_links_or_ids_are_left_out(state, fake):
    serve(fake, rss(item(pub=None, link="https://news.example.org/undated"),
                    item(link=None, guid=None, title="NCT04280705 nowhere to read it"),
                    item(link=None, guid="12345", title="NCT04280705 an id but no link"),
                    item(pub="not a date", link="https://news.example.org/bad-date")))
    tally = poll(state, NEWS)[NEWS]
    news = {row.url: row for row in stored(state).values() if row.kind == "news"}
    assert set(news) == {"https://news.example.org/undated",
                         "https://news.example.org/bad-date"}
    assert all(row.published_at is None for row in news.values())
    assert tally.skipped == 2


def test_a_guid_that_is_no_uri_is_known_within_its_feed_only(state, fake):
    serve(fake, rss(item(guid="42", link="https://news.example.org/42"),
                    item(guid="https://news.example.org/?p=7",
                         link="https://news.example.org/7")))
    poll(state, NEWS)
    scope = state.sweeps.sweepers["feeds"].feeds[0].scope
    assert set(stored(state)) == {(NCT, f"{scope}:42"), (NCT, "https://news.example.org/?p=7")}


def test_a_malformed_feed_files_the_entries_the_lenient_parser_could_read(state, fake):
    cut = rss(item(link="https://news.example.org/whole"),
              item(link="https://news.example.org/cut"))
    # Cut off inside the second entry's title, with an unescaped ampersand in the first.
    body = cut[:cut.index("<title>", cut.index("/whole")) + 20].replace("<title>About",
                                                                          "<title>A & B", 1)
    serve(fake, body)
    tally = poll(state, NEWS)[NEWS]
    assert tally.outcome == "done"
    assert "https://news.example.org/whole" in {row.url for row in stored(state).values()}


@pytest.mark.parametrize("body, content_type, message", [
    ("<!doctype html><html><head><title>Just a moment...</title></head><body>"
     "<p>Checking your browser NCT04280705</p></body></html>", "text/html",
     "something other than an RSS or Atom feed (text/html)"),
    ('{"items": [{"title": "NCT04280705"}]}', "application/json",
     "something other than an RSS or Atom feed (application/json)"),
    ("", "application/rss+xml", "something other than an RSS or Atom feed"),
])
def test_a_body_that_is_not_a_feed_fails_that_feed_alone(state, fake, body, content_type,
                                                         message):
    serve(fake, body, content_type=content_type)
    tallies = poll(state)
    assert tallies[NEWS].outcome == "failed" and message in tallies[NEWS].error
    assert tallies[BLOG].outcome == "done" and len(stored(state)) == 1


def test_a_body_over_the_feed_byte_limit_is_not_read_to_the_end(make_app, fake):
    upstreams.install(fake)
    state = make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False,
                     FEEDS_MAX_BYTES=64 * 1024).extensions["trialbuzz"]
    serve(fake, rss(*[item(link=f"https://news.example.org/{n}", description="x" * 1000)
                      for n in range(200)]))
    tallies = poll(state)
    assert tallies[NEWS].outcome == "failed" and "sent more than" in tallies[NEWS].error
    assert tallies[BLOG].outcome == "done"


def test_a_429_with_a_long_retry_after_fails_the_feed_and_is_retried_later(state, fake):
    serve(fake, "slow down", content_type="text/plain", status=429,
          headers={"Retry-After": "3600"})
    tallies = poll(state)
    assert tallies[NEWS].outcome == "failed" and tallies[BLOG].outcome == "done"
    assert fake.count(NEWS) == 1                        # not hammered
    key = ("feeds", state.sweeps.sweepers["feeds"].feeds[0].scope)
    with state.db.session() as session:
        row = session.get(Sweep, key)
    assert row.failures == 1 and row.kept is None and key not in state.sweeps.due()


def test_a_failed_poll_keeps_the_validators_of_the_last_good_one(state, fake):
    poll(state, NEWS)
    serve(fake, "down", content_type="text/plain", status=503)
    assert poll(state, NEWS)[NEWS].outcome == "failed"
    upstreams.install(fake)
    tally = poll(state, NEWS)[NEWS]
    assert fake.requests[-1].headers["If-None-Match"] == upstreams.FEED_ETAG
    assert tally.outcome == "done" and not tally.mentions


def test_a_429_with_a_short_retry_after_is_waited_out(state, fake):
    fake.route(NEWS, [Reply.text("wait", status=429, headers={"Retry-After": "1"}),
                      Reply.text(upstreams.NEWS_RSS, content_type="application/rss+xml")])
    assert poll(state, NEWS)[NEWS].outcome == "done" and len(stored(state)) == 2


def test_persistent_server_errors_and_timeouts_fail_that_feed_alone(make_app, fake):
    upstreams.install(fake)
    state = make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False,
                     UPSTREAM_READ_TIMEOUT=0.3).extensions["trialbuzz"]
    serve(fake, "bad gateway", content_type="text/plain", status=502)
    fake.route(BLOG, Reply.text(upstreams.BLOG_ATOM, content_type="application/atom+xml",
                                delay=1.0))
    tallies = poll(state)
    assert tallies[NEWS].outcome == "failed" and "HTTP 502" in tallies[NEWS].error
    assert fake.count(NEWS) > 1                          # retried before giving up
    assert tallies[BLOG].outcome == "failed" and "in time" in tallies[BLOG].error
    upstreams.install(fake)
    assert {t.outcome for t in poll(state).values()} == {"done"}


def test_a_redirect_to_another_host_is_refused(state, fake):
    fake.route(NEWS, Reply(301, headers={"Location": "https://elsewhere.example.org/feed"}))
    tally = poll(state, NEWS)[NEWS]
    assert tally.outcome == "failed" and "redirected outside its origin" in tally.error


# --- the schedule, a trial's refresh, the command line ------------------------------------------


def test_feeds_are_polled_at_their_own_interval_and_off_with_the_sweeps(make_app, fake,
                                                                         tmp_path):
    upstreams.install(fake)
    state = make_app(SWEEP_EVERY=86400, FEEDS_EVERY=600,
                     EMBEDDED_WORKER=False).extensions["trialbuzz"]
    poll(state)
    feed_keys = set(state.sweeps.keys({"feeds"}))
    assert len(feed_keys) == 2 and not feed_keys & set(state.sweeps.due())
    later = utcnow() + timedelta(seconds=601)
    state.sweeps.clock = lambda: later
    assert feed_keys <= set(state.sweeps.due())
    off = make_app(SWEEP_EVERY=0, DATABASE_URL=f"sqlite:///{tmp_path / 'off.sqlite3'}")
    assert "feeds" not in off.extensions["trialbuzz"].sweeps.sweepers
    assert "feeds" not in {s.id for s in off.extensions["trialbuzz"].harvester.sources}


def test_a_due_feed_is_polled_before_a_long_sweep_resumes(state, fake):
    queued = []
    state.jobs.enqueue_sweep = lambda source, scope: queued.append((source, scope))
    poll(state)
    # The registry's first sweep is under way, slice after slice.
    state.sweeps.rows([("ctgov", "")])
    with state.db.session() as session:
        session.execute(update(Sweep).where(Sweep.source == "ctgov").values(
            run={"since": "1990-01-01T00:00:00+00:00", "until": utcnow().isoformat(),
                 "token": "t"}))
    assert state.sweeps.due()[0] == ("ctgov", "")
    later = utcnow() + timedelta(hours=1, seconds=1)
    state.sweeps.clock = lambda: later
    due = state.sweeps.due()
    assert {key[0] for key in due[:2]} == {"feeds"} and due[2] == ("ctgov", "")
    tasks.schedule_sweeps(state, state.jobs)
    assert queued == [due[0]]


def test_a_cold_lookup_answers_from_what_the_feeds_filed_without_asking_them(state, fake,
                                                                            ctgov, make_app):
    poll(state)
    client = make_app(SWEEP_EVERY=86400).test_client()
    calls = fake.count(NEWS) + fake.count(BLOG)
    document = client.get(f"/api/v1/trials/{NCT}").get_json()
    feeds = next(s for s in document["sources"] if s["id"] == "feeds")
    assert feeds["status"] == "ok" and feeds["count"] == 2
    assert feeds["name"] == "News and blog feeds"
    assert document["state"] == "complete" and document["coverage"]["missing"] == []
    assert document["kinds"]["news"] >= 1 and document["kinds"]["blog"] >= 1
    outlets = {m["outlet"] for m in document["mentions"] if m["source"] == "feeds"}
    assert outlets == {"Health news example", "A medical blog"}
    page = client.get(f"/trial/{NCT}").get_data(as_text=True)
    assert "Health news example · Jane Reporter" in page
    # The trial's own Atom feed names the outlet too, not "News and blog feeds".
    atom = feedparser.parse(client.get(f"/trial/{NCT}/feed.atom").get_data())
    summaries = [entry.summary for entry in atom.entries]
    assert any("News · Health news example · " in text for text in summaries)
    assert any("Blogs · A medical blog · " in text for text in summaries)
    assert not any("News and blog feeds" in text for text in summaries)
    forced = client.get(f"/api/v1/trials/{NCT}?refresh=1").get_json()
    assert next(s for s in forced["sources"] if s["id"] == "feeds")["count"] == 2
    assert fake.count(NEWS) + fake.count(BLOG) == calls      # a refresh never asks a feed


def test_with_sweeps_off_the_feeds_are_not_in_use(client, fake, ctgov):
    upstreams.install(fake)
    document = client.get(f"/api/v1/trials/{NCT}").get_json()
    feeds = next(s for s in document["sources"] if s["id"] == "feeds")
    assert feeds["status"] == "disabled"
    assert fake.count(NEWS) == 0
    about = client.get("/about/score").get_data(as_text=True)
    row = about[about.index("<td>News and blog feeds"):]
    assert row[:row.index("</tr>")].endswith("<td>not used on this server</td>")


def test_the_sweep_and_feeds_commands(fake, tmp_path, monkeypatch):
    point_cli_at(fake, tmp_path, monkeypatch)
    monkeypatch.setenv("TRIALBUZZ_SWEEP_EVERY", "86400")
    from trialbuzz.cli import main

    before = CliRunner().invoke(main, ["feeds"])
    assert before.exit_code == 0, before.output
    assert before.output.splitlines()[0].startswith("2 feeds, each polled every 1 hour: the "
                                                    "list in ")
    assert "Health news example  (news)  http://127.0.0.1:" in before.output
    assert "not polled yet" in before.output
    swept = CliRunner().invoke(main, ["sweep", "feeds"])
    assert swept.exit_code == 0, swept.output
    lines = swept.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("feeds (127.0.0.1-")
    assert "2 mentions of 2 trials" in swept.stdout and "1 mentions of 1 trials" in swept.stdout
    after = CliRunner().invoke(main, ["feeds"])
    assert "2 entries naming a study" in after.output and "1 entry naming a study" in \
        after.output
    # Polled again, unchanged (304): what the feeds hold still stands.
    assert CliRunner().invoke(main, ["sweep", "feeds"]).exit_code == 0
    again = CliRunner().invoke(main, ["feeds"])
    assert "2 entries naming a study" in again.output and "1 entry naming a study" in \
        again.output
