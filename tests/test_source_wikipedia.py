"""Wikipedia source: link and text searches per wiki, against a fake MediaWiki Action API."""

import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fakeupstream import Reply
from records import trial_record
from trialbuzz import settings
from trialbuzz.attention.sources.base import STUDY_URL_FORMS
from trialbuzz.attention.sources.wikipedia import LINK_PAGES, SEARCH_PAGES, Wikipedia, article_url
from trialbuzz.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable

FIXTURES = Path(__file__).parent / "fixtures" / "wikipedia"
NCT = "NCT04280705"
NO_LINKS = {"batchcomplete": True, "query": {"exturlusage": []}}
STUDY = f"https://clinicaltrials.gov/study/{NCT}"
FIRST_FORM = STUDY_URL_FORMS[0].format(id=NCT)
NO_HITS = {"batchcomplete": True, "query": {"searchinfo": {"totalhits": 0}, "search": []}}


def fixture(name):
    """A recorded-shape response body from tests/fixtures/wikipedia."""
    return json.loads((FIXTURES / name).read_text())


def links(*rows, more=None):
    """An exturlusage answer with `rows` and, if given, a continuation token."""
    body = {"batchcomplete": True, "query": {"exturlusage": list(rows)}}
    if more:
        body["continue"] = {"eucontinue": more, "continue": "-||"}
    return body


def serve(fake, link_bodies=None, search=None):
    """Answer exturlusage from `link_bodies` (euquery → body) and list=search with `search`."""
    link_bodies = link_bodies or {}

    def handler(request, lang):
        if request.arg("list") == "exturlusage":
            return Reply.json(link_bodies.get(request.arg("euquery"), NO_LINKS))
        return Reply.json(search or NO_HITS)

    fake.route("/{lang}/w/api.php", handler)


def flat(request):
    """A request's query string as a plain dict (every parameter is sent once)."""
    return {name: values[0] for name, values in request.query.items()}


def find(source_settings, **overrides):
    """Run the source for the usual trial."""
    return Wikipedia(dict(source_settings, **overrides)).find(trial_record(NCT))


def test_lang_template_survives_base_construction_and_yields_each_wiki_address():
    source = Wikipedia(settings.resolve(environ={}))
    assert source.upstream.base_url == "https://{lang}.wikipedia.org/w/api.php"
    assert source.api_url("ja") == "https://ja.wikipedia.org/w/api.php"
    assert source.languages() == ["en"]


def test_sends_one_exturlusage_per_study_url_form_then_an_insource_search(fake, source_settings):
    serve(fake)
    assert find(source_settings) == []
    sent = [flat(request) for request in fake.requests]
    assert all(request.path == "/en/w/api.php" for request in fake.requests)
    assert sent[:-1] == [{
        "action": "query", "list": "exturlusage", "euquery": form.format(id=NCT),
        "eunamespace": "0", "eulimit": "500", "euprop": "ids|title|url", "maxlag": "5",
        "format": "json", "formatversion": "2"} for form in STUDY_URL_FORMS]
    assert sent[-1] == {
        "action": "query", "list": "search", "srsearch": f'insource:"{NCT}"',
        "srnamespace": "0", "srlimit": "50", "srprop": "snippet|timestamp", "maxlag": "5",
        "format": "json", "formatversion": "2"}
    assert not any("euprotocol" in request for request in sent)


def test_links_and_text_matches_become_one_mention_per_page(fake, source_settings):
    serve(fake, {f"clinicaltrials.gov/study/{NCT}": fixture("exturlusage.json")},
          fixture("search.json"))
    mentions = {m.external_id: m for m in find(source_settings)}
    assert list(mentions) == ["en:63030231", "en:62750956", "en:64001234"]

    both = mentions["en:63030231"]
    assert (both.source, both.kind, both.language, both.author) == (
        "wikipedia", "wikipedia", "en", None)
    assert both.url == "https://en.wikipedia.org/wiki/Remdesivir"
    assert both.title == "Remdesivir"
    assert both.published_at == datetime(2026, 10, 2, 8, 15, 44, tzinfo=timezone.utc)
    assert both.snippet == f'the ACTT-1 trial ({NCT}) found "faster recovery"'
    assert both.extra == {"linked": True}

    linked = mentions["en:62750956"]
    assert linked.url == "https://en.wikipedia.org/wiki/COVID-19_drug_development"
    assert linked.snippet == f"http://clinicaltrials.gov/study/{NCT}?tab=results"
    assert linked.published_at is None
    assert linked.extra == {"linked": True}

    text_only = mentions["en:64001234"]
    assert text_only.url == "https://en.wikipedia.org/wiki/Adaptive_COVID-19_Treatment_Trial"
    assert text_only.snippet == f"registered as {NCT} at ClinicalTrials.gov"
    assert text_only.published_at == datetime(2025, 3, 14, 19, 1, 2, tzinfo=timezone.utc)
    assert text_only.extra == {"linked": False}


