"""The command line: init-db and lookup, pointed at the fake registry."""

import json

import pytest
from click.testing import CliRunner

from records import study
from trialbuzz.cli import main


@pytest.fixture
def env(tmp_path, fake, ctgov, monkeypatch):
    """Environment pointing the CLI at a fresh database and the fake registry."""
    monkeypatch.setenv("TRIALBUZZ_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("TRIALBUZZ_CTGOV_URL", fake.url)
    monkeypatch.setenv("TRIALBUZZ_CTGOV_RATE", "")
    monkeypatch.setenv("TRIALBUZZ_UPSTREAM_BACKOFF", "0.01")
    return ctgov


def test_init_db_creates_the_schema(env, tmp_path):
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    assert (tmp_path / "cli.sqlite3").exists()


def test_lookup_prints_a_summary(env):
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 0, result.output
    assert "NCT04280705  Adaptive COVID-19 Treatment Trial (ACTT)" in result.output
    assert "Completed" in result.output and "Phase 3" in result.output


def test_lookup_json_of_an_alias_by_url(env):
    env.add(study("NCT00010647", aliases=["NCT00009113"]))
    result = CliRunner().invoke(main, ["lookup", "https://clinicaltrials.gov/study/NCT00009113",
                                       "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["nct_id"] == "NCT00010647"
    assert document["requested_id"] == "NCT00009113"


@pytest.mark.parametrize("target, message", [
    ("NCT99999999", "no study NCT99999999"),
    ("https://clinicaltrials.gov/search?term=cancer", "no NCT ID found"),
    ("ftp://example.org/x", "http"),
])
def test_lookup_failures_exit_non_zero_with_a_message(env, target, message):
    result = CliRunner().invoke(main, ["lookup", target])
    assert result.exit_code != 0
    assert message in result.output
