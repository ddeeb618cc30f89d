"""Hacker News source: Algolia text and link searches, against a fake search API."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from limits import parse as parse_rate

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.hackernews import MAX_PAGES, HackerNews
from trialbuzz.errors import UpstreamBadResponse

FIXTURES = Path(__file__).parent / "fixtures" / "hackernews"
NCT = "NCT04280705"
ROUTE = "/search"


def fixture(name):
    """A recorded-shape response body from tests/fixtures/hackernews."""
    return json.loads((FIXTURES / name).read_text())


def answer(hits, page=0, pages=1):
    """An Algolia search envelope around `hits`."""
    return {"hits": hits, "nbHits": len(hits), "page": page, "nbPages": pages,
            "hitsPerPage": 100, "processingTimeMS": 1, "query": "", "params": ""}


def story(object_id, **fields):
    """A story hit shaped like Algolia's."""
    return {"created_at": "2020-04-29T17:12:03.000Z", "title": f"Story {object_id}",
            "url": f"https://example.org/{object_id}", "author": "someone", "points": 3,
            "story_text": None, "comment_text": None, "num_comments": 0,
            "created_at_i": 1588180323, "_tags": ["story", f"story_{object_id}"],
            "objectID": object_id, **fields}


def serve(fake, text=None, link=None):
    """Answer the text search with `text` hits and every link search with `link` hits."""
    def handler(request):
        hits = link if "restrictSearchableAttributes" in request.query else text
        return Reply.json(answer(hits or []))

    fake.route(ROUTE, handler)


def flat(request):
    """A request's query string as a plain dict."""
    return {name: values[0] for name, values in request.query.items()}


def find(source_settings, **overrides):
    """Run the source for the usual trial."""
    return HackerNews(dict(source_settings, **overrides)).find(trial_record(NCT))


def test_default_rate_stays_under_ten_thousand_an_hour():
    rate = parse_rate(HackerNews.rate)
    assert rate.amount / rate.get_expiry() * 3600 <= 10_000


def test_sends_the_text_search_then_both_link_searches(fake, source_settings):
    serve(fake)
    assert find(source_settings) == []
    assert [r.path for r in fake.requests] == [ROUTE] * 3
    assert [flat(r) for r in fake.requests] == [
        {"query": NCT, "tags": "(story,comment)", "hitsPerPage": "100", "page": "0"},
        {"query": f"clinicaltrials.gov/study/{NCT}", "restrictSearchableAttributes": "url",
         "hitsPerPage": "100", "page": "0"},
        {"query": f"clinicaltrials.gov/ct2/show/{NCT}", "restrictSearchableAttributes": "url",
         "hitsPerPage": "100", "page": "0"},
    ]


def test_story_and_comment_become_forum_mentions(fake, source_settings):
    fake.route(ROUTE, Reply.json(fixture("search.json")))
    story_, comment = find(source_settings)

    assert (story_.source, story_.kind, story_.external_id) == ("hackernews", "forum", "23015831")
    assert story_.url == "https://news.ycombinator.com/item?id=23015831"
    assert story_.title == "NIH trial shows remdesivir accelerates recovery from Covid-19"
    assert story_.author == "pseudolus"
    assert story_.published_at == datetime(2020, 4, 29, 17, 12, 3, tzinfo=timezone.utc)
    assert story_.snippet == f"https://clinicaltrials.gov/study/{NCT}"
    assert story_.extra == {"comment": False, "points": 412, "num_comments": 287,
                            "story_url": f"https://clinicaltrials.gov/study/{NCT}"}

    assert comment.external_id == "23016590"
    assert comment.url == "https://news.ycombinator.com/item?id=23016590"
    assert comment.title == ("Comment on NIH trial shows remdesivir accelerates recovery "
                             "from Covid-19")
    assert comment.author == "epistasis"
    assert comment.published_at == datetime(2020, 4, 29, 18, 40, 55, tzinfo=timezone.utc)
    assert comment.snippet == (f"The registration ({NCT}) changed its primary outcome on "
                               f"April 16: https://clinicaltrials.gov/study/{NCT} That is "
                               "worth knowing.")
    assert comment.extra == {
        "comment": True, "points": None, "num_comments": None,
        "story_url": "https://www.niaid.nih.gov/news-events/nih-clinical-trial-shows-"
                     "remdesivir-accelerates-recovery-advanced-covid-19"}


def test_sample_shaped_story_hit_is_parsed(fake, source_settings):
    sample_hit = {"created_at": "2016-09-04T02:50:35.000Z",
                  "title": "In defence of Douglas Crockford",
                  "url": "http://atom-morgan.github.io/in-defense-of-douglas-crockford",
                  "author": "ramblerman", "points": 611, "story_text": None,
                  "comment_text": None, "num_comments": 381, "story_id": None,
                  "story_title": None, "story_url": None, "parent_id": None,
                  "created_at_i": 1472957435,
                  "_tags": ["story", "author_ramblerman", "story_12422420"],
                  "objectID": "12422420"}
    serve(fake, text=[sample_hit])
    [mention] = find(source_settings)
    assert mention.external_id == "12422420"
    assert mention.published_at == datetime(2016, 9, 4, 2, 50, 35, tzinfo=timezone.utc)
    assert mention.extra["points"] == 611 and mention.extra["num_comments"] == 381


