"""PubMed source: esearch/esummary parameters, parsing, paging, rates and failures."""

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.pubmed import PubMed, pubmed_date
from trialbuzz.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
TERM = "NCT04280705[si] OR NCT04280705[tiab]"
KEY = "k3y-0f-the-0perator"


def fixture(name):
    """A recorded-shape response body from tests/fixtures/pubmed."""
    return json.loads((FIXTURES / name).read_text())


def search_body(ids, count=None):
    """An esearch response listing `ids`."""
    return {"header": {"type": "esearch", "version": "0.3"},
            "esearchresult": {"count": str(len(ids) if count is None else count),
                              "retmax": str(len(ids)), "retstart": "0",
                              "idlist": list(ids), "translationset": []}}


def summary(pmid, **fields):
    """A minimal esummary record."""
    return {"uid": pmid, "title": f"Paper {pmid}", "source": "J Test",
            "sortpubdate": "2024/01/02 00:00", "authors": [], "pubtype": ["Journal Article"],
            "articleids": [{"idtype": "pubmed", "value": pmid}], **fields}


def serve_summaries(request):
    """esummary for whatever ids are asked, in the order asked."""
    ids = request.arg("id").split(",")
    return Reply.json({"header": {"type": "esummary", "version": "0.3"},
                       "result": {"uids": ids, **{pmid: summary(pmid) for pmid in ids}}})


def serve_range(count):
    """esearch over PMIDs 1..count, honouring retstart and retmax."""
    def handler(request):
        start, size = int(request.arg("retstart")), int(request.arg("retmax"))
        ids = [str(n) for n in range(start + 1, min(start + size, count) + 1)]
        return Reply.json(search_body(ids, count=count))
    return handler


def serve(fake, search, summaries=serve_summaries):
    """Route both E-utilities."""
    fake.route("/esearch.fcgi", search)
    fake.route("/esummary.fcgi", summaries)


def find(settings, **overrides):
    """Run the source once for NCT04280705 with optional setting overrides."""
    return PubMed(dict(settings, **overrides)).find(trial_record("NCT04280705"))


def calls(fake, path):
    """The requests made to one E-utility."""
    return [r for r in fake.requests if r.path == path]


def test_esearch_and_esummary_send_exact_parameters_with_tool_and_email(fake,
                                                                       source_settings):
    serve(fake, Reply.json(search_body(["2", "1"])))
    find(source_settings)
    [search], [summaries] = calls(fake, "/esearch.fcgi"), calls(fake, "/esummary.fcgi")
    assert search.query == {"db": ["pubmed"], "term": [TERM], "retmode": ["json"],
                            "retstart": ["0"], "retmax": ["1000"], "tool": ["trialbuzz"],
                            "email": ["tests@example.org"]}
    assert summaries.query == {"db": ["pubmed"], "id": ["2,1"], "retmode": ["json"],
                               "tool": ["trialbuzz"], "email": ["tests@example.org"]}


@pytest.mark.parametrize("contact, email", [
    ("", None), ("https://ops.example.org/", None), ("mailto:ops@example.org", "ops@example.org"),
])
def test_email_is_sent_only_when_contact_is_an_address(fake, source_settings, contact, email):
    serve(fake, Reply.json(search_body(["1"])))
    find(source_settings, CONTACT=contact)
    assert [r.arg("email") for r in fake.requests] == [email, email]


def test_api_key_goes_on_every_call_when_set(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])))
    find(source_settings, NCBI_API_KEY=KEY)
    assert [r.arg("api_key") for r in fake.requests] == [KEY, KEY]


def test_no_api_key_parameter_without_a_key(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])))
    find(source_settings)
    assert all("api_key" not in r.query for r in fake.requests)


@pytest.mark.parametrize("key, rates, expected", [
    ("", {}, "3 per 1 second"),
    (KEY, {}, "10 per 1 second"),
    (KEY, {"pubmed": "1/second"}, "1 per 1 second"),
    ("", {"*": "2/second"}, "2 per 1 second"),
])
def test_rate_is_three_a_second_ten_with_a_key_unless_source_rates_says(source_settings, key,
                                                                        rates, expected):
    source = PubMed(dict(source_settings, NCBI_API_KEY=key, SOURCE_RATES=rates))
    assert str(source.upstream.rate.item) == expected


