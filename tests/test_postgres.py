"""The same storage on PostgreSQL: migrations, a full cold lookup, concurrent upserts.

A throwaway cluster is started on a loopback port for this module; skipped where PostgreSQL's
server binaries or psycopg are not installed."""

import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

import upstreams
from concurrency import errors_of_workers
from conftest import app_config
from liveserver import free_port

psycopg = pytest.importorskip("psycopg")
INITDB = shutil.which("initdb") or next(
    (p for p in sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin/initdb"))), None)
if INITDB is None:
    pytest.skip("PostgreSQL server binaries are not installed", allow_module_level=True)
BIN = os.path.dirname(os.path.realpath(INITDB))


def as_postgres(*command):
    """Run a server command, as the postgres user when we are root (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL cluster on 127.0.0.1, trust authentication, removed afterwards."""
    # Not under pytest's own temporary folder: that is private to root, and the server runs
    # as the postgres user.
    base = Path(tempfile.mkdtemp(prefix="trialbuzz-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = free_port()
    as_postgres(os.path.join(BIN, "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
                "--no-instructions")
    as_postgres(os.path.join(BIN, "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"),
                "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base}", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(os.path.join(BIN, "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_app(postgres_url, tmp_path, fake, ctgov):
    """An app on a fresh schema of the cluster, every upstream at the fake."""
    from sqlalchemy import create_engine, text

    from trialbuzz import create_app
    from trialbuzz.storage.db import get_db

    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upstreams.install(fake)
    app = create_app(app_config(tmp_path, fake.url, DATABASE_URL=postgres_url))
    get_db(app).migrate()
    yield app
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
