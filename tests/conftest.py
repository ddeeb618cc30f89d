"""Shared fixtures: a fake upstream on loopback, an app pointed at it, its client."""

import os
import shutil
import time

import pytest

from fakeupstream import FakeUpstream, Reply
from records import study
from services import postgres_database, postgres_url, redis_url  # noqa: F401 - fixtures
from trialbuzz import create_app, settings
from trialbuzz.storage.db import get_db

UPSTREAM_SETTINGS = ("CTGOV_URL", "EUROPEPMC_URL", "PUBMED_URL", "ALTMETRIC_URL",
                     "BLUESKY_APPVIEW_URL")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No test may connect anywhere but loopback: such a connect fails before any packet."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def fake():
    """A fake upstream serving every source from one loopback port."""
    server = FakeUpstream().start()
    yield server
    server.stop()


def app_config(tmp_path, fake_url, **overrides):
    """Settings for a test app: its own SQLite file, every upstream at the fake, quick retries."""
    import upstreams

    config = {name: fake_url for name in UPSTREAM_SETTINGS}
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(upstreams.feed_list(fake_url), encoding="utf-8")
    config.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "WIKIPEDIA_URL": fake_url + "/{lang}/w/api.php",
        "HN_URL": fake_url + "/hn",
        "GDELT_URL": fake_url + "/gdelt/doc",
        "CROSSREF_URL": fake_url + "/crossref",
        # Off (no key) unless a test gives one.
        "OPENALEX_URL": fake_url + "/openalex",
        "REDDIT_URL": fake_url + "/reddit",
        "REDDIT_OAUTH_URL": fake_url + "/reddit-oauth",
        "REDDIT_AUTH_URL": fake_url + "/reddit/api/v1/access_token",
        # Off unless a test turns it on with its own fake firehose; never anywhere else.
        "BLUESKY_JETSTREAM_URL": "ws://127.0.0.1:9/subscribe",
        "EUROPEPMC_ANNOTATIONS_URL": fake_url + "/annotations_api",
        # Bluesky's search runs only in tests that give it an account (upstreams.BLUESKY_ACCOUNT).
        "BLUESKY_PDS_URL": fake_url,
        # The fake's own feeds, never the list shipped in the package.
        "FEEDS_FILE": str(feeds_file),
        # Sweeps run only in the tests that ask for them.
        "SWEEP_EVERY": 0,
        "CONTACT": "tests@example.org",
        "UPSTREAM_BACKOFF": 0.01,
        "UPSTREAM_READ_TIMEOUT": 2.0,
        "UPSTREAM_CONNECT_TIMEOUT": 1.0,
        "CTGOV_RATE": None,
        "SOURCE_RATES": {"*": ""},
        "CLIENT_UPSTREAM_LIMIT": "100000/minute",
        # Room for a cold harvest on a loaded machine; tests of the pending state (and of pages
        # showing progress) set their own.
        "COLD_WAIT": 30.0,
        "PAGE_WAIT": 30.0,
        "TESTING": True,
    })
    config.update(overrides)
    return config


def refresh_now(app, *ids):
    """Run the refresh of each trial now, as a worker would (for apps with no embedded one)."""
    from trialbuzz.jobs import tasks

    state = app.extensions["trialbuzz"]
    for nct_id in ids:
        state.jobs.request(nct_id)
        tasks.refresh(state, nct_id)


def wait_for_jobs(app, *ids):
    """Wait (20 s at most) until no job of `ids` is queued or running in `app`'s workers."""
    jobs = app.extensions["trialbuzz"].jobs
    deadline = time.monotonic() + 20
    while any(jobs.status(i).active for i in ids) and time.monotonic() < deadline:
        time.sleep(0.05)


def point_cli_at(fake, tmp_path, monkeypatch):
    """Environment pointing the command line at a fresh database and every upstream at `fake`."""
    import upstreams
    from liveserver import as_environment

    upstreams.install(fake)
    config = app_config(tmp_path, fake.url, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    for name, value in as_environment(config).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def source_settings(tmp_path, fake):
    """Effective settings with every upstream at the fake; for building sources directly."""
    config = app_config(tmp_path, fake.url)
    config.pop("TESTING")
    # A source tested alone has the whole fake to itself, so it sits at the root.
    config.update(HN_URL=fake.url, GDELT_URL=fake.url)
    return settings.resolve(environ={}, overrides=config)


@pytest.fixture
def make_app(tmp_path, fake):
    """Build a migrated app pointed at the fake, with optional setting overrides."""
    apps = []

    def build(**overrides):
        app = create_app(app_config(tmp_path, fake.url, **overrides))
        get_db(app).migrate()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["trialbuzz"].jobs.shutdown()
        get_db(app).dispose()


@pytest.fixture
def app(make_app):
    """A migrated app pointed at the fake."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def ctgov(fake):
    """Serve real-shaped studies from the fake: `ctgov.add(record)`, aliases as 301s."""

    class Registry:
        def __init__(self):
            self.studies = {}
            self.aliases = {}

        def add(self, record):
            nct_id = record["protocolSection"]["identificationModule"]["nctId"]
            self.studies[nct_id] = record
            for alias in record["protocolSection"]["identificationModule"].get(
                    "nctIdAliases", []):
                self.aliases[alias] = nct_id
            return record

    registry = Registry()

    def handler(request, nct_id):
        wanted = nct_id.upper()
        if wanted in registry.aliases:
            return Reply(301, headers={"Location": f"/api/v2/studies/{registry.aliases[wanted]}"})
        if wanted in registry.studies:
            return Reply.json(registry.studies[wanted])
        return Reply.text(f"NCT number {wanted} not found", status=404)

    fake.route("/api/v2/studies/{nct_id}", handler)
    registry.add(study())
    return registry


def chromium_path():
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or ("/usr/bin/chromium"
                                        if os.path.exists("/usr/bin/chromium") else None)


LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium_executable():
    """Chromium's path; browser tests skip without it, but fail where it is required (CI)."""
    path = chromium_path()
    if path:
        return path
    if os.environ.get("TRIALBUZZ_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (TRIALBUZZ_REQUIRE_BROWSER) but not installed")
    pytest.skip("Debian's chromium is not installed")


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """Debian's Chromium driven by Playwright, shared by the browser tests of a run."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable,
                                              args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(fake, ctgov, tmp_path):
    """`trialbuzz serve` from this checkout as a real process, every upstream at the fake."""
    import sys

    import upstreams
    from liveserver import as_environment, running_server

    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield base


@pytest.fixture
def artifacts():
    """The folder where browser tests leave their screenshots (look at them)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path
