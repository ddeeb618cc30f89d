"""What every source shares: one unreadable item is skipped and counted, the good ones kept;
links, dates and numbers from upstreams are checked before anything stores or shows them."""

import math
from datetime import datetime, timezone

import pytest

from fakeupstream import Reply
from records import study, trial_record
from trialbuzz.attention.sources import base
from trialbuzz.attention.sources.altmetric import Altmetric
from trialbuzz.attention.sources.base import Mention, parse_datetime, safe_url
from trialbuzz.attention.sources.ctgov import CtGovReferences
from trialbuzz.attention.sources.europepmc import EuropePmc
from trialbuzz.attention.sources.gdelt import Gdelt
from trialbuzz.attention.sources.hackernews import HackerNews
from trialbuzz.attention.sources.pubmed import PubMed
from trialbuzz.attention.sources.wikipedia import Wikipedia
from trialbuzz.registry.ctgov import parse_study
from trialbuzz.registry.trials import TrialRecord

NCT = "NCT04280705"
GOOD_DATE = "2026-11-01T10:00:00Z"
# Values that once made a source lose everything it found: each sits in an item of its own.
HOSTILE_VALUES = [12345, {"a": 1}, ["x"], "\ud800", "x\ud800y", math.inf, math.nan, True,
                  "http://[x/", "https://a.example:99999/", "9999-12-31T23:59:59-05:00",
                  "0000-01-01", "0001-01-01T00:00:00+01:00", 1e20, -1e20, "<" * 5000]
# Items that cannot be read at all: not an object, or without a usable identity.
UNREADABLE = [5, "text", None, ["list"], {}]


def _trial(references, see_also=()):
    """A TrialRecord whose registry record lists these references and links as given."""
    record = parse_study(study(NCT))
    record["references"] = list(references)
    record["see_also"] = list(see_also)
    return TrialRecord(NCT, record, datetime(2026, 11, 23, tzinfo=timezone.utc), None, NCT)


def run_ctgov(settings, fake, good, hostile, unreadable):
    refs = [{"type": "RESULT", "pmid": "1", "citation": good}]
    refs += [{"type": "RESULT", "pmid": str(10 + n), "citation": value}
             for n, value in enumerate(hostile)]
    links = [{"label": "bad", "url": "http://[x/"}]
    # A reference that is an object but no results paper is simply not attention.
    skipped = sum(not isinstance(item, dict) for item in unreadable) + len(links)
    return CtGovReferences(settings).find(_trial(refs + unreadable, links)), "1", skipped


def run_europepmc(settings, fake, good, hostile, unreadable):
    results = [{"id": "1", "source": "MED", "title": good, "firstPublicationDate": "2026-11-01"}]
    results += [{"id": str(10 + n), "source": "MED", "title": value, "authorString": value,
                 "firstPublicationDate": value, "pubYear": value, "citedByCount": value,
                 "doi": value, "journalTitle": value} for n, value in enumerate(hostile)]

    def answer(request):
        if request.arg("cursorMark", "*") != "*" or "ACCESSION" in request.arg("query"):
            return Reply.json({"hitCount": 0, "resultList": {"result": []}})
        return Reply.json({"hitCount": len(results) + len(unreadable), "nextCursorMark": "x",
                           "resultList": {"result": results + unreadable}})
    fake.route("/search", answer)
    return EuropePmc(settings).find(trial_record(NCT)), "MED:1", len(unreadable)


def run_pubmed(settings, fake, good, hostile, unreadable):
    summaries = {"1": {"title": good, "sortpubdate": "2026/11/01 00:00"}}
    summaries.update({str(10 + n): {"title": value, "sortpubdate": value, "pubdate": value,
                                    "authors": value, "sortfirstauthor": value,
                                    "fulljournalname": value, "articleids": value,
                                    "pubtype": value}
                      for n, value in enumerate(hostile)})
    # An empty summary still names its PMID; a null one is no record at all.
    unreadable = [value for value in unreadable if value is not None and value != {}]
    summaries.update({str(100 + n): value for n, value in enumerate(unreadable)})
    summaries["200"] = {"error": "cannot get document summary"}
    ids = list(summaries)
    fake.route("/esearch.fcgi", Reply.json({"esearchresult": {"count": str(len(ids)),
                                                              "idlist": ids}}))
    fake.route("/esummary.fcgi", Reply.json({"result": {"uids": ids, **summaries}}))
    return PubMed(settings).find(trial_record(NCT)), "1", len(unreadable) + 1


def run_hackernews(settings, fake, good, hostile, unreadable):
    hits = [{"objectID": "1", "title": good, "created_at_i": 1795168800}]
    hits += [{"objectID": str(10 + n), "title": value, "author": value, "created_at_i": value,
              "created_at": value, "url": value, "comment_text": value, "points": value,
              "_tags": value} for n, value in enumerate(hostile)]

    def answer(request):
        found = [] if "restrictSearchableAttributes" in request.query else hits + unreadable
        return Reply.json({"hits": found, "nbPages": 1})
    fake.route("/search", answer)
    return HackerNews(settings).find(trial_record(NCT)), "1", len(unreadable)


