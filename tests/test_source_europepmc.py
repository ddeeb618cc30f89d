"""Europe PMC source: queries, parsing, cursor paging, de-duplication and failures."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources.europepmc import EuropePmc
from trialbuzz.errors import UpstreamBadResponse, UpstreamError

FIXTURES = Path(__file__).parent / "fixtures" / "europepmc"
TEXT_QUERY = '"NCT04280705"'
ACCESSION_QUERY = "ACCESSION_TYPE:nct AND ACCESSION_ID:NCT04280705"


def fixture(name):
    """A recorded-shape response body from tests/fixtures/europepmc."""
    return json.loads((FIXTURES / name).read_text())


def page(results, cursor="AoE_next", hits=None):
    """A lite search response carrying `results`."""
    body = {"version": "6.9", "nextCursorMark": cursor,
            "request": {"resultType": "lite", "pageSize": 1000},
            "resultList": {"result": results}}
    if hits is not None:
        body["hitCount"] = hits
    return body


def record(ident, source="MED", **fields):
    """One lite result."""
    return {"id": ident, "source": source, "pubYear": "2022", "title": f"Paper {ident}",
            **fields}


def serve(fake, pages):
    """Answer /search from `pages[(query, cursorMark)]`; anything else is an empty page."""
    def handler(request):
        key = (request.arg("query"), request.arg("cursorMark"))
        return Reply.json(pages.get(key, page([], cursor=key[1], hits=0)))
    fake.route("/search", handler)


def find(settings, nct_id="NCT04280705", **overrides):
    """Run the source once with optional setting overrides."""
    return EuropePmc(dict(settings, **overrides)).find(trial_record(nct_id))


def sent(fake):
    """(query, cursorMark) of every request, in order."""
    return [(r.arg("query"), r.arg("cursorMark")) for r in fake.requests]


def test_sends_both_queries_as_lite_json_pages_of_1000_from_the_first_cursor(fake,
                                                                          source_settings):
    serve(fake, {})
    find(source_settings)
    assert [r.path for r in fake.requests] == ["/search", "/search"]
    assert [r.query for r in fake.requests] == [
        {"query": [query], "format": ["json"], "resultType": ["lite"], "pageSize": ["1000"],
         "cursorMark": ["*"]}
        for query in (TEXT_QUERY, ACCESSION_QUERY)]


def test_parses_a_real_shaped_article_into_a_publication_mention(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): fixture("search-text.json")})
    mention = find(source_settings)[0]
    assert mention.source == "europepmc"
    assert mention.kind == "publication"
    assert mention.external_id == "MED:32445440"
    assert mention.url == "https://europepmc.org/article/MED/32445440"
    assert mention.title == "Remdesivir for the Treatment of Covid-19 - Final Report."
    assert mention.author.startswith("Beigel JH, Tomashek KM")
    assert mention.published_at == datetime(2020, 5, 22, tzinfo=timezone.utc)
    assert mention.snippet == "N Engl J Med, 2020"
    assert mention.extra == {"pmid": "32445440", "pmcid": "PMC7262788",
                             "doi": "10.1056/nejmoa2007764", "citations": 5321,
                             "pubtype": ["research support, n.i.h., extramural",
                                         "randomized controlled trial", "journal article"]}


def test_preprint_is_flagged_with_a_normalised_doi_and_markup_stripped(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): fixture("search-text.json")})
    preprint = find(source_settings)[1]
    assert preprint.external_id == "PPR:PPR229101"
    assert preprint.url == "https://europepmc.org/article/PPR/PPR229101"
    assert preprint.title == "Mortality outcomes with remdesivir in hospitalised adults"
    assert preprint.snippet == "Preprint, 2020"
    assert preprint.extra == {"doi": "10.1101/2020.10.15.20205823", "preprint": True,
                              "pubtype": ["preprint"],
                              "citations": 0}


def test_a_year_alone_gives_way_to_the_day_the_article_was_indexed(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): fixture("search-text.json")})
    review = find(source_settings)[2]
    assert review.external_id == "PMC:PMC8700120"
    assert review.published_at == datetime(2021, 12, 24, tzinfo=timezone.utc)
    assert review.author is None
    assert review.snippet == "Viruses, 2021"
    assert review.extra == {"pmcid": "PMC8700120", "citations": 12,
                            "pubtype": ["review-article"]}


@pytest.mark.parametrize("raw, doi", [
    ("10.1056/NEJMoa2007764", "10.1056/nejmoa2007764"),
    ("https://doi.org/10.1101/ABC.1", "10.1101/abc.1"),
    ("http://dx.doi.org/10.1101/ABC.2", "10.1101/abc.2"),
    ("doi:10.1101/ABC.3", "10.1101/abc.3"),
    ("  ", None),
])
def test_doi_is_lower_cased_without_resolver_prefix(fake, source_settings, raw, doi):
    serve(fake, {(TEXT_QUERY, "*"): page([record("1", doi=raw)], hits=1)})
    assert find(source_settings)[0].extra.get("doi") == doi


def test_record_without_source_and_id_is_named_and_linked_by_its_doi(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([
        {"title": "Orphan", "doi": "10.1000/XYZ(1)"}, {"title": "Nothing to name it by"}],
        hits=2)})
    [mention] = find(source_settings)
    assert mention.external_id == "DOI:10.1000/xyz(1)"
    assert mention.url == "https://doi.org/10.1000/xyz(1)"


def test_union_of_both_queries_keeps_one_mention_per_source_and_id(fake, source_settings):
    serve(fake, {
        (TEXT_QUERY, "*"): page([record("1"), record("2"), record("1")], hits=3),
        (ACCESSION_QUERY, "*"): page([record("2"), record("3"), record("1", source="PMC")],
                                     hits=3),
    })
    assert [m.external_id for m in find(source_settings)] == ["MED:1", "MED:2", "MED:3",
                                                              "PMC:1"]


def test_follows_next_cursor_until_an_empty_page(fake, source_settings):
    serve(fake, {
        (TEXT_QUERY, "*"): page([record("1")], cursor="c1"),
        (TEXT_QUERY, "c1"): page([record("2")], cursor="c2"),
        (TEXT_QUERY, "c2"): page([], cursor="c3"),
    })
    assert [m.external_id for m in find(source_settings)] == ["MED:1", "MED:2"]
    assert sent(fake) == [(TEXT_QUERY, "*"), (TEXT_QUERY, "c1"), (TEXT_QUERY, "c2"),
                          (ACCESSION_QUERY, "*")]


@pytest.mark.parametrize("last_cursor", ["c1", "*", None], ids=["same", "first", "missing"])
def test_stops_on_a_repeated_or_missing_cursor(fake, source_settings, last_cursor):
    serve(fake, {
        (TEXT_QUERY, "*"): page([record("1")], cursor="c1"),
        (TEXT_QUERY, "c1"): page([record("2")], cursor=last_cursor),
    })
    assert len(find(source_settings)) == 2
    assert sent(fake)[:3] == [(TEXT_QUERY, "*"), (TEXT_QUERY, "c1"), (ACCESSION_QUERY, "*")]


def test_stops_once_hit_count_is_reached_without_asking_for_an_empty_page(fake,
                                                                          source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([record("1"), record("2")], cursor="c1", hits=2)})
    assert len(find(source_settings)) == 2
    assert sent(fake) == [(TEXT_QUERY, "*"), (ACCESSION_QUERY, "*")]


def test_endless_cursors_stop_at_ten_pages_per_query(fake, source_settings):
    def handler(request):
        cursor = request.arg("cursorMark")
        step = 0 if cursor == "*" else int(cursor[1:]) + 1
        return Reply.json(page([record(f"{request.arg('query')[-1]}{step}")], cursor=f"c{step}"))
    fake.route("/search", handler)
    assert len(find(source_settings)) == 20
    assert fake.count("/search") == 20


def test_no_results_is_an_empty_list(fake, source_settings):
    serve(fake, {})
    assert find(source_settings) == []
    assert fake.count("/search") == 2


def test_hostile_title_becomes_plain_text_and_links_stay_on_europe_pmc(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([
        record("javascript:alert(1)", title="<script>alert(1)</script>",
               authorString="<img src=x onerror=alert(1)>Eve", journalTitle="<b>J</b>"),
        record("1", source='data:text/html,<svg onload=alert(1)>'),
    ], hits=2)})
    first, second = find(source_settings)
    assert first.title is None  # a script holds no text for readers
    assert first.author == "Eve"
    assert first.snippet == "J, 2022"
    assert first.url == "https://europepmc.org/article/MED/javascript%3Aalert%281%29"
    assert second.url == ("https://europepmc.org/article/"
                          "data%3Atext%2Fhtml%2C%3Csvg%20onload%3Dalert%281%29%3E/1")


def test_non_object_results_are_ignored(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page(["junk", None, record("1")], hits=3)})
    assert [m.external_id for m in find(source_settings)] == ["MED:1"]


@pytest.mark.parametrize("rates, expected", [
    ({}, "3 per 1 second"),
    ({"europepmc": "1/second"}, "1 per 1 second"),
])
def test_default_rate_is_three_a_second_unless_overridden(source_settings, rates, expected):
    source = EuropePmc(dict(source_settings, SOURCE_RATES=rates))
    assert str(source.upstream.rate.item) == expected


def test_400_is_upstream_error(fake, source_settings):
    fake.route("/search", Reply.json({"errCode": 400, "errMsg": "bad query"}, status=400))
    with pytest.raises(UpstreamError) as info:
        find(source_settings)
    assert info.value.code == "upstream_error"


@pytest.mark.parametrize("reply", [
    Reply(200, b"", {"Content-Type": "application/json"}),
    Reply.json({"resultList": {"result": "nope"}}),
    Reply.json({"resultList": ["nope"]}),
], ids=["empty-body", "result-not-a-list", "result-list-not-an-object"])
def test_bodies_that_are_not_search_results_are_bad_responses(fake, source_settings, reply):
    fake.route("/search", reply)
    with pytest.raises(UpstreamBadResponse):
        find(source_settings)




def test_an_issue_date_after_indexing_gives_way_to_the_index_date(fake, source_settings):
    # As in real answers: indexed in December, dated by the journal issue a year later.
    serve(fake, {(TEXT_QUERY, "*"): page([record("39709209", firstIndexDate="2024-12-22",
                                                  firstPublicationDate="2025-12-01",
                                                  pubYear="2025")], hits=1)})
    assert find(source_settings)[0].published_at == datetime(2024, 12, 22, tzinfo=timezone.utc)


def test_the_earliest_of_the_credible_dates_wins(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([record(
        "1", firstIndexDate="2024-03-10", firstPublicationDate="2024-05-01",
        electronicPublicationDate="2024-02-27", pubYear="2023",
        journalInfo={"printPublicationDate": "2024-05-01"})], hits=1)})
    assert find(source_settings)[0].published_at == datetime(2024, 2, 27, tzinfo=timezone.utc)


def test_a_paper_is_never_dated_in_the_future(fake, source_settings):
    from trialbuzz.clock import utcnow

    serve(fake, {(TEXT_QUERY, "*"): page([record("1", firstPublicationDate="2199-01-01",
                                                  pubYear="2199")], hits=1)})
    before = utcnow()
    published = find(source_settings)[0].published_at
    assert before <= published <= utcnow()


def test_errata_of_the_real_sample_are_notices(fake, source_settings):
    sample = Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples" / \
        "europepmc.json"
    if not sample.exists():
        pytest.skip("reference sample europepmc.json not available")
    body = json.loads(sample.read_text())
    body["nextCursorMark"] = "*"
    serve(fake, {(TEXT_QUERY, "*"): body})
    mentions = find(source_settings)
    notices = {m.external_id: m.extra.get("notice") for m in mentions if m.extra.get("notice")}
    assert notices == {"MED:39709208": "correction", "MED:40377773": "correction"}
    article = next(m for m in mentions if m.external_id == "MED:39709209")
    assert "notice" not in article.extra
    assert article.extra["pubtype"] == ["journal article"]
    # No answer dates a paper after Europe PMC indexed it.
    for mention, result in zip(mentions, body["resultList"]["result"]):
        assert mention.published_at.date().isoformat() <= result["firstIndexDate"]


def test_a_core_result_names_the_article_its_correction_is_for(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([record(
        "2", title="Correction to: Remdesivir for the Treatment of Covid-19.",
        pubTypeList={"pubType": ["Published Erratum", "Journal Article"]},
        commentCorrectionList={"commentCorrection": [
            {"id": "32445440", "source": "MED", "type": "Erratum for",
             "reference": "N Engl J Med. 2020;383(19):1813-1826"}]})], hits=1)})
    mention = find(source_settings)[0]
    assert mention.extra["notice"] == "correction"
    assert mention.extra["notice_for"] == {
        "pmid": "32445440", "title_key": "remdesivir for the treatment of covid 19"}


def test_a_retracted_paper_is_still_a_paper(fake, source_settings):
    serve(fake, {(TEXT_QUERY, "*"): page([record(
        "3", pubType="retracted publication; journal article")], hits=1)})
    assert "notice" not in find(source_settings)[0].extra
