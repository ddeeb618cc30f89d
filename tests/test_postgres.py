"""The same storage on PostgreSQL: migrations, a full cold lookup, concurrent upserts.

Each test has a fresh database on the run's throwaway cluster (tests/services.py)."""

from datetime import datetime, timezone

import pytest

import upstreams
from concurrency import errors_of_workers
from conftest import app_config, wait_for_jobs


@pytest.fixture
def pg_app(postgres_database, tmp_path, fake, ctgov):
    """An app on a fresh database of the cluster, every upstream at the fake."""
    from trialbuzz import create_app
    from trialbuzz.storage.db import get_db

    upstreams.install(fake)
    app = create_app(app_config(tmp_path, fake.url, DATABASE_URL=postgres_database))
    get_db(app).migrate()
    yield app
    # Before the cluster stops at the run's end: a job still running would fail to connect.
    app.extensions["trialbuzz"].jobs.shutdown()
    get_db(app).dispose()


def test_a_cold_lookup_on_postgresql_gives_the_full_document(pg_app):
    client = pg_app.test_client()
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    assert document["score"] == 13 and document["publications"]["total"] == 3
    again = client.get("/api/v1/trials/NCT04280705?refresh=1").get_json()
    assert again["counts"] == document["counts"]


def test_concurrent_upserts_on_postgresql_do_not_collide(pg_app):
    from records import study
    from trialbuzz.attention.harvest import Harvester, Outcome
    from trialbuzz.attention.sources.base import Mention
    from trialbuzz.registry.ctgov import parse_study
    from trialbuzz.storage.db import get_db
    from trialbuzz.storage.models import Trial

    db = get_db(pg_app)
    with db.session() as session:
        session.add(Trial(nct_id="NCT04280705", record=parse_study(study()),
                          fetched_at=datetime.now(timezone.utc)))
    harvester = Harvester(db, [], pg_app.config)
    mentions = [Mention("gdelt", "news", f"id-{n}", f"https://news.example.org/{n}")
                for n in range(150)]

    def store(_worker):
        harvester.store("NCT04280705", [Outcome("gdelt", "ok", mentions=list(mentions))])

    assert errors_of_workers(store, 6) == []
    document = pg_app.test_client().get("/api/v1/trials/NCT04280705")
    assert document.status_code == 200


def test_work_on_postgresql_is_claimed_once_and_a_lost_lease_again(pg_app):
    from datetime import timedelta

    from sqlalchemy import update

    from trialbuzz.storage.models import Work

    state = pg_app.extensions["trialbuzz"]
    assert state.work.request("NCT04280705") == "created"
    assert state.work.request("NCT04280705") is None           # already queued
    assert state.work.start("NCT04280705") is not None          # a worker took it, then died
    assert state.work.request("NCT04280705") is None           # its lease still runs
    with state.db.session() as session:
        session.execute(update(Work).values(lease_until=datetime.now(timezone.utc)
                                            - timedelta(seconds=1)))
    assert state.work.request("NCT04280705") == "claimed"
    assert state.work.status("NCT04280705").state == "queued"


