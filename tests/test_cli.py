"""The command line: init-db and lookup, pointed at the fake registry."""

import json
import re

import pytest
from click.testing import CliRunner

import upstreams
from conftest import point_cli_at
from fakeupstream import Reply
from records import study
from trialbuzz.cli import main


@pytest.fixture
def env(tmp_path, fake, ctgov, monkeypatch):
    """Environment pointing the CLI at a fresh database and every upstream at the fake."""
    point_cli_at(fake, tmp_path, monkeypatch)
    return ctgov


def test_init_db_creates_the_schema(env, tmp_path):
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    assert (tmp_path / "cli.sqlite3").exists()


def test_lookup_prints_the_trial_its_sources_score_and_latest_mentions(env):
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 0, result.output
    assert "NCT04280705  Adaptive COVID-19 Treatment Trial (ACTT)" in result.output
    assert "Completed" in result.output and "Phase 3" in result.output
    assert "score 13" in result.output
    lines = result.output.splitlines()
    gdelt = next(line for line in lines if "GDELT news" in line)
    assert gdelt.split()[-2:] == ["checked", "1"]
    assert any("Remdesivir trial results discussed" in line for line in lines)
    assert any("https://news.example.org/2026/11/remdesivir-trial" in line for line in lines)


def test_lookup_says_which_sources_are_missing_and_when_they_are_tried_again(env, fake):
    fake.route(upstreams.ROUTES["gdelt"], Reply.text("down", 500))
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "partial:" in line)
    assert re.fullmatch(r"  partial: 7 of 8 sources answered; GDELT news will be tried again "
                        r"at \d\d?:\d\d\.", line)
    assert "score 5" in result.output


def test_harvest_refreshes_ids_from_arguments_and_files(env, fake, tmp_path):
    env.add(study("NCT04292899", title="Second"))
    listing = tmp_path / "trials.txt"
    listing.write_text("NCT04292899\nnot an id\nNCT04280705 again\n")
    result = CliRunner().invoke(main, ["harvest", "NCT04280705", str(listing)])
    assert result.exit_code == 0, result.output
    assert "trials: 2 harvested, 0 failed" in result.output
    assert fake.count(upstreams.ROUTES["gdelt"]) == 2


def test_harvest_summarises_errors_per_source(env, fake):
    fake.route(upstreams.ROUTES["gdelt"], Reply.text("down", 500))
    env.add(study("NCT04292899", title="Second"))
    result = CliRunner().invoke(main, ["harvest", "NCT04280705", "NCT04292899", "NCT99999999"])
    assert result.exit_code == 0, result.output
    assert "trials: 2 harvested, 1 failed" in result.output
    assert "GDELT news: 2 trials with errors" in result.output
    assert "NCT99999999: ClinicalTrials.gov has no study NCT99999999" in result.output


def test_harvest_refuses_targets_that_are_neither_ids_nor_files(env):
    result = CliRunner().invoke(main, ["harvest", "/no/such/file"])
    assert result.exit_code == 2
    assert "neither an NCT ID nor a file" in result.output


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


def test_lookup_of_a_new_trial_waits_for_every_source(env, fake, monkeypatch):
    monkeypatch.setenv("TRIALBUZZ_COLD_WAIT", "0.2")
    fake.route(upstreams.ROUTES["gdelt"], lambda request: upstreams.gdelt(request, delay=1.0))
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 0, result.output
    gdelt = next(line for line in result.output.splitlines() if "GDELT news" in line)
    assert gdelt.split()[-2:] == ["checked", "1"]
    assert "score 13" in result.output


def test_lookup_notes_items_a_source_skipped(env, fake):
    fake.route("/gdelt/doc", Reply.json({"articles": [
        {"url": "https://news.example.org/a", "title": "Good", "seendate": "20261122T080000Z"},
        {"url": "http://[x/", "title": 5, "seendate": "99999999T999999Z"}, "not an article"]}))
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 0, result.output
    gdelt = next(line for line in result.output.splitlines() if "GDELT" in line)
    assert gdelt.rstrip().endswith("2 items skipped")


