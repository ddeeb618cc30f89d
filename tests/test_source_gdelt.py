"""GDELT source: one artlist query per trial, against a fake DOC 2.0 API."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from limits import parse as parse_rate

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.gdelt import Gdelt
from trialbuzz.errors import UpstreamBadResponse, UpstreamUnavailable

FIXTURES = Path(__file__).parent / "fixtures" / "gdelt"
NCT = "NCT04280705"
ROUTE = "/api/v2/doc/doc"


@pytest.fixture
def gdelt_settings(source_settings, fake):
    """Settings with GDELT_URL at the fake's DOC API path (the setting is used as is)."""
    return dict(source_settings, GDELT_URL=fake.url + ROUTE)


def article(url, **fields):
    """An artlist article shaped like GDELT's."""
    return {"url": url, "url_mobile": "", "title": "Remdesivir trial news",
            "seendate": "20261028T141500Z", "socialimage": "", "domain": "example.org",
            "language": "English", "sourcecountry": "United States", **fields}


def find(settings, **overrides):
    """Run the source for the usual trial."""
    return Gdelt(dict(settings, **overrides)).find(trial_record(NCT))


def test_default_rate_is_one_request_per_five_seconds():
    rate = parse_rate(Gdelt.rate)
    assert (rate.amount, rate.get_expiry()) == (1, 5)
    assert Gdelt.experimental is True


@pytest.mark.parametrize("overrides, timespan", [({}, "3m"), ({"GDELT_TIMESPAN": "1w"}, "1w")])
def test_sends_one_quoted_artlist_query(fake, gdelt_settings, overrides, timespan):
    fake.route(ROUTE, Reply.json({}))
    assert find(gdelt_settings, **overrides) == []
    [request] = fake.requests
    assert request.path == ROUTE
    assert {name: values[0] for name, values in request.query.items()} == {
        "query": f'"{NCT}"', "mode": "artlist", "format": "json", "maxrecords": "250",
        "sort": "datedesc", "timespan": timespan}


def test_articles_become_news_mentions(fake, gdelt_settings):
    fake.route(ROUTE, Reply(200, (FIXTURES / "artlist.json").read_bytes(),
                            {"Content-Type": "application/json; charset=utf-8"}))
    stat, monde = find(gdelt_settings)
    url = "https://www.statnews.com/2026/10/28/remdesivir-actt-follow-up/"
    assert (stat.source, stat.kind, stat.external_id, stat.url) == ("gdelt", "news", url, url)
    assert stat.title == "Remdesivir trial NCT04280705 follow - up finds durable benefit"
    assert stat.author is None
    assert stat.published_at == datetime(2026, 10, 28, 14, 15, tzinfo=timezone.utc)
    assert stat.snippet == "statnews.com"
    assert stat.language == "en"
    assert stat.extra == {"domain": "statnews.com", "sourcecountry": "United States"}
    assert monde.language == "fr"
    assert monde.extra == {"domain": "lemonde.fr", "sourcecountry": "France"}


@pytest.mark.parametrize("language, code", [
    ("English", "en"), ("Chinese", "zh"), ("Klingon", None), (None, None), (7, None)])
def test_gdelt_language_names_become_iso_codes(fake, gdelt_settings, language, code):
    fake.route(ROUTE, Reply.json({"articles": [article("https://a.example/1",
                                                       language=language)]}))
    assert find(gdelt_settings)[0].language == code


def test_an_article_listed_twice_is_counted_once(fake, gdelt_settings):
    fake.route(ROUTE, Reply.json({"articles": [
        article("https://a.example/1"), article("https://b.example/2"),
        article("https://a.example/1", title="Again")]}))
    mentions = find(gdelt_settings)
    assert [m.external_id for m in mentions] == ["https://a.example/1", "https://b.example/2"]
    assert mentions[0].title == "Remdesivir trial news"


def test_an_overlong_url_is_kept_but_keyed_by_its_digest(fake, gdelt_settings):
    long_url = "https://a.example/" + "x" * 600
    fake.route(ROUTE, Reply.json({"articles": [article(long_url)]}))
    [mention] = find(gdelt_settings)
    assert mention.url == long_url
    assert mention.external_id.startswith("sha256:") and len(mention.external_id) == 71


def test_hostile_strings_become_plain_text_and_unsafe_urls_are_skipped(fake, gdelt_settings):
    fake.route(ROUTE, Reply.json({"articles": [
        article("javascript:alert(1)"), article("data:text/html,<script>alert(1)</script>"),
        article("https://a.example/\"><script>"), article(None), "not an article",
        article("https://ok.example/1", title="<script>alert(1)</script>",
                domain="<b>ok.example</b>", sourcecountry="<i>X</i>", seendate="not a date"),
    ]}))
    [mention] = find(gdelt_settings)
    assert mention.url == "https://ok.example/1"
    assert mention.title is None  # a script holds no text for readers
    assert mention.snippet == "ok.example"
    assert mention.extra == {"domain": "ok.example", "sourcecountry": "X"}
    assert mention.published_at is None


@pytest.mark.parametrize("reply", [
    Reply(200, b"", {"Content-Type": "application/json"}),
    Reply(200, b"  \n", {"Content-Type": "text/html"}),
    Reply.json({}),
    Reply.json({"articles": []}),
])
def test_empty_answers_mean_no_articles(fake, gdelt_settings, reply):
    fake.route(ROUTE, reply)
    assert find(gdelt_settings) == []


@pytest.mark.parametrize("reply, error, code", [
    (Reply.text("<html><body>Invalid query: the specified phrase is too short.</body></html>",
                content_type="text/html"), UpstreamBadResponse, "upstream_bad_response"),
    (Reply.text("Please limit requests to one every 5 seconds.", status=429),
     UpstreamUnavailable, "upstream_rate_limited"),
    (Reply.json({"articles": {"url": "https://a.example/"}}), UpstreamBadResponse,
     "upstream_bad_response"),
])
def test_failures_raise_the_matching_error(fake, gdelt_settings, reply, error, code):
    fake.route(ROUTE, reply)
    with pytest.raises(error) as caught:
        find(gdelt_settings, UPSTREAM_RETRIES=0)
    assert caught.value.code == code


def test_429_without_retry_after_is_not_retried_inside_the_five_second_window(fake,
                                                                             gdelt_settings):
    fake.route(ROUTE, Reply.text("Please limit requests to one every 5 seconds", status=429))
    with pytest.raises(UpstreamUnavailable) as caught:
        find(gdelt_settings)
    assert caught.value.code == "upstream_rate_limited"
    assert fake.count(ROUTE) == 1
