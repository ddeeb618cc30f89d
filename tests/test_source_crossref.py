"""Crossref source: works declaring the trial's number, by trial and swept by index day; one
paper found by Crossref and by PubMed is one paper."""

from datetime import datetime, timezone

import pytest
from limits import parse as parse_rate

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.score import summarize
from trialbuzz.attention.sources import crossref as crossref_source
from trialbuzz.attention.sources.crossref import Crossref
from trialbuzz.errors import UpstreamBadResponse, UpstreamError
from upstreams import crossref_list, crossref_work

NCT = "NCT04280705"
ROUTE = "/crossref/works"


def find(settings, nct_id=NCT):
    return Crossref(settings).find(trial_record(nct_id))


def pages(*pages_of_items):
    """Replies of successive cursor pages; cursor i leads to page i + 1."""
    def handler(request):
        cursor = request.arg("cursor")
        index = 0 if cursor == "*" else int(cursor.removeprefix("c")) + 1
        items = pages_of_items[index] if index < len(pages_of_items) else []
        return Reply.json(crossref_list(items, cursor=f"c{index}"))
    return handler


def test_pace_stays_well_under_the_polite_pool():
    limit = parse_rate(Crossref.rate)
    assert limit.amount / limit.get_expiry() <= 5


def test_asks_for_the_trials_number_in_the_polite_pool(fake, source_settings):
    fake.route(ROUTE, Reply.json(crossref_list([crossref_work("10.1000/A1", NCT)])))
    find(source_settings)
    [request] = fake.requests
    assert request.path == ROUTE
    assert request.query == {"filter": [f"clinical-trial-number:{NCT}"], "cursor": ["*"],
                             "rows": ["1000"], "mailto": ["tests@example.org"]}


@pytest.mark.parametrize("contact", ["", "https://example.org/about", "mailto:"])
def test_without_an_email_address_no_mailto_is_sent(fake, source_settings, contact):
    fake.route(ROUTE, Reply.json(crossref_list([])))
    find(dict(source_settings, CONTACT=contact))
    assert "mailto" not in fake.requests[0].query


