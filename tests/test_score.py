"""Scoring: weights, flat Wikipedia, rounding up, history windows, publication de-duplication."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from trialbuzz.attention.score import score_of, summarize
from trialbuzz.settings import DEFAULTS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
WEIGHTS = DEFAULTS["SCORE_WEIGHTS"]


@dataclass
class M:
    """The stored-mention fields scoring reads."""

    id: int
    source: str
    kind: str
    published_at: datetime | None = None
    extra: dict = field(default_factory=dict)
    title: str | None = None
    url: str | None = None


@pytest.mark.parametrize("kinds, expected", [
    ([], 0),
    (["news"], 8),
    (["news", "blog", "policy"], 16),
    (["wikipedia"], 3),
    (["wikipedia"] * 5, 3),
    (["social"] * 3, 3),
    (["forum"], 1),
    (["video"], 1),              # 0.25 rounds up to 1
    (["video"] * 4, 1),          # exactly 1.0, no float noise
    (["video"] * 5, 2),
    (["publication"] * 10, 0),
    (["link"], 0),
])
def test_score_weights_and_rounding(kinds, expected):
    mentions = [M(i, "x", kind) for i, kind in enumerate(kinds)]
    assert score_of(mentions, WEIGHTS) == expected


def test_forum_comment_weighs_a_quarter_of_a_story():
    story = M(1, "hackernews", "forum")
    comments = [M(i, "hackernews", "forum", extra={"comment": True}) for i in range(2, 6)]
    assert score_of([story, *comments], WEIGHTS) == 2


def test_weights_can_be_changed_in_settings():
    assert score_of([M(1, "gdelt", "news")], {**WEIGHTS, "news": 2.5}) == 3


def test_history_windows_count_mentions_by_date():
    mentions = [
        M(1, "gdelt", "news", NOW - timedelta(hours=5)),
        M(2, "gdelt", "news", NOW - timedelta(days=3, hours=1)),
        M(3, "hackernews", "forum", NOW - timedelta(days=20)),
        M(4, "hackernews", "forum", NOW - timedelta(days=400)),
        M(5, "wikipedia", "wikipedia", None),
    ]
    history = summarize(mentions, WEIGHTS, NOW)["history"]
    assert history["1d"] == 8
    assert history["3d"] == 8 and history["4d"] == 16
    assert history["1w"] == 16 and history["1m"] == 17
    assert history["1y"] == 17
    assert history["at"] == 21          # the undated Wikipedia page counts only in "at"
    assert list(history) == ["1d", "2d", "3d", "4d", "5d", "6d", "1w", "1m", "3m", "6m", "1y",
                             "at"]


def test_publications_are_deduplicated_by_pmid_pmcid_and_doi():
    mentions = [
        M(1, "ctgov", "publication", extra={"pmid": "111", "result": True}),
        M(2, "pubmed", "publication", extra={"pmid": "111", "doi": "10.1/ABC"}),
        M(3, "europepmc", "publication", extra={"doi": "10.1/abc", "pmcid": "PMC9"}),
        M(4, "europepmc", "publication", extra={"pmcid": "PMC5", "preprint": True}),
        M(5, "pubmed", "publication", extra={"pmid": "222", "pmcid": "5"}),
        M(6, "europepmc", "publication", extra={"doi": "10.2/other"}),
    ]
    summary = summarize(mentions, WEIGHTS, NOW)
    assert summary["publications"] == {"total": 3, "results": 1, "preprints": 1, "notices": 0}
    assert summary["kinds"]["publication"] == 3
    # pubmed's copy is listed; the others point at it.
    assert summary["duplicates"] == {1: 2, 3: 2, 4: 5}
    assert summary["papers"]["2"] == {"also_found_by": ["ctgov", "europepmc"], "result": True}
    # Counts per source are stored mentions: every number is one linked item.
    assert summary["counts"] == {"ctgov": 1, "pubmed": 2, "europepmc": 3}
    assert summary["score"] == 0


def test_kinds_list_every_kind_even_when_zero():
    kinds = summarize([M(1, "gdelt", "news")], WEIGHTS, NOW)["kinds"]
    assert kinds == {"news": 1, "blog": 0, "wikipedia": 0, "social": 0, "forum": 0,
                     "publication": 0, "policy": 0, "video": 0}


def test_a_correction_is_a_notice_attached_to_its_paper_by_pmid_and_never_counted():
    mentions = [
        M(1, "pubmed", "publication", extra={"pmid": "100", "result": True},
          title="Remdesivir for the Treatment of Covid-19.", url="https://p/100"),
        M(2, "pubmed", "publication", title="Correction.", url="https://p/200",
          extra={"pmid": "200", "notice": "correction", "notice_for": {"pmid": "100"}}),
        M(3, "europepmc", "publication", extra={"pmid": "200", "notice": "correction"}),
    ]
    summary = summarize(mentions, WEIGHTS, NOW)
    assert summary["publications"] == {"total": 1, "results": 1, "preprints": 0, "notices": 1}
    assert summary["kinds"]["publication"] == 1
    assert summary["papers"]["2"]["notice"] == "correction"
    assert summary["papers"]["2"]["notice_for"] == {"title": "Remdesivir for the Treatment of "
                                                             "Covid-19.", "url": "https://p/100"}
    assert summary["papers"]["1"]["notices"] == [{"type": "correction", "title": "Correction.",
                                                  "url": "https://p/200"}]


def test_a_notice_naming_its_paper_by_title_is_attached_and_one_naming_none_stands_alone():
    mentions = [
        M(1, "europepmc", "publication", extra={"pmid": "100"},
          title="Baricitinib plus Remdesivir for Hospitalized Adults with Covid-19"),
        M(2, "europepmc", "publication", title="Erratum: Baricitinib plus remdesivir for "
          "hospitalized adults with Covid-19.", extra={
              "pmid": "300", "notice": "correction", "notice_for": {
                  "title_key": "baricitinib plus remdesivir for hospitalized adults with covid 19"}}),
        M(3, "pubmed", "publication", title="Retraction notice.",
          extra={"pmid": "400", "notice": "retraction"}),
    ]
    summary = summarize(mentions, WEIGHTS, NOW)
    assert summary["publications"]["total"] == 1
    assert summary["publications"]["notices"] == 2
    assert summary["papers"]["1"]["notices"][0]["type"] == "correction"
    assert summary["papers"]["3"] == {"notice": "retraction"}