def test_parses_real_shaped_summaries_in_search_order_skipping_errors(fake, source_settings):
    serve(fake, Reply.json(fixture("esearch.json")), Reply.json(fixture("esummary.json")))
    first, second = find(source_settings)
    assert first.source == "pubmed"
    assert first.kind == "publication"
    assert first.external_id == "33306283"
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/33306283/"
    assert first.title == "Baricitinib plus Remdesivir for Hospitalized Adults with Covid-19."
    assert first.author == "Kalil AC et al."
    # Online on 11 December 2020, the March issue came later.
    assert first.published_at == datetime(2020, 12, 11, tzinfo=timezone.utc)
    assert first.snippet == "The New England journal of medicine"
    assert first.extra == {"pmid": "33306283", "pmcid": "PMC7745180",
                           "doi": "10.1056/nejmoa2031994",
                           "pubtype": ["Clinical Trial, Phase III", "Journal Article",
                                       "Randomized Controlled Trial"]}
    assert second.external_id == "32445440"
    assert second.author == "Beigel JH"
    # Online on 8 October 2020, in the 5 November issue.
    assert second.published_at == datetime(2020, 10, 8, tzinfo=timezone.utc)
    assert second.snippet == "N Engl J Med"
    assert second.extra == {"pmid": "32445440", "doi": "10.1056/nejmoa2007764",
                            "pubtype": ["Journal Article"]}


@pytest.mark.parametrize("fields, author", [
    ({"sortfirstauthor": "Yang Y", "authors": [{"name": "Yang Y"}, {"name": "Liang L"}]},
     "Yang Y et al."),
    ({"sortfirstauthor": "", "authors": [{"name": "Yang Y"}, {"name": "Liang L"}]},
     "Yang Y et al."),
    ({"authors": [{"name": "Yang Y"}]}, "Yang Y"),
    ({"sortfirstauthor": "Yang Y"}, "Yang Y"),
    ({"authors": []}, None),
])
def test_author_is_the_first_one_with_et_al_when_more(fake, source_settings, fields, author):
    serve(fake, Reply.json(search_body(["1"])),
          Reply.json({"result": {"uids": ["1"], "1": summary("1", **fields)}}))
    assert find(source_settings)[0].author == author


@pytest.mark.parametrize("value, expected", [
    ("2025/07/11 00:00", datetime(2025, 7, 11)),
    ("2025/07/11", datetime(2025, 7, 11)),
    ("2025 Jul 11", datetime(2025, 7, 11)),
    ("2025 Jul", datetime(2025, 7, 1)),
    ("2025 Jul-Aug", datetime(2025, 7, 1)),
    ("2024 Winter", datetime(2024, 1, 1)),
    ("2025", datetime(2025, 1, 1)),
    ("", None),
    ("soon", None),
    (None, None),
])
def test_pubmed_dates_are_read_in_utc(value, expected):
    moment = pubmed_date(value)
    assert moment == (expected.replace(tzinfo=timezone.utc) if expected else None)


def test_publication_date_falls_back_from_sortpubdate_to_pubdate(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])), Reply.json(
        {"result": {"uids": ["1"], "1": summary("1", sortpubdate="", pubdate="2023 Mar")}}))
    assert find(source_settings)[0].published_at == datetime(2023, 3, 1, tzinfo=timezone.utc)


def test_pmcid_is_read_from_the_wrapped_form_when_the_bare_one_is_missing(fake,
                                                                          source_settings):
    ids = [{"idtype": "pmcid", "value": "pmc-id: PMC12240957;"}]
    serve(fake, Reply.json(search_body(["1"])),
          Reply.json({"result": {"uids": ["1"], "1": summary("1", articleids=ids)}}))
    assert find(source_settings)[0].extra["pmcid"] == "PMC12240957"