def test_a_work_becomes_a_publication_with_its_doi(fake, source_settings):
    fake.route(ROUTE, Reply.json(crossref_list([crossref_work(
        "10.1056/NEJMoa2007764", NCT, title=["Remdesivir <i>for</i> Covid-19"],
        **{"container-title": ["N Engl J Med", "NEJM"]})])))
    [mention] = find(source_settings)
    assert mention.source == "crossref" and mention.kind == "publication"
    assert mention.external_id == "10.1056/nejmoa2007764"
    assert mention.url == "https://doi.org/10.1056/nejmoa2007764"
    assert mention.extra == {"doi": "10.1056/nejmoa2007764", "type": "journal-article"}
    assert mention.title == "Remdesivir for Covid-19"
    assert mention.snippet == "N Engl J Med"
    assert mention.author == "Beigel JH et al."
    # Online before print: the earlier date, to the day.
    assert mention.published_at == datetime(2020, 10, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("fields, expected", [
    ({"published-online": None, "published-print": None,
      "issued": {"date-parts": [[2021, 3]]}}, datetime(2021, 3, 1, tzinfo=timezone.utc)),
    ({"published-online": None, "published-print": None,
      "issued": {"date-parts": [[None]]}}, None),
    ({"published-online": {"date-parts": [[2021, 13, 40]]}, "published-print": None,
      "issued": {"date-parts": [["2021"]]}}, None),
    ({"published-online": None, "published-print": None, "issued": None}, None),
])
def test_partial_or_missing_dates(fake, source_settings, fields, expected):
    work = crossref_work("10.1000/d", NCT)
    work.update(fields)
    work = {key: value for key, value in work.items() if value is not None}
    fake.route(ROUTE, Reply.json(crossref_list([work])))
    [mention] = find(source_settings)
    assert mention.published_at == expected


def test_a_posted_preprint_is_marked_as_one(fake, source_settings):
    fake.route(ROUTE, Reply.json(crossref_list([crossref_work(
        "10.1101/2020.05.01.1", NCT, type="posted-content", subtype="preprint")])))
    [mention] = find(source_settings)
    assert mention.extra["preprint"] is True


def test_works_without_the_trial_or_a_usable_doi_are_skipped(fake, source_settings):
    other_registry = crossref_work("10.1000/isrctn", "ISRCTN12345678")
    other_registry["clinical-trial-number"][0]["registry"] = "10.18810/isrctn"
    fake.route(ROUTE, Reply.json(crossref_list([
        crossref_work("10.1000/good", f"  {NCT.lower()} ", "NCT01234567"),
        crossref_work("10.1000/other", "NCT01234567"),
        other_registry,
        crossref_work("not-a-doi", NCT),
        crossref_work("", NCT),
        crossref_work("javascript:alert(1)", NCT),
        {**crossref_work("10.1000/none", NCT), "DOI": None},
        {**crossref_work("10.1000/x", NCT), "clinical-trial-number": "NCT04280705"},
        "not a work",
        crossref_work("10.1000/GOOD", NCT),
    ])))
    found = find(source_settings)
    assert [m.external_id for m in found] == ["10.1000/good"]
    assert found.skipped == 8


def test_pages_by_cursor_until_a_short_page(fake, source_settings, monkeypatch):
    monkeypatch.setattr(crossref_source, "ROWS", 2)
    fake.route(ROUTE, pages(
        [crossref_work("10.1000/1", NCT), crossref_work("10.1000/2", NCT)],
        [crossref_work("10.1000/3", NCT), crossref_work("10.1000/4", NCT)],
        [crossref_work("10.1000/5", NCT)]))
    assert [m.external_id for m in find(source_settings)] == [f"10.1000/{n}" for n in range(1, 6)]
    assert [r.arg("cursor") for r in fake.requests] == ["*", "c0", "c1"]


def test_paging_stops_at_the_cap(fake, source_settings, monkeypatch):
    monkeypatch.setattr(crossref_source, "ROWS", 1)
    fake.route(ROUTE, lambda request: Reply.json(crossref_list(
        [crossref_work(f"10.1000/{len(fake.requests)}", NCT)], cursor=f"c{len(fake.requests)}")))
    assert len(find(source_settings)) == crossref_source.MAX_PAGES
    assert len(fake.requests) == crossref_source.MAX_PAGES


@pytest.mark.parametrize("body", [
    {"status": "ok", "message": {"items": None}},
    {"status": "failed", "message-type": "validation-failure",
     "message": [{"type": "filter-not-available", "message": "no such filter"}]},
    {"status": "ok"},
])
def test_answers_without_a_list_of_works_are_bad_responses(fake, source_settings, body):
    fake.route(ROUTE, Reply.json(body))
    with pytest.raises(UpstreamBadResponse):
        find(source_settings)


def test_crossref_and_pubmed_copies_of_one_paper_are_one_paper(fake, source_settings):
    """The DOI joins them, whatever its case, and the PubMed copy is the one listed."""
    fake.route(ROUTE, Reply.json(crossref_list([
        crossref_work("10.1056/NEJMoa2007764", NCT), crossref_work("10.1000/only-here", NCT)])))
    found = find(source_settings)

    class Row:
        def __init__(self, row_id, mention):
            self.id, self.source, self.kind = row_id, mention.source, mention.kind
            self.extra, self.title, self.url = mention.extra, mention.title, mention.url
            self.published_at = mention.published_at

    class PubMedCopy:
        id, source, kind, published_at = 1, "pubmed", "publication", None
        extra = {"pmid": "33052335", "doi": "10.1056/NEJMoa2007764"}
        title, url = "Remdesivir for the Treatment of Covid-19", None

    class EuropePmcCopy(PubMedCopy):
        id, source = 2, "europepmc"
        extra = {"pmid": "33052335", "pmcid": "PMC7262788"}

    rows = [PubMedCopy(), EuropePmcCopy(), Row(3, found[0]), Row(4, found[1])]
    summary = summarize(rows, {"publication": 0}, datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert summary["publications"]["total"] == 2
    assert summary["duplicates"] == {2: 1, 3: 1}
    assert summary["papers"]["1"]["also_found_by"] == ["crossref", "europepmc"]


def test_the_sweep_asks_each_index_day_and_files_works_under_every_id(fake, source_settings,
                                                                      monkeypatch):
    monkeypatch.setattr(crossref_source, "ROWS", 2)
    days = {
        "2026-12-01": [[crossref_work("10.1000/a", NCT, "NCT01234567"),
                        crossref_work("10.1000/b", "ISRCTN12345678")],
                       [crossref_work("BAD", NCT)]],
        "2026-12-02": [[]],
        "2026-12-03": [[crossref_work("10.1000/c", "nct01234567 ")]],
    }

    def handler(request):
        filters = dict(part.split(":", 1) for part in request.arg("filter").split(","))
        assert filters["has-clinical-trial-number"] == "true"
        assert filters["from-index-date"] == filters["until-index-date"]
        day_pages = days[filters["from-index-date"]]
        cursor = request.arg("cursor")
        index = 0 if cursor == "*" else int(cursor) + 1
        return Reply.json(crossref_list(day_pages[index], cursor=str(index)))

    fake.route(ROUTE, handler)
    run = {"since": "2026-12-01T10:00:00+00:00", "until": "2026-12-03T08:00:00+00:00"}
    swept = list(Crossref(source_settings).sweep_pages("", run))
    assert [page.run.get("done", False) for page in swept] == [False] * 3 + [True]
    found = [(ids, mention.external_id) for page in swept for ids, mention in page.found]
    assert found == [([NCT, "NCT01234567"], "10.1000/a"), (["NCT01234567"], "10.1000/c")]
    assert sum(page.skipped for page in swept) == 2
    asked = [(dict(p.split(":", 1) for p in r.arg("filter").split(","))["from-index-date"],
              r.arg("cursor"), r.arg("mailto")) for r in fake.requests]
    assert asked == [("2026-12-01", "*", "tests@example.org"),
                     ("2026-12-01", "0", "tests@example.org"),
                     ("2026-12-02", "*", "tests@example.org"),
                     ("2026-12-03", "*", "tests@example.org")]


def test_a_stopped_sweep_resumes_at_its_day_and_cursor(fake, source_settings, monkeypatch):
    monkeypatch.setattr(crossref_source, "ROWS", 1)
    fake.route(ROUTE, Reply.json(crossref_list([], cursor="next")))
    run = {"since": "2026-12-01T00:00:00+00:00", "until": "2026-12-02T00:00:00+00:00",
           "day": "2026-12-02", "cursor": "AoJ+xyz"}
    [page] = list(Crossref(source_settings).sweep_pages("", run))
    assert page.run["done"] is True
    [request] = fake.requests
    assert request.arg("cursor") == "AoJ+xyz"
    assert "from-index-date:2026-12-02" in request.arg("filter")


def test_a_crossmark_correction_is_a_notice_attached_to_the_paper_it_updates(fake,
                                                                            source_settings):
    fake.route(ROUTE, Reply.json(crossref_list([
        crossref_work("10.1056/NEJMoa2007764", NCT),
        crossref_work("10.1056/NEJMx200017", NCT, title=["Correction: Remdesivir for Covid-19"],
                      **{"update-to": [{"DOI": "10.1056/NEJMoa2007764", "type": "correction",
                                        "label": "Correction", "updated": {
                                            "date-parts": [[2020, 12, 1]]}}]}),
        crossref_work("10.1000/retraction", NCT, title=["Retraction note to: A trial"]),
        crossref_work("10.1000/new-version", NCT, **{"update-to": [
            {"DOI": "10.1000/old", "type": "new_version"}]}),
    ])))
    paper, correction, retraction, version = find(source_settings)
    assert "notice" not in paper.extra and "notice" not in version.extra
    assert correction.extra["notice"] == "correction"
    assert correction.extra["notice_for"]["doi"] == "10.1056/nejmoa2007764"
    assert retraction.extra["notice"] == "retraction"
    assert retraction.extra["notice_for"] == {"title_key": "a trial"}

    class Row:
        def __init__(self, row_id, mention):
            self.id, self.source, self.kind = row_id, mention.source, mention.kind
            self.extra, self.title, self.url = mention.extra, mention.title, mention.url
            self.published_at = mention.published_at

    summary = summarize([Row(1, paper), Row(2, correction)], {},
                        datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert summary["publications"] == {"total": 1, "results": 0, "preprints": 0, "notices": 1}
    assert summary["papers"]["1"]["notices"] == [
        {"type": "correction", "title": "Correction: Remdesivir for Covid-19",
         "url": "https://doi.org/10.1056/nejmx200017"}]


def test_a_resumed_sweep_with_an_expired_cursor_asks_its_day_again(fake, source_settings):
    def handler(request):
        if request.arg("cursor") == "stale":
            return Reply.text("Resource not found.", 404)
        return Reply.json(crossref_list([crossref_work("10.1000/a", NCT)], cursor="next"))

    fake.route(ROUTE, handler)
    run = {"since": "2026-12-01T00:00:00+00:00", "until": "2026-12-01T12:00:00+00:00",
           "day": "2026-12-01", "cursor": "stale"}
    [page] = list(Crossref(source_settings).sweep_pages("", run))
    assert page.run["done"] is True and [m.external_id for _, m in page.found] == ["10.1000/a"]
    assert [r.arg("cursor") for r in fake.requests] == ["stale", "*"]


def test_a_day_whose_fresh_cursor_is_refused_too_fails_the_run(fake, source_settings,
                                                               monkeypatch):
    monkeypatch.setattr(crossref_source, "ROWS", 1)
    fake.route(ROUTE, lambda request: Reply.text("Resource not found.", 404)
               if request.arg("cursor") != "*" else Reply.json(
                   crossref_list([crossref_work(f"10.1000/{len(fake.requests)}", NCT)],
                                 cursor="c")))
    run = {"since": "2026-12-01T00:00:00+00:00", "until": "2026-12-01T12:00:00+00:00",
           "day": "2026-12-01", "cursor": "stale"}
    with pytest.raises(UpstreamError):
        list(Crossref(source_settings).sweep_pages("", run))
    assert [r.arg("cursor") for r in fake.requests] == ["stale", "*", "c"]
