"""OpenAlex source, opt-in with a key: the works search for the quoted ID, against a fake API;
its copy of a paper is one paper with the PubMed and Crossref copies."""

from datetime import datetime, timezone

import pytest

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention import sources
from trialbuzz.attention.score import summarize
from trialbuzz.attention.sources.openalex import MAX_PAGES, SELECT, OpenAlex
from trialbuzz.errors import (
    UpstreamError,
)

NCT = "NCT04280705"
ROUTE = "/openalex/works"
KEY = "k3y-of-the-operator"


def work(number, **fields):
    """A work as OpenAlex's /works answers it with SELECT."""
    return {
        "id": f"https://openalex.org/W30{number:08d}",
        "doi": f"https://doi.org/10.1000/OA.{number}",
        "title": f"Work {number} on remdesivir", "display_name": f"Work {number} on remdesivir",
        "publication_date": "2020-10-08",
        "primary_location": {
            "is_oa": True, "landing_page_url": f"https://journal.example/{number}",
            "pdf_url": None, "source": {"id": "https://openalex.org/S137773608",
                                        "display_name": "New England Journal of Medicine",
                                        "type": "journal"}},
        "ids": {"openalex": f"https://openalex.org/W30{number:08d}",
                "doi": f"https://doi.org/10.1000/OA.{number}",
                "pmid": f"https://pubmed.ncbi.nlm.nih.gov/3305{number:04d}",
                "pmcid": f"https://www.ncbi.nlm.nih.gov/pmc/articles/PMC72{number:05d}"},
        **fields}


def answer(results, cursor=None, count=None):
    """A /works list answer."""
    return {"meta": {"count": len(results) if count is None else count,
                     "db_response_time_ms": 20, "page": None, "per_page": 100,
                     "next_cursor": cursor, "groups_count": None},
            "results": results, "group_by": []}


@pytest.fixture
def settings(source_settings):
    return dict(source_settings, OPENALEX_KEY=KEY)


def find(settings, **overrides):
    return OpenAlex(dict(settings, **overrides)).find(trial_record(NCT))


def test_off_until_the_key_is_given(settings):
    assert not OpenAlex.available(dict(settings, OPENALEX_KEY=""))
    assert sources.status_of_idle(OpenAlex, dict(settings, OPENALEX_KEY="")) == \
        "not configured (needs TRIALBUZZ_OPENALEX_KEY)"
    assert "openalex" not in sources.enabled_ids(dict(settings, OPENALEX_KEY=""))
    assert OpenAlex.available(settings) and "openalex" in sources.enabled_ids(settings)


def test_searches_the_quoted_id_with_the_key_and_the_fields_it_reads(fake, settings):
    fake.route(ROUTE, Reply.json(answer([work(1)])))
    find(settings)
    [request] = fake.requests
    assert request.query == {"search": [f'"{NCT}"'], "per-page": ["100"], "cursor": ["*"],
                             "api_key": [KEY], "select": [SELECT]}


def test_a_work_becomes_a_publication_with_its_identifiers(fake, settings):
    fake.route(ROUTE, Reply.json(answer([work(1, title="Remdesivir <i>for</i> Covid-19")])))
    [mention] = find(settings)
    assert mention.source == "openalex" and mention.kind == "publication"
    assert mention.external_id == "W3000000001"
    assert mention.url == "https://doi.org/10.1000/oa.1"
    assert mention.title == "Remdesivir for Covid-19"
    assert mention.snippet == "New England Journal of Medicine"
    assert mention.published_at == datetime(2020, 10, 8, tzinfo=timezone.utc)
    assert mention.extra == {"openalex": "W3000000001", "doi": "10.1000/oa.1",
                             "pmid": "33050001", "pmcid": "PMC7200001"}


def test_bad_identifiers_and_missing_fields(fake, settings):
    fake.route(ROUTE, Reply.json(answer([
        work(1, doi="not a doi", ids={}, publication_date=None, primary_location=None,
             title=None),
        work(2, doi=None, ids={"doi": "https://doi.org/10.1000/from-ids", "pmid": "x"}),
        work(3, id="https://example.org/W1"),
        work(4, id=None),
        work(5, doi="javascript:alert(1)", ids={}, primary_location={
            "landing_page_url": "javascript:alert(1)", "source": None}),
        "not a work",
        work(1),
    ])))
    found = find(settings)
    first, second, fifth = found
    assert first.extra == {"openalex": "W3000000001"} and first.published_at is None
    assert first.url == "https://openalex.org/W3000000001"
    assert first.title == "Work 1 on remdesivir"     # display_name when the title is missing
    assert second.extra == {"openalex": "W3000000002", "doi": "10.1000/from-ids"}
    assert fifth.url == "https://openalex.org/W3000000005" and fifth.snippet is None
    assert found.skipped == 3


def test_pages_by_cursor_until_none_and_stops_at_the_cap(fake, settings):
    fake.route(ROUTE, [Reply.json(answer([work(1)], cursor="IlsxNjA5")),
                       Reply.json(answer([work(2)], cursor=None))])
    assert [m.external_id for m in find(settings)] == ["W3000000001", "W3000000002"]
    assert [r.arg("cursor") for r in fake.requests] == ["*", "IlsxNjA5"]
    fake.requests.clear()
    fake.route(ROUTE, lambda request: Reply.json(answer([work(len(fake.requests))],
                                                        cursor=f"c{len(fake.requests)}")))
    assert len(find(settings)) == MAX_PAGES and len(fake.requests) == MAX_PAGES
    fake.requests.clear()
    fake.route(ROUTE, Reply.json(answer([], cursor="more")))
    assert find(settings) == [] and len(fake.requests) == 1


@pytest.mark.parametrize("code", [401, 403])
def test_a_refused_key_says_so_without_showing_it(fake, settings, code):
    fake.route(ROUTE, Reply.json({"error": "Invalid API key", "message": KEY}, status=code))
    with pytest.raises(UpstreamError) as caught:
        find(settings)
    assert caught.value.code == "openalex_key"
    assert "TRIALBUZZ_OPENALEX_KEY" in caught.value.message and KEY not in caught.value.message


def test_openalex_crossref_and_pubmed_copies_of_one_paper_are_one_paper(fake, settings):
    fake.route(ROUTE, Reply.json(answer([work(1, doi="https://doi.org/10.1056/NEJMoa2007764",
                                              ids={"pmid": "https://pubmed.ncbi.nlm.nih.gov/"
                                                           "33052335"})])))
    [found] = find(settings)

    class Row:
        def __init__(self, row_id, source, extra):
            self.id, self.source, self.kind, self.extra = row_id, source, "publication", extra
            self.title = self.url = self.published_at = None

    rows = [Row(1, "openalex", found.extra), Row(2, "crossref", {"doi": "10.1056/nejmoa2007764"}),
            Row(3, "pubmed", {"pmid": "33052335"})]
    summary = summarize(rows, {}, datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert summary["publications"]["total"] == 1
    assert summary["duplicates"] == {1: 3, 2: 3}
    assert summary["papers"]["3"]["also_found_by"] == ["crossref", "openalex"]
