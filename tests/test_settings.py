"""Settings precedence: defaults, then TRIALBUZZ_* environment, then the mapping."""

from trialbuzz import create_app, settings


def test_defaults_apply_without_environment():
    config = settings.resolve(environ={})
    assert config["CTGOV_URL"] == "https://clinicaltrials.gov"
    assert config["FRESHNESS"] == 6 * 3600
    assert config["FETCH_ALLOW_HOSTS"] == []
    assert config["SOURCES"] is None


def test_environment_overrides_defaults_and_mapping_overrides_environment():
    environ = {"TRIALBUZZ_CTGOV_URL": "http://127.0.0.1:9", "TRIALBUZZ_FRESHNESS": "60",
               "TRIALBUZZ_FETCH_ALLOW_HOSTS": "127.0.0.1:8001, localhost:8002",
               "TRIALBUZZ_CONTACT": "env@example.org"}
    config = settings.resolve(environ=environ, overrides={"CONTACT": "map@example.org"})
    assert config["CTGOV_URL"] == "http://127.0.0.1:9"
    assert config["FRESHNESS"] == 60
    assert config["FETCH_ALLOW_HOSTS"] == ["127.0.0.1:8001", "localhost:8002"]
    assert config["CONTACT"] == "map@example.org"


def test_create_app_reads_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALBUZZ_PUBLIC_URL", "https://buzz.example.org/")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["PUBLIC_URL"] == "https://buzz.example.org"


def test_default_database_lives_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("TRIALBUZZ_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"].startswith("sqlite:///")
    assert app.config["DATABASE_URL"].endswith("/trialbuzz.sqlite3")
    assert app.instance_path in app.config["DATABASE_URL"]