def test_sample_shaped_japanese_row_gets_a_quoted_ja_address(fake, source_settings):
    row = {"pageid": 3957, "ns": 0, "title": "宇宙", "url": STUDY}
    serve(fake, {f"clinicaltrials.gov/study/{NCT}": links(row)})
    [mention] = find(source_settings, WIKIPEDIA_LANGUAGES=["ja"])
    assert fake.requests[0].path == "/ja/w/api.php"
    assert (mention.external_id, mention.language, mention.title) == ("ja:3957", "ja", "宇宙")
    assert mention.url == "https://ja.wikipedia.org/wiki/%E5%AE%87%E5%AE%99"


@pytest.mark.parametrize("title, url", [
    ("Remdesivir", "https://en.wikipedia.org/wiki/Remdesivir"),
    ("Sofosbuvir (drug)", "https://en.wikipedia.org/wiki/Sofosbuvir_(drug)"),
    ("AC/DC & Co?", "https://en.wikipedia.org/wiki/AC/DC_%26_Co%3F"),
    ("50% #1", "https://en.wikipedia.org/wiki/50%25_%231"),
    ("<script>alert(1)</script>",
     "https://en.wikipedia.org/wiki/%3Cscript%3Ealert(1)%3C/script%3E"),
    ("", "https://en.wikipedia.org/?curid=42"),
    (None, "https://en.wikipedia.org/?curid=42"),
])
def test_article_url_uses_underscores_and_percent_quoting(title, url):
    assert article_url("en", 42, title) == url


def test_same_page_counts_once_per_wiki(fake, source_settings):
    row = {"pageid": 7, "ns": 0, "title": "Remdesivir", "url": STUDY}
    serve(fake, {f"clinicaltrials.gov/study/{NCT}": links(row),
                 f"www.clinicaltrials.gov/study/{NCT}": links(row)},
          {"query": {"search": [{"ns": 0, "title": "Remdesivir", "pageid": 7}]}})
    mentions = find(source_settings, WIKIPEDIA_LANGUAGES=["en", "ja"])
    assert [m.external_id for m in mentions] == ["en:7", "ja:7"]
    assert [m.url for m in mentions] == ["https://en.wikipedia.org/wiki/Remdesivir",
                                         "https://ja.wikipedia.org/wiki/Remdesivir"]
    assert {r.path for r in fake.requests} == {"/en/w/api.php", "/ja/w/api.php"}


def test_invalid_or_repeated_language_codes_are_ignored(fake, source_settings):
    serve(fake)
    find(source_settings, WIKIPEDIA_LANGUAGES=["en", "EN", "evil.example/x?", "", "a b"])
    assert {r.path for r in fake.requests} == {"/en/w/api.php"}
    assert len(fake.requests) == len(STUDY_URL_FORMS) + 1


def test_follows_eucontinue_until_no_continue_is_given(fake, source_settings):
    row = {"ns": 0, "title": "P", "url": STUDY}

    def handler(request, lang):
        if request.arg("list") != "exturlusage" or request.arg("euquery") != FIRST_FORM:
            return Reply.json(NO_LINKS if request.arg("list") == "exturlusage" else NO_HITS)
        if request.arg("eucontinue") is None:
            return Reply.json(links(dict(row, pageid=1), more="gov.clinicaltrials.|https|1"))
        return Reply.json(links(dict(row, pageid=2)))

    fake.route("/{lang}/w/api.php", handler)
    assert [m.external_id for m in find(source_settings)] == ["en:1", "en:2"]
    first_form = [flat(r) for r in fake.requests if r.arg("euquery") == FIRST_FORM]
    assert len(first_form) == 2
    assert "eucontinue" not in first_form[0]
    assert first_form[1]["eucontinue"] == "gov.clinicaltrials.|https|1"
    assert first_form[1]["continue"] == "-||"


def test_link_paging_stops_at_the_page_cap(fake, source_settings):
    counter = iter(range(1000))

    def handler(request, lang):
        if request.arg("euquery") == FIRST_FORM:
            return Reply.json(links(more=f"token-{next(counter)}"))
        return Reply.json(NO_LINKS if request.arg("list") == "exturlusage" else NO_HITS)

    fake.route("/{lang}/w/api.php", handler)
    find(source_settings)
    per_form = [sum(r.arg("euquery") == form.format(id=NCT) for r in fake.requests)
                for form in STUDY_URL_FORMS]
    assert per_form == [LINK_PAGES] + [1] * (len(STUDY_URL_FORMS) - 1)


def test_a_repeated_continuation_stops_paging(fake, source_settings):
    serve(fake, {form.format(id=NCT): links(more="same") for form in STUDY_URL_FORMS})
    find(source_settings)
    assert len(fake.requests) == 2 * len(STUDY_URL_FORMS) + 1