def test_collections_read_in_bulk_and_scheduled_on_postgresql(pg_app):
    from trialbuzz.jobs import tasks

    client = pg_app.test_client()
    assert client.get("/api/v1/trials/NCT04280705").status_code == 200
    made = client.post("/api/v1/collections", json={
        "name": "On PostgreSQL", "nct_ids": ["NCT04280705", "NCT04368728"]}).get_json()
    payload = client.get(f"/api/v1/collections/{made['id']}").get_json()
    assert payload["totals"]["score"] == 13
    assert payload["trials"][0]["mentions_total"] == 7
    assert len(payload["trials"][0]["mentions"]) == 5
    assert client.get(f"/collections/{made['id']}").status_code == 200
    assert client.get(f"/collections/{made['id']}/feed.atom").status_code == 200
    # A page of one: the totals of both from their tallies, read by PostgreSQL's JSON operators.
    wait_for_jobs(pg_app, "NCT04368728")    # its lookup settled: both reads see the same
    second = client.get(f"/api/v1/collections/{made['id']}?offset=1&limit=1").get_json()
    both = client.get(f"/api/v1/collections/{made['id']}").get_json()
    assert second["totals"] == both["totals"] and second["trials"] == both["trials"][1:]
    state = pg_app.extensions["trialbuzz"]
    with pg_app.test_request_context():
        tallied = state.attention.tallies(["NCT04280705", "NCT04368728"])
    assert tallied[0]["score"] == 13 and tallied[0]["kinds"]["news"] == 1
    assert tallied[0]["title"] == payload["trials"][0]["title"] and tallied[0]["latest"]
    # Months counted by PostgreSQL in UTC, whatever the session's time zone.
    from test_collections import add_edge_mentions, plain_counts

    from trialbuzz.attention import bulk

    add_edge_mentions(state.db, "NCT04280705")
    with state.db.engine.begin() as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET timezone TO '
                                   "'Pacific/Auckland'")
    state.db.dispose()
    counts = bulk.monthly_kinds(state.db, ["NCT04280705"])
    assert ((2026, 10), "news", 1) in counts          # in Auckland, already November
    assert sorted(counts, key=str) == plain_counts(state.db, ["NCT04280705"])
    # Every moment reads back in UTC, whatever the session's zone: the rows the documents,
    # tallies and feeds are made of say the same day as the chart.
    from datetime import timedelta

    from trialbuzz.storage.models import Mention

    with state.db.session() as session:
        late = session.query(Mention).filter_by(external_id="late").one().published_at
    assert late.utcoffset() == timedelta(0) and (late.month, late.day) == (10, 31)
    found = bulk.read(state.db, ["NCT04280705"], 50)
    assert all(m.published_at is None or m.published_at.utcoffset() == timedelta(0)
               for m in found.mentions["NCT04280705"][0])
    assert state.collections.due(datetime.now(timezone.utc), 50) == ["NCT04280705"]
    tasks.tick(state, state.jobs)


def test_explorer_answers_on_postgresql_match_a_plain_reading(pg_app, ctgov, monkeypatch):
    """The trigram index (pg_trgm) and the other indexed paths answer as the tables say, and
    so they do after the Explorer's indexes are dropped and made again from stored rows."""
    import explorestore

    from trialbuzz.attention import explore
    from trialbuzz.storage.db import get_db

    assert explorestore.check(pg_app, ctgov) > 40
    # The pages read from the trials the filters name rather than by walking the order.
    walk = explore.WALK_ROWS
    monkeypatch.setattr(explore, "WALK_ROWS", 0)
    assert explorestore.compare(pg_app) > 40
    db = get_db(pg_app)
    with db.engine.connect() as connection:
        # The words are found through a trigram index of a table of the trials with attention.
        made = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_trial_search_search'").scalar()
    assert "gin_trgm_ops" in made and "trial_search" in made
    kept = explorestore.day_rows(pg_app)
    explorestore.migrate_again(pg_app, "0009")
    assert explorestore.day_rows(pg_app) == kept
    assert explorestore.compare(pg_app) > 40
    # A mention dated ahead: a window ending today no longer reaches every mention.
    explorestore.add_undated_and_ahead(pg_app, ctgov)
    assert explorestore.compare(pg_app) > 40
    monkeypatch.setattr(explore, "WALK_ROWS", walk)
    assert explorestore.compare(pg_app) > 40
    # The search table follows every write of trial_index, whoever makes it.
    with db.engine.begin() as connection:
        def rows(where):
            return set(connection.exec_driver_sql(f"SELECT nct_id, search FROM {where}").all())

        indexed = "trial_index WHERE attention"
        assert rows("trial_search") == rows(indexed) and len(rows(indexed)) > 20
        connection.exec_driver_sql(
            "UPDATE trial_index SET attention = NOT attention WHERE nct_id IN "
            "(SELECT nct_id FROM trial_index ORDER BY nct_id LIMIT 6)")
        connection.exec_driver_sql(
            "UPDATE trial_index SET search = search || ' zebra' WHERE nct_id IN "
            "(SELECT nct_id FROM trial_index ORDER BY nct_id DESC LIMIT 6)")
        connection.exec_driver_sql(
            "DELETE FROM trial_index WHERE nct_id = "
            "(SELECT max(nct_id) FROM trial_index WHERE attention)")
        connection.exec_driver_sql("UPDATE trial_index SET score = score + 1")
        assert rows("trial_search") == rows(indexed)
        zebras = sorted(nct_id for nct_id, search in rows(indexed) if "zebra" in search)
    assert zebras
    # (The facets do not follow such writes: only words are asked.)
    pg_app.extensions["trialbuzz"].attention.totals.forget()  # another process's writes
    assert explorestore.compare(pg_app, asking={"q", "offset", "limit"}) > 10
    found = pg_app.test_client().get("/api/v1/explore?q=Zebra").get_json()
    assert (found["total"], sorted(t["nct_id"] for t in found["trials"])) == \
        (len(zebras), zebras)
