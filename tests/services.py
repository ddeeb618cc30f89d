"""Throwaway services on loopback for the tests: a redis-server and a PostgreSQL cluster.

A test needing one is skipped where its binaries are missing, and fails there instead when
TRIALBUZZ_REQUIRE_BROWSER is set (CI sets it: every service the suite uses must be present)."""

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from liveserver import free_port

REQUIRED = "TRIALBUZZ_REQUIRE_BROWSER"


def missing(what):
    """Skip the test for want of `what`, or fail it where the services are required."""
    if os.environ.get(REQUIRED):
        pytest.fail(f"{what} is required ({REQUIRED}) but not installed")
    pytest.skip(f"{what} is not installed")


class RedisServer(str):
    """The redis:// URL of a running server, which a test may stop early (an outage)."""

    process = None

    def stop(self):
        """Stop the server now (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def redis_server(timeout=10):
    """A redis-server on a free loopback port, nothing saved to disk; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server")
    redis = pytest.importorskip("redis")
    with tempfile.TemporaryDirectory(prefix="trialbuzz-redis-") as folder:
        port = free_port()
        log = open(os.path.join(folder, "log"), "w+")
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", folder],
            stdout=log, stderr=subprocess.STDOUT)
        server = RedisServer(f"redis://127.0.0.1:{port}/0")
        server.process = process
        try:
            client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"redis-server exited early:\n{log.read()}")
                try:
                    if client.ping():
                        break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            client.close()
            yield server
        finally:
            server.stop()
            log.close()


def postgres_binaries():
    """The folder of PostgreSQL's server binaries, or None."""
    initdb = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return os.path.dirname(os.path.realpath(initdb)) if initdb else None


def _as_postgres(*command):
    """Run a server command, as the postgres user when we are root (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)


@contextmanager
def postgres_cluster():
    """A PostgreSQL cluster on 127.0.0.1, trust authentication, removed afterwards; yields
    the SQLAlchemy URL of its `postgres` database."""
    binaries = postgres_binaries()
    if binaries is None:
        missing("PostgreSQL's server")
    pytest.importorskip("psycopg")
    # Not under pytest's own temporary folder: that is private to root, and the server runs
    # as the postgres user.
    base = Path(tempfile.mkdtemp(prefix="trialbuzz-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = free_port()
    try:
        _as_postgres(os.path.join(binaries, "initdb"), "-D", str(data), "--auth=trust",
                     "-U", "postgres", "--no-instructions")
        _as_postgres(os.path.join(binaries, "pg_ctl"), "-D", str(data), "-w",
                     "-l", str(base / "log"),
                     "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off",
                     "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _as_postgres(os.path.join(binaries, "pg_ctl"), "-D", str(data), "-m", "immediate",
                         "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


_databases = itertools.count(1)


@contextmanager
def fresh_database(cluster_url):
    """A new, empty database on the cluster at `cluster_url`; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"test_{os.getpid()}_{next(_databases)}"
    admin = create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield cluster_url.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def redis_url():
    """The URL of a redis-server of this test's own (`.stop()` simulates an outage)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url():
    """The `postgres` database of a PostgreSQL cluster shared by the whole run."""
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url):
    """The URL of a fresh, empty database of this test's own on the shared cluster."""
    with fresh_database(postgres_url) as url:
        yield url
