"""The Explorer's API (/api/v1/explore, its CSV) and the index behind it, on a store filled
through the registry and harvest code paths; and the score's context in trial documents."""

import csv
import io
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from records import study
from trialbuzz.attention.harvest import Outcome
from trialbuzz.attention.sources.base import Mention
from trialbuzz.clock import utcnow
from trialbuzz.storage.models import MentionDay, TrialFacet, TrialIndex

NOW = utcnow()

# nct_id: (title, status, phases, study type, sponsor, conditions, start, mentions)
# mentions: (source, kind, days ago)
TRIALS = {
    "NCT00000101": ("Aspirin after stroke", "RECRUITING", ["PHASE2"], "INTERVENTIONAL",
                    "Acme Pharma", ["Stroke"], "2021-03-01",
                    [("gdelt", "news", 2), ("gdelt", "news", 40), ("hackernews", "forum", 3)]),
    "NCT00000102": ("Statins in heart failure", "COMPLETED", ["PHASE3"], "INTERVENTIONAL",
                    "Heart Institute", ["Heart Failure", "Stroke"], "2019-06",
                    [("wikipedia", "wikipedia", 300), ("gdelt", "news", 200)]),
    "NCT00000103": ("Walking and mood", "RECRUITING", ["PHASE1", "PHASE2"], "INTERVENTIONAL",
                    "acme pharma", ["Depression"], "2021-01-15",
                    [("hackernews", "forum", 1)]),
    "NCT00000104": ("Registry of rare =disease", "ACTIVE_NOT_RECRUITING", [], "OBSERVATIONAL",
                    "-University", ["Rare Disease"], "2022",
                    [("gdelt", "news", 10), ("gdelt", "news", 11), ("gdelt", "news", 12)]),
    # Only a publication: tracked, but no attention the score counts.
    "NCT00000105": ("Papers only", "COMPLETED", ["PHASE2"], "INTERVENTIONAL", "Acme Pharma",
                    ["Stroke"], "2021", [("pubmed", "publication", 5)]),
}


def _fill(state, ctgov, trials=TRIALS):
    """Store each trial through the registry service and its mentions through the harvester."""
    for nct_id, (title, status, phases, study_type, sponsor, conditions, start,
                 mentions) in trials.items():
        record = study(nct_id, title=title, status=status, phases=phases or None,
                       study_type=study_type, acronym=None)
        protocol = record["protocolSection"]
        protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = sponsor
        protocol["conditionsModule"]["conditions"] = conditions
        protocol["statusModule"]["startDateStruct"] = {"date": start}
        ctgov.add(record)
        state.trials.fetch(nct_id)
        by_source = {}
        for number, (source, kind, days) in enumerate(mentions):
            by_source.setdefault(source, []).append(Mention(
                source, kind, f"{nct_id}-{number}", f"https://example.org/{nct_id}/{number}",
                title=f"About {title}", published_at=NOW - timedelta(days=days)))
        state.harvester.store(nct_id, [Outcome(source, "ok", mentions=found)
                                       for source, found in by_source.items()])


@pytest.fixture
def filled(app, ctgov):
    state = app.extensions["trialbuzz"]
    _fill(state, ctgov)
    return app