def test_search_follows_sroffset_up_to_the_cap(fake, source_settings):
    def handler(request, lang):
        if request.arg("list") == "exturlusage":
            return Reply.json(NO_LINKS)
        offset = int(request.arg("sroffset", "0"))
        return Reply.json({"continue": {"sroffset": offset + 50, "continue": "-||"},
                           "query": {"search": [{"ns": 0, "title": f"T{offset}",
                                                 "pageid": offset + 1}]}})

    fake.route("/{lang}/w/api.php", handler)
    mentions = find(source_settings)
    offsets = [r.arg("sroffset") for r in fake.requests if r.arg("list") == "search"]
    assert offsets == [None] + [str(50 * i) for i in range(1, SEARCH_PAGES)]
    assert [m.external_id for m in mentions] == [f"en:{50 * i + 1}" for i in range(SEARCH_PAGES)]
    assert all(m.extra == {"linked": False} and m.published_at is None for m in mentions)


def test_requests_go_out_one_at_a_time(fake, source_settings):
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def handler(request, lang):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return Reply.json(NO_LINKS if request.arg("list") == "exturlusage" else NO_HITS)

    fake.route("/{lang}/w/api.php", handler)
    find(source_settings)
    assert state["most"] == 1


def test_hostile_strings_become_plain_text_and_bad_links_are_not_repeated(fake, source_settings):
    rows = [{"pageid": 1, "ns": 0, "title": "<script>alert(1)</script>",
             "url": "javascript:alert(1)"},
            {"pageid": 2, "ns": 0, "title": "Data", "url": "data:text/html,<b>x</b>"},
            {"pageid": "x", "ns": 0, "title": "no id", "url": "https://clinicaltrials.gov/"},
            {"ns": 0, "title": "missing id"}, "not a row"]
    serve(fake, {f"clinicaltrials.gov/study/{NCT}": links(*rows)},
          {"query": {"search": [{"ns": 0, "title": "S", "pageid": 3, "timestamp": "soon",
                                 "snippet": "<script>alert(2)</script><b>bold</b> &lt;i&gt;"}]}})
    mentions = find(source_settings)
    assert [m.external_id for m in mentions] == ["en:1", "en:2", "en:3"]
    hostile = mentions[0]
    assert hostile.title is None  # a script holds no text for readers
    assert hostile.url == "https://en.wikipedia.org/wiki/%3Cscript%3Ealert(1)%3C/script%3E"
    # The page stays (its own address is ours); the unsafe link it holds is not shown.
    assert hostile.snippet is None and mentions[1].snippet is None
    assert mentions[2].snippet == "bold <i>"
    assert mentions[2].published_at is None


def test_no_pages_anywhere_gives_no_mentions(fake, source_settings):
    fake.route("/{lang}/w/api.php", Reply.json({"batchcomplete": True}))
    assert find(source_settings) == []


def test_maxlag_error_is_unavailable_with_retry_after(fake, source_settings):
    fake.route("/{lang}/w/api.php", Reply.json(
        {"error": {"code": "maxlag", "info": "Waiting for 10.64.48.35: 6 seconds lagged"}},
        headers={"Retry-After": "5", "X-Database-Lag": "6"}))
    with pytest.raises(UpstreamUnavailable) as caught:
        find(source_settings)
    assert caught.value.retry_after == 5
    assert caught.value.code == "upstream_unavailable"


def test_ratelimited_api_error_is_reported_as_rate_limiting(fake, source_settings):
    fake.route("/{lang}/w/api.php", Reply.json({"error": {"code": "ratelimited"}}))
    with pytest.raises(UpstreamUnavailable) as caught:
        find(source_settings)
    assert caught.value.code == "upstream_rate_limited"


def test_other_api_errors_are_upstream_errors_with_the_code_only(fake, source_settings):
    fake.route("/{lang}/w/api.php", Reply.json(
        {"error": {"code": "<b>badvalue</b>", "info": "Unrecognized value"}}))
    with pytest.raises(UpstreamError) as caught:
        find(source_settings)
    assert type(caught.value) is UpstreamError
    assert "(badvalue)" in caught.value.message and "<" not in caught.value.message


@pytest.mark.parametrize("reply, error, code", [
    (Reply(200, b"", {"Content-Type": "application/json"}), UpstreamBadResponse,
     "upstream_bad_response"),
    (Reply.json({"query": {"exturlusage": {"oops": 1}}}), UpstreamBadResponse,
     "upstream_bad_response"),
])
def test_answers_without_a_query_result_are_bad_responses(fake, source_settings, reply, error, code):
    fake.route("/{lang}/w/api.php", reply)
    with pytest.raises(error) as caught:
        find(source_settings)
    assert caught.value.code == code