def test_pages_esearch_and_batches_esummary_by_500(fake, source_settings):
    serve(fake, serve_range(2500))
    mentions = find(source_settings)
    assert [m.external_id for m in mentions] == [str(n) for n in range(1, 2501)]
    searches = calls(fake, "/esearch.fcgi")
    assert [(r.arg("retstart"), r.arg("retmax")) for r in searches] == [
        ("0", "1000"), ("1000", "1000"), ("2000", "1000")]
    batches = [r.arg("id").split(",") for r in calls(fake, "/esummary.fcgi")]
    assert [len(batch) for batch in batches] == [500] * 5
    assert batches[0][:2] == ["1", "2"] and batches[-1][-1] == "2500"


def test_paging_stops_at_9999_records(fake, source_settings):
    serve(fake, serve_range(25000))
    assert len(find(source_settings)) == 9999
    searches = calls(fake, "/esearch.fcgi")
    assert len(searches) == 10
    assert (searches[-1].arg("retstart"), searches[-1].arg("retmax")) == ("9000", "999")
    assert len(calls(fake, "/esummary.fcgi")) == 20


def test_paging_stops_on_an_empty_id_list_even_when_count_says_more(fake, source_settings):
    serve(fake, [Reply.json(search_body(["1"], count=50)), Reply.json(search_body([], count=50))])
    assert len(find(source_settings)) == 1
    assert len(calls(fake, "/esearch.fcgi")) == 2


def test_repeated_pmids_across_pages_are_summarised_once(fake, source_settings):
    source = PubMed(source_settings)
    source.search_page = 2
    serve(fake, [Reply.json(search_body(["1", "2"], count=4)),
                 Reply.json(search_body(["2", "3"], count=4))])
    assert [m.external_id for m in source.find(trial_record())] == ["1", "2", "3"]
    assert calls(fake, "/esummary.fcgi")[0].arg("id") == "1,2,3"


def test_no_hits_makes_no_summary_call(fake, source_settings):
    serve(fake, Reply.json(search_body([])))
    assert find(source_settings) == []
    assert fake.count("/esummary.fcgi") == 0


def test_hostile_title_becomes_plain_text_and_non_numeric_ids_are_skipped(fake,
                                                                          source_settings):
    serve(fake, Reply.json(search_body(["javascript:alert(1)", "data:text/html,x", "7"])),
          Reply.json({"result": {"uids": ["7"], "7": summary(
              "7", title="<script>alert(1)</script>", fulljournalname="<b>J</b> &amp; K",
              pubtype=["<i>News</i>"])}}))
    [mention] = find(source_settings)
    assert calls(fake, "/esummary.fcgi")[0].arg("id") == "7"
    assert mention.title is None  # a script holds no text for readers
    assert mention.snippet == "J & K"
    assert mention.extra["pubtype"] == ["News"]
    assert mention.url == "https://pubmed.ncbi.nlm.nih.gov/7/"


def test_search_error_reported_in_a_200_is_upstream_error_without_the_key(fake,
                                                                          source_settings):
    serve(fake, Reply.json({"esearchresult": {"ERROR": f"Invalid query near {KEY}"}}))
    with pytest.raises(UpstreamError) as info:
        find(source_settings, NCBI_API_KEY=KEY)
    assert "Invalid query" in info.value.message and KEY not in info.value.message


def test_unknown_ids_only_yield_no_mentions(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])),
          Reply.json({"esummaryresult": ["Invalid uid 1 at position=0"]}))
    assert find(source_settings) == []


def test_a_slow_summary_call_times_out(fake, source_settings, route="/esummary.fcgi"):
    serve(fake, Reply.json(search_body(["1"])))
    fake.route(route, Reply.json({}, delay=1.0))
    with pytest.raises(UpstreamTimeout):
        find(source_settings, UPSTREAM_READ_TIMEOUT=0.2, UPSTREAM_RETRIES=0)


def test_persistent_500_is_upstream_unavailable_and_never_shows_the_key(fake, source_settings):
    serve(fake, Reply.text("Internal Server Error", 500))
    with pytest.raises(UpstreamUnavailable) as info:
        find(source_settings, UPSTREAM_RETRIES=1, NCBI_API_KEY=KEY)
    assert info.value.code == "upstream_unavailable"
    assert KEY not in str(info.value)
    assert fake.count("/esearch.fcgi") == 2


