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