def test_lookup_without_a_worker_says_so_and_does_not_hang(env, monkeypatch):
    monkeypatch.setenv("TRIALBUZZ_EMBEDDED_WORKER", "0")
    monkeypatch.setattr("trialbuzz.cli.LOOKUP_WAIT", 0.5)
    result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
    assert result.exit_code == 1
    assert "trialbuzz worker" in result.output
    assert "being looked up" in result.output


def test_lookup_says_when_sources_are_still_collecting_rather_than_showing_final_figures(
        env, fake, monkeypatch):
    import os
    import subprocess
    import sys

    import trialbuzz.cli

    monkeypatch.setenv("TRIALBUZZ_EMBEDDED_WORKER", "0")
    monkeypatch.setenv("TRIALBUZZ_UPSTREAM_READ_TIMEOUT", "20")
    monkeypatch.setenv("TRIALBUZZ_COLD_WAIT", "2")
    monkeypatch.setattr(trialbuzz.cli, "LOOKUP_WAIT", 4.0)
    # A worker of its own, and one source slower than the lookup waits.
    fake.route(upstreams.ROUTES["gdelt"], lambda request: upstreams.gdelt(request, delay=10.0))
    worker = subprocess.Popen([sys.executable, "-m", "trialbuzz.cli", "worker"],
                              env=dict(os.environ), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        result = CliRunner().invoke(main, ["lookup", "NCT04280705"])
        as_json = CliRunner().invoke(main, ["lookup", "NCT04280705", "--json"])
    finally:
        worker.terminate()
        worker.wait(10)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "collecting…" in line)
    answered, asked = line.split("collecting… ")[1].split(" sources")[0].split(" of ")
    assert int(answered) < int(asked)
    assert "not final" in line
    document = json.loads(as_json.output)
    assert document["nct_id"] == "NCT04280705" and "collecting…" not in as_json.output


def test_sources_lists_each_state_and_what_a_keyed_source_still_needs(env, monkeypatch):
    result = CliRunner().invoke(main, ["sources"])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()[1:]}
    assert re.search(r"\bon\s+asked per trial; experimental$", lines["GDELT news"])
    # Sweeps are off in the tests: every source is asked per trial.
    assert re.search(r"\bon\s+asked per trial$", lines["Crossref"])
    assert lines["Mastodon"].endswith(
        "off    not configured (needs TRIALBUZZ_MASTODON_URL and TRIALBUZZ_MASTODON_TOKEN)")
    assert lines["OpenAlex"].endswith("off    not configured (needs TRIALBUZZ_OPENALEX_KEY)")
    assert lines["Bluesky"].endswith("off    TRIALBUZZ_BLUESKY_STREAM=1 turns it on")
    monkeypatch.setenv("TRIALBUZZ_MASTODON_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRIALBUZZ_OPENALEX_KEY", "some-key")
    monkeypatch.setenv("TRIALBUZZ_SWEEP_EVERY", "86400")
    result = CliRunner().invoke(main, ["sources"])
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()[1:]}
    assert lines["Mastodon"].endswith("not configured (needs TRIALBUZZ_MASTODON_TOKEN)")
    assert re.search(r"\bon\s+asked per trial$", lines["OpenAlex"])
    assert lines["Crossref"].endswith("on     asked per trial until its sweep covers every trial")
    assert "some-key" not in result.output


def test_serve_leaves_the_objects_of_its_start_out_of_the_collector_before_serving(
        env, monkeypatch):
    """A full garbage collection walks only what requests made, not the modules and app."""
    import gc

    from trialbuzz import serving

    frozen = []
    monkeypatch.setattr(serving, "serve", lambda app, **_: frozen.append(gc.get_freeze_count()))
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"])
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert frozen and frozen[0] > 10_000
