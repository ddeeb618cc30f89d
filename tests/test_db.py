"""Storage: migrations build the schema, idempotently; SQLite runs in WAL mode."""

from sqlalchemy import inspect, text

from trialbuzz.storage.db import Database


def test_migrations_create_every_table_and_can_run_twice(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    database.migrate()
    database.migrate()
    tables = set(inspect(database.engine).get_table_names())
    assert {"trials", "trial_aliases", "mentions", "source_checks", "alembic_version"} <= tables
    uniques = inspect(database.engine).get_unique_constraints("mentions")
    assert any(set(u["column_names"]) == {"nct_id", "source", "external_id"} for u in uniques)
    database.dispose()


def test_a_sqlite_store_with_planner_statistics_has_them_for_indexes_made_since(tmp_path):
    """An index a migration makes gets statistics when the store's others have them (the
    planner would otherwise take it for the most selective); a store without any stays so."""
    def indexes_with_statistics(database):
        with database.engine.connect() as connection:
            if not connection.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                return set()
            return {row[0] for row in connection.exec_driver_sql("SELECT idx FROM sqlite_stat1")}

    analyzed = Database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    plain = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    for database in (analyzed, plain):
        database.migrate("0011")
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO trials (nct_id, record, fetched_at) VALUES "
                "('NCT00000001', '{}', '2026-01-01 00:00:00.000000')")
            connection.exec_driver_sql(
                "INSERT INTO trial_index (nct_id, search, attention, score, trend) "
                "VALUES ('NCT00000001', 'nct00000001', 1, 3, 0)")
    with analyzed.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    assert "ix_trial_index_id" not in indexes_with_statistics(analyzed)
    for database in (analyzed, plain):
        database.migrate()
    assert {"ix_trial_index_id", "ix_trial_index_score"} <= indexes_with_statistics(analyzed)
    assert indexes_with_statistics(plain) == set()
    for database in (analyzed, plain):
        database.dispose()


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with database.session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    database.dispose()


def test_session_rolls_back_on_error(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    database.migrate()
    try:
        with database.session() as session:
            session.execute(text("INSERT INTO trials (nct_id, record, fetched_at) "
                                 "VALUES ('NCT01234567', '{}', '2026-01-01')"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM trials")).scalar() == 0
    database.dispose()


def test_a_stored_value_nested_past_the_cap_reads_as_empty_not_a_recursion_error(tmp_path):
    from trialbuzz.storage.models import Trial

    database = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    database.migrate()
    deep = '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with database.session() as session:
        session.execute(text("INSERT INTO trials (nct_id, record, fetched_at) "
                             "VALUES ('NCT01234567', :record, '2026-01-01')"), {"record": deep})
    with database.session() as session:
        assert session.get(Trial, "NCT01234567").record == {}
    database.dispose()


def test_the_store_refuses_to_write_nan_as_postgresql_would(tmp_path):
    import math
    from datetime import datetime, timezone

    import pytest
    from sqlalchemy.exc import StatementError

    from trialbuzz.storage.models import Trial

    database = Database(f"sqlite:///{tmp_path / 'n.sqlite3'}")
    database.migrate()
    with pytest.raises(StatementError, match="not JSON compliant"):
        with database.session() as session:
            session.execute(Trial.__table__.insert().values(
                nct_id="NCT01234567", record={"enrollment": math.nan},
                fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    database.dispose()