@pytest.mark.parametrize("fields, expected", [
    ({"created_at_i": 1588180323}, datetime(2020, 4, 29, 17, 12, 3, tzinfo=timezone.utc)),
    ({"created_at_i": None, "created_at": "2021-01-02T03:04:05.000Z"},
     datetime(2021, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ({"created_at_i": "1588180323", "created_at": None}, None),
    ({"created_at_i": None, "created_at": "yesterday"}, None),
])
def test_published_at_from_created_at_i_else_created_at(fake, source_settings, fields,
                                                        expected):
    serve(fake, text=[story("1", **fields)])
    assert find(source_settings)[0].published_at == expected


def test_ask_hn_story_without_link_uses_its_text_as_snippet(fake, source_settings):
    serve(fake, text=[story("2", url=None, story_text="<p>Has anyone joined NCT04280705?")])
    [mention] = find(source_settings)
    assert mention.snippet == "Has anyone joined NCT04280705?"
    assert mention.extra["story_url"] is None


def test_pages_until_the_last_page(fake, source_settings):
    def handler(request):
        page = int(request.arg("page"))
        if "restrictSearchableAttributes" in request.query:
            return Reply.json(answer([]))
        return Reply.json(answer([story(str(100 + page))], page=page, pages=3))

    fake.route(ROUTE, handler)
    mentions = find(source_settings)
    text_pages = [r.arg("page") for r in fake.requests if r.arg("query") == NCT]
    assert text_pages == ["0", "1", "2"]
    assert [m.external_id for m in mentions] == ["100", "101", "102"]


def test_paging_stops_at_the_cap(fake, source_settings):
    def handler(request):
        page = int(request.arg("page"))
        return Reply.json(answer([story(str(page + 1))], page=page, pages=50))

    fake.route(ROUTE, handler)
    find(source_settings)
    for query in (NCT, f"clinicaltrials.gov/study/{NCT}", f"clinicaltrials.gov/ct2/show/{NCT}"):
        pages = [r.arg("page") for r in fake.requests if r.arg("query") == query]
        assert pages == [str(page) for page in range(MAX_PAGES)]


@pytest.mark.parametrize("pages", [None, "3", 5])
def test_an_empty_page_or_missing_page_count_stops_paging(fake, source_settings, pages):
    body = answer([], pages=pages)
    fake.route(ROUTE, Reply.json(body))
    assert find(source_settings) == []
    assert len(fake.requests) == 3


def test_an_item_found_by_several_searches_is_counted_once(fake, source_settings):
    serve(fake, text=[story("7"), story("8"), story("7")], link=[story("8"), story("9")])
    assert [m.external_id for m in find(source_settings)] == ["7", "8", "9"]


def test_hostile_strings_become_plain_text_and_unsafe_links_are_dropped(fake, source_settings):
    serve(fake, text=[
        story("1", title="<script>alert(1)</script>", url="javascript:alert(1)",
              author="<b>mallory</b>"),
        story("2", title=None, story_title="<img src=x onerror=alert(1)>Real title",
              url=None, story_url="data:text/html,<script>alert(1)</script>",
              comment_text="<script>alert(2)</script>hello", _tags=["comment"]),
        story("3\" onmouseover=\"alert(1)"), story("javascript:alert(1)"), story(None),
        story(4), "not a hit",
    ])
    first, second = find(source_settings)
    assert first.title is None and first.author == "mallory"
    # The item stays (its link is built from the numeric ID); the unsafe story link is dropped.
    assert first.url == "https://news.ycombinator.com/item?id=1"
    assert first.snippet is None and first.extra["story_url"] is None
    assert second.title == "Comment on Real title"
    assert second.snippet == "hello"
    assert second.extra["story_url"] is None and second.extra["comment"] is True


def test_item_without_any_title_has_none(fake, source_settings):
    serve(fake, text=[story("5", title=None, story_title=None, _tags="comment")])
    [mention] = find(source_settings)
    assert mention.title is None and mention.extra["comment"] is False


@pytest.mark.parametrize("reply, error, code", [
    (Reply(200, b"", {"Content-Type": "application/json"}), UpstreamBadResponse,
     "upstream_bad_response"),
    (Reply.json({"message": "no hits here"}), UpstreamBadResponse, "upstream_bad_response"),
])
def test_answers_without_hits_are_bad_responses(fake, source_settings, reply, error, code):
    fake.route(ROUTE, reply)
    with pytest.raises(error) as caught:
        find(source_settings)
    assert caught.value.code == code


