"""Reading what a person typed: an NCT ID, a page address, or a message saying what was
expected; the same in the lookup box, the API and the command line, with no lookup for a typo."""

from html import escape
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from conftest import point_cli_at
from trialbuzz.cli import main
from trialbuzz.errors import BadRequest
from trialbuzz.resolution import fetch
from trialbuzz.resolution.lookup import Lookup, read

ID_MESSAGE = "expected NCT followed by exactly 8 digits"
WORD_MESSAGE = "enter an NCT ID or a page address"

READ = [
    ("NCT04280705", Lookup(nct_id="NCT04280705")),
    ("  nct04280705 ", Lookup(nct_id="NCT04280705")),
    ("https://clinicaltrials.gov/study/NCT04280705",
     Lookup(url="https://clinicaltrials.gov/study/NCT04280705")),
    ("HTTP://example.org/page", Lookup(url="HTTP://example.org/page")),
    ("example.org/page", Lookup(url="https://example.org/page")),
    ("www.example.org", Lookup(url="https://www.example.org")),
    ("clinicaltrials.gov/study/NCT04280705",
     Lookup(url="https://clinicaltrials.gov/study/NCT04280705")),
    ("example.org:8443/a?b=c#d", Lookup(url="https://example.org:8443/a?b=c#d")),
    ("127.0.0.1:5000/page", Lookup(url="https://127.0.0.1:5000/page")),
    ("bücher.example/seite", Lookup(url="https://bücher.example/seite")),
]
REFUSED = [
    ("NCT1", ID_MESSAGE), ("nct 0123 4567", ID_MESSAGE), ("NCT-0123456", ID_MESSAGE),
    ("NCT", ID_MESSAGE), ("nct04280705 1", ID_MESSAGE), ("NCT00000000", ID_MESSAGE),
    ("04280705", ID_MESSAGE), ("NCT 04280705", ID_MESSAGE),
    ("aspirin", WORD_MESSAGE), ("hello", WORD_MESSAGE), ("localhost", WORD_MESSAGE),
    ("two words.org", WORD_MESSAGE), ("3.14", WORD_MESSAGE), ("example.123", WORD_MESSAGE),
    ("NCT04280705x", WORD_MESSAGE), ("javascript:alert(1)", WORD_MESSAGE),
    ("<b>hi</b>", WORD_MESSAGE), ("ftp://example.org/x", "only http and https"),
    ("https://example.org/" + "a" * 4100, "longer than 4096 characters"),
]


@pytest.mark.parametrize("text, expected", READ)
def test_ids_and_page_addresses_are_read_as_meant(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text, message", REFUSED)
def test_typos_and_words_get_a_message_saying_what_was_expected(text, message):
    with pytest.raises(BadRequest) as refused:
        read(text)
    assert message in refused.value.message
    assert refused.value.status == 400


class RecordingResolver:
    """A resolver stub: records every name asked for, answers none."""

    def __init__(self):
        self.names = []

    def __call__(self, host, *args, **kwargs):
        self.names.append(host)
        raise OSError(-2, "Name or service not known")


@pytest.fixture
def resolver(app):
    """Every name the app's page fetcher would look up, recorded and unanswered."""
    recording = RecordingResolver()
    app.extensions["trialbuzz"].fetcher.resolver = recording
    return recording


@pytest.mark.parametrize("text, message", [(t, m) for t, m in REFUSED if "4096" not in m])
def test_the_lookup_box_answers_typos_with_the_message_and_looks_nothing_up(
        client, resolver, text, message):
    response = client.get("/?q=" + quote(text, safe=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert escape(message, quote=False) in html
    assert "<b>hi</b>" not in html
    assert resolver.names == []


def test_the_lookup_box_refuses_an_over_long_input(client, resolver):
    response = client.get("/?q=" + quote("https://example.org/" + "a" * 4100, safe=""))
    assert response.status_code == 400
    assert "longer than 4096 characters" in response.get_data(as_text=True)
    assert resolver.names == []


@pytest.mark.parametrize("text, message", REFUSED[:12])
def test_the_api_gives_the_same_messages(client, resolver, text, message):
    response = client.get("/api/v1/resolve?url=" + quote(text, safe=""))
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    assert resolver.names == []


def test_the_api_reads_a_bare_id_as_itself(client):
    body = client.get("/api/v1/resolve?url=nct04280705").get_json()
    assert body == {"url": "nct04280705", "nct_ids": ["NCT04280705"],
                    "primary": "NCT04280705", "truncated": False}


def test_a_page_whose_name_does_not_resolve_is_reported_without_the_resolvers_words(
        client, resolver):
    # A page address by its shape (a reserved name); the stub resolver answers nothing.
    response = client.get("/?q=page.test/article")
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "could not resolve page.test" in html
    assert "Name or service not known" not in html and "Errno" not in html
    assert resolver.names == ["page.test"]


@pytest.fixture
def cli_env(tmp_path, fake, ctgov, monkeypatch):
    """The command line pointed at the fake, its page fetcher's resolver recording."""
    point_cli_at(fake, tmp_path, monkeypatch)
    recording = RecordingResolver()
    real_init = fetch.PageFetcher.__init__

    def recorded(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.resolver = recording

    monkeypatch.setattr(fetch.PageFetcher, "__init__", recorded)
    return recording


@pytest.mark.parametrize("text, message", REFUSED)
def test_the_command_line_gives_the_same_messages_and_exit_code_2(cli_env, text, message):
    result = CliRunner().invoke(main, ["lookup", text])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert cli_env.names == []


def test_the_command_line_looks_a_dotted_host_up_as_a_page(cli_env):
    result = CliRunner().invoke(main, ["lookup", "page.test/article"])
    assert result.exit_code == 1
    assert "could not resolve page.test" in result.output
    assert "Name or service not known" not in result.output
    assert cli_env.names == ["page.test"]
