"""The words people read: source names, kinds with their plurals, states and numbers, one table
for every surface; and no public page names a setting."""

import re

import pytest

from trialbuzz.attention import sources, words
from trialbuzz.attention.kinds import KINDS


@pytest.mark.parametrize("value, shown", [
    (0, "0"), (8, "8"), (8.0, "8"), (1234, "1,234"), (1234567, "1,234,567"), (0.25, "0.25"),
    (0.5, "0.5"), (2.125, "2.12"), (1234.5, "1,234.5"), (-3, "-3"), (None, ""), ("n/a", "n/a"),
])
def test_numbers_are_written_as_people_write_them(value, shown):
    assert words.number(value) == shown


@pytest.mark.parametrize("kind, count, shown", [
    ("news", 1, "1 news story"), ("news", 2, "2 news stories"),
    ("wikipedia", 1, "1 Wikipedia page"), ("forum", 1, "1 forum post"),
    ("forum", 0, "0 forum posts"), ("publication", 1204, "1,204 publications"),
    ("link", 2, "2 links in the record"), ("podcast", 2, "2 podcast mentions"),
])
def test_a_count_of_a_kind_is_said_in_words(kind, count, shown):
    assert words.noun(kind, count) == shown


@pytest.mark.parametrize("source_id, name", [
    ("ctgov", "ClinicalTrials.gov"), ("europepmc", "Europe PMC"), ("pubmed", "PubMed"),
    ("hackernews", "Hacker News"), ("gdelt", "GDELT news"), ("wikipedia", "Wikipedia"),
    ("altmetric", "Altmetric"),
])
def test_every_source_has_a_name_for_people(source_id, name):
    assert words.source_label(source_id) == name


def test_every_registered_source_and_kind_is_in_the_table():
    for source_class in sources.REGISTRY:
        assert source_class.name == words.SOURCES[source_class.id]
    for kind in KINDS:
        assert KINDS[kind]["label"] == words.kind_label(kind)
        assert kind in words.KINDS


def test_one_mention_is_named_as_a_label():
    assert [words.one_of(k) for k in ("news", "wikipedia", "forum", "podcast")] == [
        "News story", "Wikipedia page", "Forum post", "Podcast mention"]


def test_states_are_said_in_words():
    assert [words.status_label(s) for s in ("ok", "error", "rate_limited", "pending",
                                            "disabled")] == [
        "checked", "failed", "rate-limited", "waiting", "not used on this server"]


def test_the_scripts_get_the_same_words():
    said = words.for_scripts()
    assert said["sources"]["europepmc"] == "Europe PMC"
    assert said["kinds"]["news"] == {"label": "News", "one": "news story",
                                     "many": "news stories"}


@pytest.fixture
def harvested(client, fake, ctgov):
    """A trial whose attention has been gathered from every fake source."""
    import upstreams
    upstreams.install(fake)
    assert client.get("/api/v1/trials/NCT04280705").status_code == 200
    return client


PUBLIC_PAGES = ["/", "/?q=NCT04280705", "/trial/NCT04280705", "/about/score", "/bookmarklet",
                "/demo/study/NCT04280705", "/popup?ids=NCT04280705", "/trial/NCT99999999",
                "/no/such/page", "/badge/NCT04280705.svg", "/badge/NCT04280705.svg?style=donut"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_public_page_names_a_setting_or_a_source_id(harvested, path):
    body = harvested.get(path).get_data(as_text=True)
    assert "TRIALBUZZ_" not in body
    # Ids only inside attributes and URLs (hrefs, classes), never in text people read.
    text = re.sub(r"<[^>]*>", " ", body)
    for source_id in ("hackernews", "europepmc", "ctgov", "gdelt"):
        assert not re.search(rf"(?<![\w./-]){source_id}(?![\w.-])", text), (path, source_id)


def test_the_details_page_says_kinds_sources_and_states_in_words(harvested):
    html = harvested.get("/trial/NCT04280705").get_data(as_text=True)
    assert "1 news story" in html and "2 forum posts" in html and "1 Wikipedia page" in html
    assert '<div class="meta">Hacker News' in html
    assert re.search(r"<td>Altmetric</td>\s*<td[^>]*><span class=\"status status-disabled\">"
                     r"not used on this server</span>", html)
    assert re.search(r"<td>Hacker News</td>\s*<td[^>]*><span class=\"status status-ok\">checked",
                     html)


def test_the_badge_names_what_the_score_is_made_of(harvested):
    svg = harvested.get("/badge/NCT04280705.svg?style=donut").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", svg).group(1)
    assert "1 news story" in title and "2 forum posts" in title and "1 Wikipedia page" in title


def test_the_api_says_a_source_is_off_without_naming_its_setting(harvested):
    document = harvested.get("/api/v1/trials/NCT04280705").get_json()
    altmetric = next(s for s in document["sources"] if s["id"] == "altmetric")
    assert altmetric["status"] == "disabled" and altmetric["error"] == "not used on this server"
    assert altmetric["name"] == "Altmetric"


def test_the_command_line_tells_the_operator_which_setting_turns_a_source_on(harvested, app):
    from trialbuzz.cli import _print_trial
    from trialbuzz.state import state

    with app.test_request_context():
        document = state().attention.document("NCT04280705", "http://127.0.0.1")
    import click.testing

    runner = click.testing.CliRunner()
    result = runner.invoke(click.command()(lambda: _print_trial(document, app.config)))
    assert result.exit_code == 0, result.output
    altmetric = next(line for line in result.output.splitlines() if "Altmetric" in line)
    assert "off" in altmetric and "needs TRIALBUZZ_ALTMETRIC_KEY" in altmetric
    assert "1 news story, 1 Wikipedia page, 2 forum posts" in result.output
    assert "Hacker News" in result.output and " hackernews " not in result.output


def test_serve_tells_the_operator_which_sources_are_off(make_app):
    import click.testing

    from trialbuzz.cli import _say_sources_off

    app = make_app(SOURCES=["ctgov", "pubmed"])
    result = click.testing.CliRunner().invoke(
        click.command()(lambda: _say_sources_off(app.config)))
    assert "Altmetric is off: not configured (needs TRIALBUZZ_ALTMETRIC_KEY)" in result.output
    assert "Hacker News is off: not enabled (TRIALBUZZ_SOURCES)" in result.output
    assert "PubMed" not in result.output