def run_gdelt(settings, fake, good, hostile, unreadable):
    articles = [{"url": "https://news.example.org/1", "title": good,
                 "seendate": "20261101T100000Z"}]
    articles += [{"url": f"https://news.example.org/{10 + n}", "title": value,
                  "seendate": value, "domain": value, "language": value,
                  "sourcecountry": value} for n, value in enumerate(hostile)]
    articles += [{"url": "http://[x/"}]
    fake.route("/gdelt", Reply.json({"articles": articles + unreadable}))
    found = Gdelt(dict(settings, GDELT_URL=fake.url + "/gdelt")).find(trial_record(NCT))
    return found, "https://news.example.org/1", len(unreadable) + 1


def run_wikipedia(settings, fake, good, hostile, unreadable):
    hits = [{"pageid": 1, "title": good, "timestamp": GOOD_DATE}]
    hits += [{"pageid": 10 + n, "title": value, "snippet": value, "timestamp": value}
             for n, value in enumerate(hostile)]

    def answer(request, lang):
        if request.arg("list") == "search":
            return Reply.json({"query": {"search": hits + unreadable}})
        return Reply.json({"query": {"exturlusage": []}})
    fake.route("/{lang}/w/api.php", answer)
    return Wikipedia(settings).find(trial_record(NCT)), "en:1", len(unreadable)


ADAPTERS = [run_ctgov, run_europepmc, run_pubmed, run_hackernews, run_gdelt, run_wikipedia]


@pytest.mark.parametrize("run", ADAPTERS, ids=lambda run: run.__name__[4:])
def test_hostile_items_beside_a_good_one_are_skipped_or_emptied_never_fatal(
        run, fake, source_settings):
    found, good_id, unreadable = run(source_settings, fake, "Good title", HOSTILE_VALUES,
                                     UNREADABLE)
    by_id = {m.external_id: m for m in found}
    assert by_id[good_id].title == "Good title"
    # Items with an identity are kept, the hostile field left empty; the others are counted.
    assert len(found) == 1 + len(HOSTILE_VALUES)
    assert found.skipped == unreadable
    for mention in found:
        kept = base.storable(mention)
        assert kept is not None
        assert kept == mention, "an adapter left a field the store would have to fix"


@pytest.mark.parametrize("run", ADAPTERS, ids=lambda run: run.__name__[4:])
def test_adapters_leave_no_value_a_view_or_the_store_cannot_take(run, fake, source_settings):
    found, _, _ = run(source_settings, fake, "Good title", HOSTILE_VALUES, UNREADABLE)
    for mention in found:
        for text in (mention.title, mention.author, mention.snippet, mention.language):
            assert text is None or isinstance(text, str)
            if text:
                text.encode("utf-8")            # no lone surrogate
        assert mention.url is None or safe_url(mention.url) == mention.url
        assert mention.published_at is None or 1800 <= mention.published_at.year < 2200


def test_altmetric_summary_keeps_only_finite_scores_and_whole_counts(fake, source_settings):
    fake.route("/nct_id/{nct_id}", Reply(200, '{"score": 1e999, "cited_by_msm_count": "9' +
                                         "9" * 5000 + '", "cited_by_tweeters_count": true, '
                                         '"cited_by_feeds_count": -3, "cited_by_posts_count":'
                                         ' "7", "altmetric_id": {"deep": [1]},'
                                         ' "details_url": "http://[x/"}',
                                         {"Content-Type": "application/json"}))
    summary = Altmetric(dict(source_settings, ALTMETRIC_KEY="k")).summary(trial_record(NCT))
    assert summary["score"] is None
    assert summary["counts"] == {"posts": 7}
    assert summary["altmetric_id"] is None and summary["details_url"] is None


@pytest.mark.parametrize("value", ["http://[x/", "https://[::1", "https://a.example:99999/",
                                   "https://a.example:port/", "https://a.example/\ud800",
                                   "https://a.example/\x00", "http:///path", "https://",
                                   "https://a.example/" + "x" * 9000])
def test_safe_url_refuses_links_that_do_not_parse(value):
    assert safe_url(value) is None


@pytest.mark.parametrize("value", ["9999-12-31", "9999-12-31T23:59:59-05:00", "0000-01-01",
                                   "0001-01-01T00:00:00+01:00", "0", 1e20, -1e20, math.inf,
                                   math.nan, True, {"year": 2020}, ["2020"], "\ud800"])
def test_implausible_or_unreadable_dates_are_left_empty(value):
    assert parse_datetime(value) is None


def test_storable_cleans_each_field_and_refuses_a_mention_without_identity():
    mention = Mention(source="hackernews", kind="forum", external_id="1",
                      url="http://[x/", title="a\ud800b", author="\x01me",
                      published_at=datetime(9999, 12, 31, 23, tzinfo=timezone.utc),
                      extra={"score": math.inf, "nested": [{"a": math.nan}]})
    kept = base.storable(mention)
    assert (kept.url, kept.title, kept.author, kept.published_at) == (
        None, "a\ufffdb", "me", None)
    assert kept.extra == {}
    assert base.storable(Mention(source="x", kind="news", external_id={"a": 1}, url=None)) is None
