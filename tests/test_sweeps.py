"""Sweeps: every mention of any study, asked for in bulk and filed under each NCT ID it names;
incremental from the watermark; resumed after failures; and a swept trial's first lookup asks
only the sources that cannot sweep."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from conftest import point_cli_at
from fakeupstream import Reply
from sweepworld import NCT, World, mentions_named, nct, populate
from trialbuzz.attention.sources import pubmed as pubmed_source
from trialbuzz.clock import utcnow
from trialbuzz.jobs import tasks
from trialbuzz.jobs.sweeps import OVERLAP, PLACEHOLDER_AT, RUNNING
from trialbuzz.storage.models import Mention, SourceCheck, Sweep, Trial, Work

SWEPT = ("ctgov", "europepmc", "pubmed", "crossref", "wikipedia", "hackernews", "reddit")


@pytest.fixture
def world(fake):
    built = World(now=utcnow().replace(microsecond=0))
    built.install(fake)
    return built


@pytest.fixture
def state(make_app):
    app = make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False)
    return app.extensions["trialbuzz"]


def sweep_all(state, sources=None, **options):
    """Run every sweep of `sources` to its end (or failure) in this thread."""
    tallies = {}
    for key in state.sweeps.keys(sources):
        assert state.sweeps.claim(key, RUNNING)
        tallies[key] = state.sweeps.run(key, **options)
    return tallies


def filed(state):
    """{(source, external id): set of NCT IDs it is filed under}."""
    with state.db.session() as session:
        rows = session.execute(select(Mention.source, Mention.external_id, Mention.nct_id)).all()
    found = {}
    for source, external_id, nct_id in rows:
        found.setdefault((source, external_id), set()).add(nct_id)
    return found


def sweep_row(state, source, scope=""):
    with state.db.session() as session:
        return session.get(Sweep, (source, scope))


def test_a_first_sweep_files_every_mention_under_each_id_it_names(state, world):
    registered = populate(world)
    tallies = sweep_all(state)
    assert {tally.outcome for tally in tallies.values()} == {"done"}
    expected = mentions_named(world)
    stored = {key: ids for key, ids in filed(state).items() if key[0] != "ctgov"}
    assert stored == expected
    # Bulk paging as the real services page: 1,200 links in pages of 500; 2,500 Hacker News
    # items with more than Algolia's 1,000 a query, so windows were split.
    assert world.bulk["wikipedia"] == 3
    windows = [q["numericFilters"][0] for key, q in world.queries if key == "hackernews"]
    assert len(set(windows)) > 3
    assert world.bulk["europepmc_annotations"] >= 1200 / 8
    # Every registry study is stored as a record; IDs the registry did not list became
    # placeholder trials, whose records follow as jobs.
    named = {nct_id for ids in expected.values() for nct_id in ids}
    with state.db.session() as session:
        trials = {row.nct_id: row for row in session.scalars(select(Trial))}
    assert set(registered) <= set(trials)
    assert all(trials[i].record["title"] == f"Study {i}" for i in registered)
    unknown = named - set(registered)
    assert unknown and all(trials[i].fetched_at <= PLACEHOLDER_AT for i in unknown)
    assert tallies[("ctgov", "")].as_dict()["new_trials"] == len(registered)
    assert sum(t.as_dict()["new_trials"] for k, t in tallies.items()
               if k[0] != "ctgov") == len(unknown)
    for source, scope in state.sweeps.keys():
        row = sweep_row(state, source, scope)
        assert row.watermark is not None and row.run is None
        # Reddit's listings end (at ~1,000 items) long before Reddit began: its sweep cannot
        # say it holds the whole history, so its trials are still searched one by one.
        assert row.complete == (source != "reddit")
    # No per-trial endpoint was asked.
    assert sum(world.per_trial.values()) == 0


def test_new_trials_registry_records_follow_as_paced_unviewed_refreshes(state, world, fake):
    populate(world, trials=40, wiki_links=300, hn_items=60, articles=80, pubmed=40, unknown=0)
    for n in range(15):          # IDs the registry lists only after the sweep of the others
        world.add_wiki_link("en", 900_000 + n, f"New {n}", "https://clinicaltrials.gov/study/"
                            + nct(9_000_000 + n))
    sweep_all(state)
    queued = []
    state.jobs.enqueue = queued.append
    tasks.tick(state, state.jobs)
    # A few a minute, so that the registry's pace and GDELT's hold for readers.
    assert len(queued) == 6 and all(i.startswith("NCT09") for i in queued)
    with state.db.session() as session:
        rows = {row.nct_id: row for row in session.scalars(select(Work))}
    assert all(rows[i].views == 0 and rows[i].viewed_at is None for i in queued)
    tasks.tick(state, state.jobs)
    assert len(queued) == 12 and len(set(queued)) == 12
    # The refresh fetches the record; the placeholder becomes the trial.
    world.add_study(queued[0], world.now.date())
    tasks.refresh(state, queued[0])
    stored = state.trials.stored(queued[0])
    assert stored.record["title"] == f"Study {queued[0]}"
    assert state.trials.stored(queued[1]) is None   # still a placeholder: no record yet


def test_mentions_filed_under_an_alias_move_to_its_study_when_the_registry_says_so(state,
                                                                                  world):
    registered = populate(world, trials=5, wiki_links=0, hn_items=0, articles=0, pubmed=0)
    alias, canonical = nct(8_000_001), registered[0]
    world.aliases[alias] = canonical
    world.add_wiki_link("en", 77, "Old link", "https://clinicaltrials.gov/ct2/show/" + alias)
    world.add_wiki_link("en", 78, "Both", "https://clinicaltrials.gov/study/" + canonical)
    world.add_wiki_link("en", 78, "Both", "https://clinicaltrials.gov/ct2/show/" + alias)
    sweep_all(state)
    assert filed(state)[("wikipedia", "en:77")] == {alias}
    state.jobs.request(alias, viewed=False)
    tasks.refresh(state, alias)
    assert filed(state)[("wikipedia", "en:77")] == {canonical}
    assert filed(state)[("wikipedia", "en:78")] == {canonical}
    with state.db.session() as session:
        assert session.get(Trial, alias) is None
    assert state.trials.stored(alias).nct_id == canonical
    # The next sweep files what names the alias under the study at once.
    sweep_all(state, sources={"wikipedia"})
    assert filed(state)[("wikipedia", "en:77")] == {canonical}


def test_a_cold_lookup_of_a_swept_trial_asks_only_the_per_trial_sources(state, world, fake,
                                                                          make_app):
    registered = populate(world, trials=60, wiki_links=400, hn_items=300, articles=300,
                          pubmed=120, unknown=0)
    sweep_all(state)
    expected = mentions_named(world)
    trial = max(registered, key=lambda i: sum(i in ids for ids in expected.values()))
    app = make_app(SWEEP_EVERY=86400)
    client = app.test_client()
    world.per_trial.clear()
    gdelt = fake.count("/gdelt/doc")
    document = client.get(f"/api/v1/trials/{trial}").get_json()
    assert document["state"] == "complete"
    # Not even the registry record; GDELT cannot sweep, and Reddit's sweep cannot hold the
    # history (its listings end at ~1,000 items): both are asked per trial.
    assert world.per_trial == {"reddit": 2}
    assert fake.count("/gdelt/doc") == gdelt + 1
    by_source = {}
    for (source, _), ids in expected.items():
        if trial in ids:
            by_source[source] = by_source.get(source, 0) + 1
    assert by_source and {s: document["counts"][s] for s in by_source} == by_source
    assert {s["id"]: s["status"] for s in document["sources"] if s["id"] in SWEPT} == \
        dict.fromkeys(SWEPT, "ok")
    # A forced refresh asks every source per trial, and finds the same items (no duplicates).
    before = dict(document["counts"])
    forced = client.get(f"/api/v1/trials/{trial}?refresh=1").get_json()
    assert world.per_trial["europepmc"] and world.per_trial["hackernews"]
    assert world.per_trial["wikipedia"] and world.per_trial["pubmed"]
    assert forced["counts"] == before


def test_without_a_current_complete_sweep_every_source_is_asked_per_trial(state, world, fake,
                                                                          make_app):
    registered = populate(world, trials=10, wiki_links=20, hn_items=20, articles=20, pubmed=10,
                          unknown=0)
    # Swept from a date only: what came before is not covered, so nothing is skipped.
    sweep_all(state, since=world.now - timedelta(days=3))
    assert not state.sweeps.covered()
    client = make_app(SWEEP_EVERY=86400).test_client()
    client.get(f"/api/v1/trials/{registered[-1]}")
    assert world.per_trial["europepmc"] and world.per_trial["wikipedia"]
    assert world.per_trial["hackernews"] and world.per_trial["pubmed"]
    # Its record came with the listing of the last three days' updates a moment ago (older
    # trials named by the other sweeps are placeholders, fetched by the schedule).
    assert registered[-1] not in world.fetched


def test_an_incremental_sweep_asks_only_since_the_watermark(state, world):
    populate(world, trials=50, wiki_links=100, hn_items=200, articles=200, pubmed=100)
    first = world.now
    state.sweeps.clock = lambda: first
    sweep_all(state)
    watermark = sweep_row(state, "europepmc").watermark
    assert watermark == first
    # A day later: new items, and a record entered before the watermark whose databank field
    # MEDLINE indexing added only now.
    later = first + timedelta(days=1)
    world.now = later
    new_trial = nct(7_000_001)
    world.add_study(new_trial, later.date())
    world.add_article(99_000_001, later.date(), [new_trial])
    world.add_hn(99_000_003, later - timedelta(hours=2), url="https://clinicaltrials.gov/study/"
                 + new_trial)
    world.add_pubmed(99_000_005, (first - timedelta(days=20)).date(), [new_trial],
                     mhda=later.date())
    world.add_wiki_link("en", 99_000_007, "Brand new", "https://clinicaltrials.gov/study/"
                        + new_trial)
    world.queries.clear()
    state.sweeps.clock = lambda: later
    tallies = sweep_all(state)
    assert {tally.outcome for tally in tallies.values()} == {"done"}
    since = first - OVERLAP
    queries = {}
    for key, query in world.queries:
        queries.setdefault(key, []).append(query)
    assert {q["filter.advanced"][0] for q in queries["ctgov"]} == {
        f"AREA[LastUpdatePostDate]RANGE[{since.date().isoformat()},MAX]"}
    assert {q["query"][0].split(" AND ")[1] for q in queries["europepmc"]} == {
        f"FIRST_IDATE:[{since.date()} TO {later.date()}]"}
    assert {(q["datetype"][0], q["mindate"][0]) for q in queries["pubmed"]} == {
        (kind, since.strftime("%Y/%m/%d")) for kind in ("edat", "mhda")}
    assert all(q["numericFilters"][0].startswith(f"created_at_i>={int(since.timestamp())},")
               for q in queries["hackernews"])
    # The new trial's mentions were found by every source (the late-indexed paper included).
    stored = filed(state)
    assert {source for (source, _), ids in stored.items() if new_trial in ids} == {
        "europepmc", "hackernews", "pubmed", "wikipedia"}
    assert tallies[("europepmc", "")].as_dict()["mentions"] < 200   # not the whole history
    assert sweep_row(state, "hackernews").watermark == later


def resumed_at(parameter):
    """The first call after the failure went on from where the run stood, by `parameter`."""
    return lambda query: parameter in query and query[parameter][0] not in ("*", "0")


def next_query(query):
    """Hacker News went on with its second query, the first one done before the failure."""
    return query["tags"] == ["comment"]


@pytest.mark.parametrize("source, route, reply, resumed", [
    ("europepmc", "europepmc", Reply.json({"error": "slow down"}, status=429,
                                          headers={"Retry-After": "1"}),
     resumed_at("cursorMark")),
    ("hackernews", "hackernews", Reply.text("Service Unavailable", status=503), next_query),
    ("wikipedia", "wikipedia", Reply.text("<html><body>Wikimedia Error</body></html>",
                                          content_type="text/html"), resumed_at("eucontinue")),
    ("pubmed", "pubmed_efetch", Reply.text("<PubmedArticleSet><PubmedArt",
                                           content_type="text/xml"), None),
    ("ctgov", "ctgov_listing", Reply.text('{"studies": [', content_type="application/json"),
     resumed_at("pageToken")),
    ("hackernews", "hackernews", Reply.json({}, delay=1.5), next_query),
    ("reddit", "reddit", Reply.text("<html><body>Our CDN was unable to reach our servers"
                                    "</body></html>", status=502, content_type="text/html"),
     resumed_at("after")),
])
def test_a_failed_sweep_keeps_its_watermark_and_what_it_stored_then_resumes(
        make_app, world, source, route, reply, resumed, monkeypatch):
    monkeypatch.setattr(pubmed_source, "FETCH_BATCH", 50)
    app = make_app(SWEEP_EVERY=86400, EMBEDDED_WORKER=False, UPSTREAM_READ_TIMEOUT=0.5,
                   UPSTREAM_MAX_RETRY_AFTER=2)
    state = app.extensions["trialbuzz"]
    populate(world, trials=1500 if source == "ctgov" else 120, wiki_links=1100, hn_items=600,
             articles=1100, pubmed=160, reddit_posts=900)
    if source == "hackernews":
        world.hn.sort(key=lambda hit: hit["created_at_i"])
    sweep_all(state, sources={"ctgov"} if source != "ctgov" else set())
    # The first page is answered; then the upstream fails past every retry.
    world.fail(route, None, *[reply] * 8)
    key = (source, "en" if source == "wikipedia" else "")
    assert state.sweeps.claim(key, RUNNING)
    tally = state.sweeps.run(key)
    assert tally.outcome == "failed" and tally.error
    row = sweep_row(state, *key)
    assert row.watermark is None and not row.complete and row.failures == 1
    assert row.run is not None and row.state == "idle"
    kept = {k: v for k, v in filed(state).items() if k[0] == source}
    with state.db.session() as session:
        records = session.scalar(select(Trial.nct_id).where(Trial.fetched_at > PLACEHOLDER_AT)
                                 .limit(1))
    assert kept or (source == "ctgov" and records)
    # The schedule tries it again after SOURCE_RETRY; it resumes where it stood.
    assert key not in state.sweeps.due()
    world.failures.clear()
    world.queries.clear()
    assert state.sweeps.claim(key, RUNNING)
    assert state.sweeps.run(key).outcome == "done"
    if resumed:
        assert resumed([q for k, q in world.queries if k == route.split("_")[0]][0])
    row = sweep_row(state, *key)
    assert row.watermark is not None and row.failures == 0
    assert row.complete == (source != "reddit")
    expected = {k: v for k, v in mentions_named(world).items() if k[0] == source}
    assert {k: v for k, v in filed(state).items() if k[0] == source} == expected
    if source == "ctgov":
        with state.db.session() as session:
            assert session.query(Trial).count() == 1500


def test_when_annotations_fail_articles_are_filed_under_the_ids_of_their_abstract(state, world):
    populate(world, trials=30, wiki_links=0, hn_items=0, articles=40, pubmed=0)
    world.fail("europepmc_annotations", *[Reply.text("Bad Gateway", status=502)] * 40)
    tallies = sweep_all(state, sources={"ctgov", "europepmc"})
    assert tallies[("europepmc", "")].outcome == "done"
    with_abstract = {f"MED:{a['id']}": set(NCT.findall(a["abstractText"]))
                     for a in world.articles if NCT.findall(a["abstractText"])}
    stored = {external: ids for (source, external), ids in filed(state).items()
              if source == "europepmc"}
    assert stored == with_abstract
    assert tallies[("europepmc", "")].as_dict()["skipped"] == 40 - len(with_abstract)


def test_a_pubmed_window_over_the_esearch_cap_is_split_by_days(state, world, monkeypatch):
    monkeypatch.setattr(pubmed_source, "SEARCH_CAP", 30)
    populate(world, trials=20, wiki_links=0, hn_items=0, articles=0, pubmed=100, days=10)
    sweep_all(state, sources={"pubmed"}, since=world.now - timedelta(days=12))
    windows = {(q["mindate"][0], q["maxdate"][0]) for k, q in world.queries if k == "pubmed"}
    assert len(windows) > 4
    assert {k for k in filed(state) if k[0] == "pubmed"} == {
        k for k in mentions_named(world) if k[0] == "pubmed"}


def test_the_schedule_runs_one_sweep_at_a_time_in_slices_and_never_when_off(make_app, world):
    populate(world, trials=1200, wiki_links=20, hn_items=20, articles=20, pubmed=10)
    # The searches alone: a due feed would go first (test_source_feeds).
    app = make_app(SWEEP_EVERY=86400, SWEEP_SLICE=0, EMBEDDED_WORKER=False,
                   SOURCES=[*SWEPT, "gdelt"])
    state = app.extensions["trialbuzz"]
    queued = []
    state.jobs.enqueue_sweep = lambda source, scope: queued.append((source, scope))
    tasks.tick(state, state.jobs)
    assert queued == [("ctgov", "")]                  # the registry first
    tasks.tick(state, state.jobs)
    assert queued == [("ctgov", "")]                  # one at a time
    tasks.sweep(state, "ctgov", "")                   # one slice: one page of two
    assert sweep_row(state, "ctgov").run["token"] and sweep_row(state, "ctgov").state == "idle"
    tasks.tick(state, state.jobs)
    assert queued[-1] == ("ctgov", "")                # resumed first
    tasks.sweep(state, "ctgov", "")
    assert sweep_row(state, "ctgov").watermark is not None
    tasks.tick(state, state.jobs)
    assert queued[-1] != ("ctgov", "")
    off = make_app(SWEEP_EVERY=0, EMBEDDED_WORKER=False,
                   DATABASE_URL=app.config["DATABASE_URL"] + ".off")
    off_state = off.extensions["trialbuzz"]
    off_state.jobs.enqueue_sweep = lambda source, scope: queued.append("off")
    tasks.tick(off_state, off_state.jobs)
    assert "off" not in queued and not off_state.sweeps.covered()


def test_a_swept_source_is_not_asked_when_the_trial_is_refreshed_but_still_checked(state, world):
    registered = populate(world, trials=20, wiki_links=40, hn_items=40, articles=40, pubmed=20)
    sweep_all(state)
    trial = registered[0]
    state.jobs.request(trial)
    tasks.refresh(state, trial)
    with state.db.session() as session:
        checks = {c.source: c for c in session.scalars(
            select(SourceCheck).where(SourceCheck.nct_id == trial))}
        stored = session.query(Mention).filter(Mention.nct_id == trial,
                                               Mention.source == "europepmc").count()
    assert set(SWEPT) <= set(checks) and checks["europepmc"].count == stored
    # Only Reddit, whose sweep cannot cover the history, is searched for the trial.
    assert world.per_trial == {"reddit": 2}


def test_the_sweep_command_prints_what_it_found(fake, world, tmp_path, monkeypatch):
    populate(world, trials=30, wiki_links=50, hn_items=80, articles=60, pubmed=30)
    point_cli_at(fake, tmp_path, monkeypatch)
    world.install(fake)
    monkeypatch.setenv("TRIALBUZZ_SWEEP_EVERY", "86400")
    from trialbuzz.cli import main

    result = CliRunner().invoke(main, ["sweep", "ctgov", "hackernews", "--since",
                                       (world.now - timedelta(days=40)).strftime("%Y-%m-%d")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ctgov: 1 pages") and "30 registry records" in lines[0]
    hn = {k for k in mentions_named(world) if k[0] == "hackernews"}
    assert lines[1].startswith("hackernews: ") and f"{len(hn)} mentions of" in lines[1]
    refused = CliRunner().invoke(main, ["sweep", "gdelt"])
    assert refused.exit_code != 0 and "not a source that can sweep" in refused.output


def test_real_answer_shapes_are_read(state, fake):
    """The reference samples of each bulk answer, served as they were recorded: the registry's
    documented listing (its placeholder page token followed once), a Wikipedia exturlusage page,
    a Hacker News page, a Europe PMC search page; items naming no trial are skipped."""
    from test_htmlreader import _sample

    listing = json.loads(_sample("api-v2-search-response.official-docs-example.json"))
    tokens = []

    def registry(request):
        tokens.append(request.arg("pageToken"))
        return Reply.json(listing if request.arg("pageToken") is None else {"studies": []})

    fake.route("/api/v2/studies", registry)
    fake.route("/en/w/api.php", Reply.text(_sample("wikipedia-exturlusage.json"),
                                           content_type="application/json"))
    fake.route("/hn/search_by_date", lambda request: Reply.text(
        _sample("hackernews-algolia.json") if request.arg("page") == "0"
        else json.dumps({"hits": [], "nbHits": 139, "page": 1, "nbPages": 139}),
        content_type="application/json"))
    fake.route("/search", lambda request: Reply.text(
        _sample("europepmc.json") if request.arg("cursorMark") == "*"
        else json.dumps({"hitCount": 0, "resultList": {"result": []}}),
        content_type="application/json"))
    fake.route("/annotations_api/annotationsByArticleIds", Reply.json([]))
    tallies = sweep_all(state, sources={"ctgov", "wikipedia", "hackernews", "europepmc"})
    assert {tally.outcome for tally in tallies.values()} == {"done"}
    assert tokens == [None, "abracadabra"]
    assert tallies[("ctgov", "")].as_dict()["records"] == 3
    assert state.trials.stored("NCT03630471").record["status"] == "COMPLETED"
    assert tallies[("wikipedia", "en")].as_dict()["skipped"] == 1
    assert tallies[("europepmc", "")].as_dict()["skipped"] == 25
    assert all(tally.as_dict()["mentions"] == 0 for key, tally in tallies.items())


def test_a_record_older_than_a_day_stays_fresh_while_the_registry_sweep_is_current(
        state, world, make_app):
    registered = populate(world, trials=10, wiki_links=10, hn_items=10, articles=10, pubmed=5,
                          unknown=0)
    sweep_all(state)
    trial = registered[0]
    with state.db.session() as session:
        session.get(Trial, trial).fetched_at = utcnow() - timedelta(days=3)
    client = make_app(SWEEP_EVERY=86400).test_client()
    for _ in range(2):                                   # built, then from the cache
        document = client.get(f"/api/v1/trials/{trial}").get_json()
        assert document["stale"] is False and document["state"] == "complete"
    assert trial not in world.fetched
    # Without a current registry sweep the same record is stale and fetched again.
    with state.db.session() as session:
        session.get(Sweep, ("ctgov", "")).succeeded_at = utcnow() - timedelta(days=9)
    client = make_app(SWEEP_EVERY=86400).test_client()
    assert client.get(f"/api/v1/trials/{trial}").get_json()["stale"] is True
