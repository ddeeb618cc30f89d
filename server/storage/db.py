"""The database: one SQLAlchemy engine per app, sessions, and Alembic migrations."""

import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from trialbuzz import strictjson

MIGRATIONS = Path(__file__).with_name("migrations")
EXTENSION = "trialbuzz.storage.db"


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url):
        self.url = url
        # Strict JSON both ways, as PostgreSQL's json type wants; a stored value nested past
        # what we ever write reads as empty rather than blowing the decoder's recursion.
        kwargs = {"future": True, "pool_pre_ping": True, "json_serializer": strictjson.dumps,
                  "json_deserializer": _stored_json}
        if url.startswith("sqlite"):
            # The thread pool of a running app shares connections across threads; SQLite
            # must allow that, and wait for the writer rather than fail with "locked".
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        """Yield a session that commits on success and rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self, revision="head"):
        """Bring the schema to `revision` with Alembic.

        On SQLite, a store whose planner statistics were gathered (ANALYZE) gathers them again
        when its schema changed: an index made since would have none beside others that do,
        and SQLite's planner then takes it for the most selective of all."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if connection.dialect.name == "sqlite" and connection.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() and \
                    MigrationContext.configure(connection).get_current_revision() != before:
                connection.exec_driver_sql("ANALYZE")

    def dispose(self):
        """Close every pooled connection."""
        self.engine.dispose()


def _stored_json(text):
    """A stored JSON value; one nested too deep to read safely is read as an empty object."""
    try:
        return strictjson.loads_stored(text)
    except ValueError:
        return {}


def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets readers proceed while one writer commits; foreign keys are off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def default_url(instance_path):
    """The embedded default: a SQLite file in the instance folder."""
    os.makedirs(instance_path, exist_ok=True)
    return "sqlite:///" + os.path.join(instance_path, "trialbuzz.sqlite3")


def init_app(app):
    """Attach the app's Database; the schema is created by `migrate` (`trialbuzz init-db`)."""
    url = app.config.get("DATABASE_URL") or default_url(app.instance_path)
    app.config["DATABASE_URL"] = url
    app.extensions[EXTENSION] = Database(url)


def get_db(app):
    """Return the Database attached to `app`."""
    return app.extensions[EXTENSION]