def _ids(client, **params):
    response = client.get("/api/v1/explore", query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["total"], [trial["nct_id"] for trial in body["trials"]]


def test_lists_trials_with_attention_by_score(filled):
    client = filled.test_client()
    body = client.get("/api/v1/explore").get_json()
    # The trial with a publication alone is not listed: publications are not in the score.
    assert body["total"] == 4
    scores = [trial["score"] for trial in body["trials"]]
    assert scores == sorted(scores, reverse=True)
    assert [t["nct_id"] for t in body["trials"]][:2] == ["NCT00000104", "NCT00000101"]
    first = body["trials"][0]
    # Compact documents, as the embed batch and the overlay have them.
    assert first["kinds"]["news"] == 3 and first["mentions_total"] == 3
    assert first["details_url"].endswith("/trial/NCT00000104")
    # Built in bulk, each is the compact document the bookmarklet payload holds, but for the
    # list of mentions (as in the embed batch, the count stays).
    assert "mentions" not in first
    for trial in body["trials"]:
        payload = client.get(f"/api/v1/badge?ids={trial['nct_id']}").get_json()
        single = payload["trials"][0]
        assert {k: v for k, v in trial.items()
                if k not in ("change_7d", "latest_mention_at")} == \
            {k: v for k, v in single.items() if k != "mentions"}
    assert first["latest_mention_at"].startswith((NOW - timedelta(days=10)).date().isoformat())


@pytest.mark.parametrize("params, expected", [
    ({"status": "RECRUITING"}, ["NCT00000101", "NCT00000103"]),
    ({"status": "recruiting"}, ["NCT00000101", "NCT00000103"]),
    ({"phase": "PHASE2"}, ["NCT00000101", "NCT00000103"]),
    ({"phase": "phase3"}, ["NCT00000102"]),
    ({"study_type": "OBSERVATIONAL"}, ["NCT00000104"]),
    ({"condition": "stroke"}, ["NCT00000101", "NCT00000102"]),
    ({"sponsor": "ACME PHARMA"}, ["NCT00000101", "NCT00000103"]),
    ({"kind": "wikipedia"}, ["NCT00000102"]),
    ({"kind": "forum"}, ["NCT00000101", "NCT00000103"]),
    ({"source": "hackernews"}, ["NCT00000101", "NCT00000103"]),
    ({"q": "heart"}, ["NCT00000102"]),
    ({"q": "nct00000103"}, ["NCT00000103"]),
    ({"q": "NCT0000010"}, ["NCT00000101", "NCT00000102", "NCT00000103", "NCT00000104"]),
    ({"q": "NCT00000109"}, []),
    ({"q": "acme"}, ["NCT00000101", "NCT00000103"]),
    ({"q": "depression"}, ["NCT00000103"]),
    ({"q": "100%_"}, []),
    ({"from": (NOW - timedelta(days=5)).date().isoformat()}, ["NCT00000101", "NCT00000103"]),
    ({"to": (NOW - timedelta(days=100)).date().isoformat()}, ["NCT00000102"]),
    ({"from": (NOW - timedelta(days=15)).date().isoformat(),
      "to": (NOW - timedelta(days=9)).date().isoformat()}, ["NCT00000104"]),
    # With a window, kind and source describe the mentions within it.
    ({"from": (NOW - timedelta(days=5)).date().isoformat(), "kind": "news"}, ["NCT00000101"]),
    ({"status": "RECRUITING", "phase": "PHASE1"}, ["NCT00000103"]),
])
def test_filters(filled, params, expected):
    total, ids = _ids(filled.test_client(), **params)
    assert sorted(ids) == expected
    assert total == len(expected)


def test_filters_by_results_reporting(app, ctgov):
    state = app.extensions["trialbuzz"]
    records = {
        "NCT00000401": {"fda_drug": True, "has_results": False},  # due April 2021: overdue
        "NCT00000402": {"fda_drug": True, "has_results": False, "status": "RECRUITING",
                        "primary_completion": ((NOW.date() + timedelta(days=400)).isoformat(),
                                               "ESTIMATED")},
        "NCT00000403": {"study_type": "OBSERVATIONAL", "has_results": False, "phases": None},
        "NCT00000404": {"has_results": True},
    }
    for nct_id, changes in records.items():
        ctgov.add(study(nct_id, **changes))
        state.trials.fetch(nct_id)
        state.harvester.store(nct_id, [Outcome("gdelt", "ok", mentions=[Mention(
            "gdelt", "news", nct_id, f"https://example.org/{nct_id}")])])
    client = app.test_client()
    expected = {"overdue": ["NCT00000401"], "not_due": ["NCT00000402"],
                "not_applicable": ["NCT00000403"], "posted": ["NCT00000404"],
                "posted_late": [], "unknown": []}
    for status, ids in expected.items():
        assert _ids(client, reporting=status)[1] == ids, status
        # The same as each trial's document says today.
        for nct_id in ids:
            document = client.get(f"/api/v1/trials/{nct_id}").get_json()
            assert document["reporting"]["status"] == status
    assert _ids(client, reporting="OVERDUE")[1] == ["NCT00000401"]
    response = client.get("/api/v1/explore?reporting=late")
    assert response.status_code == 400 and "reporting must be one of" in \
        response.get_json()["error"]["message"]


def test_sorts_by_recent_attention_and_trend(filled):
    client = filled.test_client()
    _, recent = _ids(client, sort="recent")
    assert recent == ["NCT00000103", "NCT00000101", "NCT00000104", "NCT00000102"]
    body = client.get("/api/v1/explore?sort=trending").get_json()
    trends = [trial["change_7d"] for trial in body["trials"]]
    assert trends == sorted(trends, reverse=True)
    # 101: one news story (8) and one forum post (1) within the week.
    assert body["trials"][0]["nct_id"] == "NCT00000101" and trends[0] == 9
    assert trends[-1] == 0


def test_pages(filled):
    client = filled.test_client()
    _, everything = _ids(client)
    pages = [_ids(client, limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [total for total, _ in pages] == [4, 4, 4]
    assert [ids for _, ids in pages] == [everything[:3], everything[3:], []]


@pytest.mark.parametrize("params, word", [
    ({"status": "ONGOING"}, "status must be one of"),
    ({"phase": "3"}, "phase must be one of"),
    ({"study_type": "x"}, "study_type must be one of"),
    ({"kind": "tweet"}, "kind must be one of"),
    ({"source": "twitter"}, "source must be one of"),
    ({"sort": "random"}, "sort must be one of"),
    ({"from": "yesterday"}, "from must be a date"),
    ({"from": "2024-05-02", "to": "2024-05-01"}, "from must not be after to"),
    ({"limit": "0"}, "limit must be a whole number"),
    ({"limit": "101"}, "limit must be a whole number"),
    ({"offset": "-1"}, "offset must be a whole number"),
    ({"q": "x" * 201}, "q is longer than"),
])
def test_bad_filter_values_are_400_with_a_message(filled, params, word):
    for path in ("/api/v1/explore", "/api/v1/explore.csv"):
        response = filled.test_client().get(path, query_string=params)
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "invalid_parameter" and word in error["message"]


def test_csv_has_the_same_trials_and_is_formula_safe(filled):
    client = filled.test_client()
    _, ids = _ids(client, sort="recent")
    for path in ("/api/v1/explore.csv?sort=recent", "/api/v1/explore?format=csv&sort=recent"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert [row["nct_id"] for row in rows] == ids
        assert response.headers["X-Total-Count"] == "4"
    registry = next(row for row in rows if row["nct_id"] == "NCT00000104")
    assert registry["title"] == "'Registry of rare =disease" or \
        registry["title"] == "Registry of rare =disease"
    assert registry["score"] == "24"
    _, statins = _ids(client, q="statins")
    filtered = client.get("/api/v1/explore.csv?q=statins").get_data(as_text=True)
    assert [row["nct_id"] for row in csv.DictReader(io.StringIO(filtered[1:]))] == statins


def test_csv_cells_cannot_run_as_formulas(app, ctgov):
    state = app.extensions["trialbuzz"]
    trials = {"NCT00000201": ("=HYPERLINK(\"http://evil\")", "RECRUITING", ["PHASE2"],
                              "INTERVENTIONAL", "x", ["y"], "2020", [("gdelt", "news", 1)])}
    _fill(state, ctgov, trials)
    text = app.test_client().get("/api/v1/explore.csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text[1:])))
    assert row["title"] == "'=HYPERLINK(\"http://evil\")"


def test_index_follows_a_new_record_and_summary(filled, ctgov):
    state = filled.extensions["trialbuzz"]
    record = study("NCT00000103", title="Walking and mood", status="COMPLETED",
                   phases=["PHASE3"], acronym=None)
    ctgov.add(record)
    state.trials.fetch("NCT00000103")
    client = filled.test_client()
    assert _ids(client, status="RECRUITING")[1] == ["NCT00000101"]
    assert "NCT00000103" in _ids(client, phase="PHASE3")[1]
    assert _ids(client, condition="depression")[1] == []  # the new record lists COVID-19
    state.harvester.store("NCT00000103", [Outcome("wikipedia", "ok", mentions=[Mention(
        "wikipedia", "wikipedia", "w1", "https://en.wikipedia.org/wiki/W")])])
    assert "NCT00000103" in _ids(client, kind="wikipedia")[1]
    # Every facet of the trial carries its new score: the phase filter sorts by it.
    assert _ids(client, phase="PHASE3")[1] == ["NCT00000102", "NCT00000103"]
    with state.db.session() as session:
        row = session.get(TrialIndex, "NCT00000103")
        assert (row.status, row.phase, row.start_year) == ("completed", "phase3", 2020)
        rows = session.query(TrialFacet).filter_by(nct_id="NCT00000103").all()
        facets = {(f.facet, f.value) for f in rows}
        assert {(f.attention, f.score, f.status) for f in rows} == \
            {(True, row.score, "completed")}
    assert {("phase", "phase3"), ("condition", "covid-19"), ("kind", "forum"),
            ("kind", "wikipedia"), ("source", "hackernews"), ("source", "wikipedia")} == facets


def test_migration_backfills_the_index(tmp_path, fake, ctgov):
    """Trials stored before the index existed are indexed when the schema is upgraded."""
    from conftest import app_config
    from trialbuzz import create_app
    from trialbuzz.storage.db import get_db

    app = create_app(app_config(tmp_path, fake.url))
    db = get_db(app)
    db.migrate()
    state = app.extensions["trialbuzz"]
    try:
        _fill(state, ctgov)
        # Back to the schema before the index (later revisions undone too), the trials and
        # mentions kept.
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from trialbuzz.storage.db import MIGRATIONS

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        before = ScriptDirectory.from_config(config).get_revision("0007").down_revision
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, before)
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'trial_index'").scalar() == 0
        db.migrate()
        total, ids = _ids(app.test_client(), condition="stroke")
        assert sorted(ids) == ["NCT00000101", "NCT00000102"]
        with db.session() as session:
            row = session.get(TrialIndex, "NCT00000101")
            assert (row.score, row.trend, row.phase, row.start_year) == (17, 9, "phase2", 2021)
            assert row.latest_at.date() == (NOW - timedelta(days=2)).date()
        # The words of the trials stored before are in the trigram index, their mentions'
        # days in mention_days.
        client = app.test_client()
        assert _ids(client, q="aspirin")[1] == ["NCT00000101"]
        assert sorted(_ids(client, **{"from": (NOW - timedelta(days=5)).date().isoformat()})[1]) \
            == ["NCT00000101", "NCT00000103"]
    finally:
        state.jobs.shutdown()
        db.dispose()


def _tracked(app, ctgov, count):
    """`count` trials with attention, scoring 1, 2, …: phase 2 and 2021 for the even ones."""
    trials = {}
    for number in range(1, count + 1):
        phases = ["PHASE2"] if number % 2 == 0 else ["PHASE3"]
        trials[f"NCT{number:08d}"] = (f"Trial {number}", "RECRUITING", phases,
                                      "INTERVENTIONAL", "S", ["C"], "2021" if number % 2 == 0
                                      else "2018", [("hackernews", "forum", 400 + k)
                                                    for k in range(number)])
    _fill(app.extensions["trialbuzz"], ctgov, trials)


def test_context_places_a_score_among_all_and_its_cohort(make_app, ctgov):
    app = make_app(CONTEXT_MINIMUM=4)
    _tracked(app, ctgov, 10)
    client = app.test_client()
    top = client.get("/api/v1/trials/NCT00000010").get_json()["context"]
    assert top == {"percentile": 90, "rank": 1, "of": 10, "cohort": {
        "label": "Phase 2 trials started in 2021", "percentile": 80, "rank": 1, "of": 5}}
    low = client.get("/api/v1/trials/NCT00000003").get_json()["context"]
    assert (low["percentile"], low["rank"], low["of"]) == (20, 8, 10)
    assert low["cohort"] == {"label": "Phase 3 trials started in 2018", "percentile": 20,
                             "rank": 4, "of": 5}
    # The embed batch and the bookmarklet payload carry it too.
    batch = client.get("/api/v1/badge?ids=NCT00000010").get_json()
    assert batch["trials"][0]["context"]["rank"] == 1


def test_context_is_null_without_attention_or_with_too_few_tracked(make_app, ctgov):
    app = make_app(CONTEXT_MINIMUM=20)
    _tracked(app, ctgov, 3)
    client = app.test_client()
    assert client.get("/api/v1/trials/NCT00000003").get_json()["context"] is None
    app = make_app(CONTEXT_MINIMUM=2)
    state = app.extensions["trialbuzz"]
    _fill(state, ctgov, {"NCT00000105": TRIALS["NCT00000105"]})
    assert app.test_client().get("/api/v1/trials/NCT00000105").get_json()["context"] is None


def test_context_ties_share_a_rank():
    from trialbuzz.attention.context import Ranking, in_words

    ranking = Ranking({0: 1, 5: 3, 9: 1})
    assert ranking.place(5) == (20, 2, 5)
    assert ranking.place(9) == (80, 1, 5)
    assert ranking.place(7) == (80, 2, 5)  # a score not yet counted
    assert in_words({"percentile": 95, "rank": 3, "of": 41200}) == \
        "in the top 5% of 41,200 trials tracked"
    assert in_words({"percentile": 20, "rank": 812, "of": 1000}) == \
        "ranked 812 of 1,000 trials tracked"


def test_explore_page_lists_and_pages(filled):
    client = filled.test_client()
    page = client.get("/explore?limit=2&status=recruiting").get_data(as_text=True)
    assert "2 trials" in page and "Walking and mood" in page and "Aspirin after stroke" in page
    assert 'href="/api/v1/explore.csv?status=RECRUITING&amp;limit=2"' in page
    page = client.get("/explore?limit=1").get_data(as_text=True)
    assert "Next 1" in page and "offset=1" in page
    response = client.get("/explore?phase=nine")
    assert response.status_code == 400
    assert "phase must be one of" in response.get_data(as_text=True)


def test_titles_are_escaped_on_the_page(app, ctgov):
    _fill(app.extensions["trialbuzz"], ctgov, {"NCT00000301": (
        "<script>alert(1)</script>", "RECRUITING", ["PHASE2"], "INTERVENTIONAL", "x", ["y"],
        "2020", [("gdelt", "news", 1)])})
    page = app.test_client().get("/explore").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_large_score_reads_with_its_thousands_separated_on_the_page(app, ctgov):
    _fill(app.extensions["trialbuzz"], ctgov, {"NCT00000302": (
        "Much discussed", "RECRUITING", ["PHASE3"], "INTERVENTIONAL", "x", ["y"], "2020",
        [("gdelt", "news", day % 5) for day in range(130)])})
    page = app.test_client().get("/explore").get_data(as_text=True)
    assert "<strong>1,040</strong><span>score</span>" in page
    assert "+1,040 in the last 7 days" in page


def _datetime(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_context_in_words_on_the_details_page_and_embed_batch(make_app, ctgov):
    app = make_app(CONTEXT_MINIMUM=4)
    _tracked(app, ctgov, 10)
    client = app.test_client()
    page = client.get("/trial/NCT00000010").get_data(as_text=True)
    assert "In the top 10% of 10 trials tracked; in the top 20% of the 5 Phase 2 trials " \
           "started in 2021." in page
    low = client.get("/trial/NCT00000001").get_data(as_text=True)
    assert "Ranked 10 of 10 trials tracked; ranked 5 of the 5 Phase 3 trials started in " \
           "2018." in low
    batch = client.get("/api/v1/badges?ids=NCT00000010,NCT00000001").get_json()
    contexts = {entry["nct_id"]: entry["context"] for entry in batch["trials"]}
    assert contexts["NCT00000010"]["percentile"] == 90
    assert contexts["NCT00000001"]["rank"] == 10


def test_context_counts_are_read_again_behind_the_readers(make_app, ctgov):
    from trialbuzz.attention.context import ScoreContext

    app = make_app()
    _tracked(app, ctgov, 3)
    now = [0.0]
    context = ScoreContext(app.extensions["trialbuzz"].db, ttl=60, minimum=2,
                           clock=lambda: now[0])
    record, summary = {"phases": ["PHASE2"]}, {"score": 3, "kinds": {"forum": 3}}
    assert context.of(record, summary)["of"] == 3
    _tracked(app, ctgov, 5)
    assert context.of(record, summary)["of"] == 3  # within the minute: the counts kept
    # The read behind the readers is held until the stale answer is in (otherwise a quick
    # read could land first, and the test would say nothing about waiting).
    reading, release = threading.Event(), threading.Event()
    read_again = context.refresh

    def held():
        reading.set()
        release.wait(10)
        read_again()

    context.refresh = held
    now[0] = 61.0
    assert context.of(record, summary)["of"] == 3  # served at once while read again
    assert reading.wait(10)
    release.set()
    for _ in range(500):
        if context._read_at == 61.0:
            break
        time.sleep(0.01)
    assert context.of(record, summary)["of"] == 5


def test_indexed_answers_match_a_plain_reading_of_the_store(app, ctgov, monkeypatch):
    """Every filter, pair of filters, sort and page (words with quotes and FTS5 syntax among
    them) answers the totals and order a plain reading of the tables gives, its page read by
    walking the order or from the trials the filters name."""
    import explorestore

    from trialbuzz.attention import explore

    assert explorestore.check(app, ctgov) > 40
    walk = explore.WALK_ROWS
    monkeypatch.setattr(explore, "WALK_ROWS", 0)
    assert explorestore.compare(app) > 40
    # A mention dated ahead: a window ending today no longer reaches every mention.
    explorestore.add_undated_and_ahead(app, ctgov)
    assert explorestore.compare(app) > 40
    monkeypatch.setattr(explore, "WALK_ROWS", walk)
    assert explorestore.compare(app) > 40
    # The days' previous days filled by the migration are those the store keeps in step.
    kept = explorestore.day_rows(app)
    explorestore.migrate_again(app, "0011")
    assert explorestore.day_rows(app) == kept
    assert explorestore.compare(app) > 40


def test_each_trial_has_one_first_day_within_any_window():
    """A trial's day rows name it once within any window: one row there has no previous day
    (of its kind, of its source) or one before the window."""
    from trialbuzz.attention.index import day_rows

    d = [datetime(2026, 1, day).date() for day in range(1, 8)]
    days = {(d[0], "news", "gdelt"): 2, (d[0], "forum", "hackernews"): 1,
            (d[2], "news", "feeds"): 1, (d[2], "news", "gdelt"): 1,
            (d[5], "forum", "hackernews"): 3}
    rows = day_rows(days, True)
    assert [(r["day"], r["kind"], r["source"], r["previous"], r["previous_kind"],
             r["previous_source"], r["previous_pair"]) for r in rows] == [
        (d[0], "forum", "hackernews", None, None, None, None),
        (d[0], "news", "gdelt", d[0], None, None, None),
        (d[2], "news", "feeds", d[0], d[0], None, None),
        (d[2], "news", "gdelt", d[2], d[2], d[0], d[0]),
        (d[5], "forum", "hackernews", d[2], d[0], d[0], d[0])]
    assert {r["attention"] for r in rows} == {True}
    for start in range(len(d)):
        for end in range(start + 1, len(d) + 1):
            for column, group in (("previous", lambda r: True),
                                  ("previous_kind", lambda r: r["kind"] == "news"),
                                  ("previous_source", lambda r: r["source"] == "hackernews"),
                                  ("previous_pair", lambda r: (r["kind"], r["source"]) ==
                                   ("news", "gdelt"))):
                inside = [r for r in rows if d[start] <= r["day"] < d[end - 1] + timedelta(1)
                          and group(r)]
                first = [r for r in inside if r[column] is None or r[column] < d[start]]
                assert len(first) == (1 if inside else 0), (start, end, column)


def test_words_are_looked_up_in_the_trigram_index_kept_in_step(filled, ctgov):
    state = filled.extensions["trialbuzz"]
    client = filled.test_client()
    assert _ids(client, q="statins")[1] == ["NCT00000102"]
    # A new title replaces the old one in the index (the trial_index trigger).
    ctgov.add(study("NCT00000102", title="Fish oil in heart failure", acronym=None))
    state.trials.fetch("NCT00000102")
    assert _ids(client, q="statins") == (0, [])
    assert _ids(client, q="fish oil")[1] == ["NCT00000102"]
    # A trial without attention any more is not found (the index marks those with it).
    _hide(state, "NCT00000102")
    assert _ids(client, q="fish o") == (0, [])
    with state.db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO trial_search (trial_search) VALUES ('delete-all')")
    # Three characters or more are looked up in the index (now empty); fewer are read row by
    # row.
    assert _ids(client, q="heart") == (0, [])
    assert _ids(client, q="=d")[1] == ["NCT00000104"]


def test_mention_days_follow_the_stored_mentions(filled):
    state = filled.extensions["trialbuzz"]
    client = filled.test_client()
    window = {"from": (NOW - timedelta(days=4)).date().isoformat(),
              "to": (NOW - timedelta(days=3)).date().isoformat()}
    assert _ids(client, **window)[1] == ["NCT00000101"]
    state.harvester.store("NCT00000102", [Outcome("gdelt", "ok", mentions=[Mention(
        "gdelt", "news", "late", "https://example.org/late",
        published_at=NOW - timedelta(days=3))])])
    assert sorted(_ids(client, **window)[1]) == ["NCT00000101", "NCT00000102"]
    assert _ids(client, **window, kind="wikipedia") == (0, [])
    with state.db.session() as session:
        days = {(row.day, row.kind, row.source): row.mentions for row in
                session.query(MentionDay).filter_by(nct_id="NCT00000102")}
        # Each row repeats its trial's attention (a window alone is counted on them).
        assert {(row.nct_id, row.attention) for row in session.query(MentionDay).filter(
            MentionDay.nct_id.in_(["NCT00000102", "NCT00000105"]))} == \
            {("NCT00000102", True), ("NCT00000105", False)}
    assert days == {((NOW - timedelta(days=d)).date(), kind, source): 1 for d, kind, source in
                    ((3, "news", "gdelt"), (200, "news", "gdelt"),
                     (300, "wikipedia", "wikipedia"))}


def _hide(state, nct_id):
    """Another process's change of the index, which this one is not told about."""
    with state.db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE trial_index SET attention = false WHERE nct_id = '{nct_id}'")


def test_totals_are_kept_briefly_and_forgotten_on_a_store(filled):
    state = filled.extensions["trialbuzz"]
    client = filled.test_client()
    assert _ids(client)[0] == 4
    _hide(state, "NCT00000104")
    # The same filters in another order or page: the kept total, the page read afresh.
    total, ids = _ids(client, sort="recent", limit=2, offset=2)
    assert total == 4 and "NCT00000104" not in ids
    # Other filters are counted.
    assert _ids(client, study_type="OBSERVATIONAL") == (0, [])
    # A store in this process forgets the kept totals.
    state.harvester.store("NCT00000102", [Outcome("gdelt", "ok", mentions=[])])
    assert _ids(client)[0] == 3


def test_totals_are_counted_every_time_when_not_kept(make_app, ctgov):
    app = make_app(EXPLORE_TOTALS_SECONDS=0)
    _fill(app.extensions["trialbuzz"], ctgov)
    client = app.test_client()
    assert _ids(client)[0] == 4
    _hide(app.extensions["trialbuzz"], "NCT00000104")
    assert _ids(client, sort="recent")[0] == 3