def test_429_waits_for_retry_after_then_succeeds(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])), [
        Reply.json({"error": "API rate limit exceeded"}, status=429,
                   headers={"Retry-After": "1"}),
        Reply.json({"result": {"uids": ["1"], "1": summary("1")}})])
    started = time.monotonic()
    assert [m.external_id for m in find(source_settings)] == ["1"]
    assert time.monotonic() - started >= 0.9
    assert fake.count("/esummary.fcgi") == 2


def test_long_retry_after_gives_up_at_once_as_upstream_rate_limited(fake, source_settings):
    serve(fake, Reply.json({"error": "API rate limit exceeded"}, status=429,
                           headers={"Retry-After": "600"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as info:
        find(source_settings, NCBI_API_KEY=KEY)
    assert time.monotonic() - started < 2
    assert info.value.code == "upstream_rate_limited"
    assert info.value.retry_after == 600
    assert KEY not in str(info.value)


@pytest.mark.parametrize("route", ["/esearch.fcgi", "/esummary.fcgi"])
@pytest.mark.parametrize("reply", [
    Reply.text("<html><body>NCBI is down for maintenance</body></html>",
               content_type="text/html"),
    Reply(200, b'{"esearchresult": {"idlist": [', {"Content-Type": "application/json"}),
    Reply(200, b"", {"Content-Type": "application/json"}),
    Reply.json(["not", "an", "answer"]),
    Reply.json({"header": {"type": "esearch"}}),
], ids=["html", "malformed-json", "empty-body", "json-list", "no-result"])
def test_bodies_that_are_not_answers_are_bad_responses(fake, source_settings, route, reply):
    serve(fake, Reply.json(search_body(["1"])))
    fake.route(route, reply)
    with pytest.raises(UpstreamBadResponse):
        find(source_settings)




def test_a_later_issue_date_gives_way_to_the_online_date(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])), Reply.json({"result": {"uids": ["1"], "1": summary(
        "1", pubdate="2025", epubdate="2025 Jun 26", sortpubdate="2025/06/26 00:00",
        history=[{"pubstatus": "entrez", "date": "2025/07/11 05:21"}])}}))
    assert find(source_settings)[0].published_at == datetime(2025, 6, 26, tzinfo=timezone.utc)


def test_a_paper_is_never_dated_after_pubmed_indexed_it(fake, source_settings):
    serve(fake, Reply.json(search_body(["1"])), Reply.json({"result": {"uids": ["1"], "1": summary(
        "1", pubdate="2026 Jan", epubdate="", sortpubdate="2026/01/01 00:00",
        history=[{"pubstatus": "pubmed", "date": "2025/11/03 06:00"},
                 {"pubstatus": "entrez", "date": "2025/11/02 10:00"}])}}))
    assert find(source_settings)[0].published_at == datetime(2025, 11, 2, 10, 0,
                                                             tzinfo=timezone.utc)


def test_an_erratum_is_a_notice_naming_its_article(fake, source_settings):
    serve(fake, Reply.json(search_body(["2"])), Reply.json({"result": {"uids": ["2"], "2": summary(
        "2", title="Erratum: Remdesivir for the Treatment of Covid-19 - Final Report.",
        pubtype=["Published Erratum"],
        references=[{"refsource": "N Engl J Med. 2020 Nov 5;383(19):1813-1826",
                     "reftype": "Erratum for", "pmid": 32445440, "note": ""}])}}))
    mention = find(source_settings)[0]
    assert mention.extra["notice"] == "correction"
    assert mention.extra["notice_for"]["pmid"] == "32445440"


@pytest.mark.parametrize("pubtypes, title, notice", [
    (["Retraction of Publication"], "Retraction notice to: A trial", "retraction"),
    (["Expression of Concern"], "A trial", "expression_of_concern"),
    (["Journal Article"], "Correction to: A trial", "correction"),
    (["Retracted Publication", "Journal Article"], "A trial", None),
    (["Journal Article"], "Corrections in surgery: a randomised trial", None),
])
def test_notices_are_told_apart_from_papers(fake, source_settings, pubtypes, title, notice):
    serve(fake, Reply.json(search_body(["3"])), Reply.json({"result": {"uids": ["3"], "3": summary(
        "3", title=title, pubtype=pubtypes)}}))
    assert find(source_settings)[0].extra.get("notice") == notice
