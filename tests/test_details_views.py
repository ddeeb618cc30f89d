"""The details page and the exports: record, score, timeline, mentions, sources, snippets."""

import csv
import io
import re

import pytest

import quiet
import upstreams
from fakeupstream import Reply
from records import reference, study
from trialbuzz.attention.harvest import Outcome
from trialbuzz.attention.sources.base import Mention

QUIET = "NCT04292899"


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study(references=[reference("33052335")]))
    ctgov.add(study(QUIET, title="Quiet trial"))
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"], title="Merged study"))
    upstreams.install(fake)
    quiet.install(fake, QUIET)
    return fake


def page(client, nct_id="NCT04280705"):
    response = client.get(f"/trial/{nct_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_header_shows_the_record(client, world):
    html = page(client)
    assert "<h1>Adaptive COVID-19 Treatment Trial (ACTT)</h1>" in html
    for fact in ("Completed", "Phase 3", "National Institute of Allergy and Infectious Diseases",
                 "2020-02-21", "2020-05", "1,062", "Posted", "COVID-19", "ACTT"):
        assert fact in html
    assert 'href="https://clinicaltrials.gov/study/NCT04280705"' in html


def test_score_donut_and_the_method_link(client, world):
    html = page(client)
    assert '<p class="score"><strong>13</strong>' in html
    assert 'href="/about/score">how it is computed</a>' in html
    assert 'role="img" aria-label="attention: 13 for NCT04280705' in html
    assert "1 news story" in html and "2 forum posts" in html and "1 Wikipedia page" in html


def test_timeline_is_drawn_on_the_server(client, world):
    html = page(client)
    # Drawn twice: wide for wider screens, narrow for phones (the page shows one).
    assert re.findall(r'<svg [^>]*class="timeline (\w+)"[^>]*role="img"', html) == \
        ["wide", "narrow"]
    assert "Mentions per month, May 2020 to" in html
    for chart in html.split('class="timeline ')[1:]:
        assert "<script" not in chart.split("</svg>")[0]


def test_mentions_grouped_by_kind_with_links_dates_and_authors(client, world):
    html = page(client)
    headings = re.findall(r'<h3 class="kind-heading" id="kind-(\w+)"', html)
    assert headings == ["news", "wikipedia", "forum", "publication"]
    assert 'href="https://news.ycombinator.com/item?id=23456789"' in html
    assert "Hacker News · pg · <time datetime=\"2026-11-20T10:00:00+00:00\">2026-11-20</time>" \
        in html
    assert "reports results" in html and "also found by Crossref, ClinicalTrials.gov, Europe PMC" in html


def test_each_source_shows_its_status_and_last_check(client, world):
    html = page(client)
    rows = re.findall(r"<tr><td>(.*?)</td>\s*<td data-label=\"Status\">"
                      r"<span class=\"status status-(\w+)\">", html)
    assert ("Hacker News", "ok") in rows and ("Altmetric", "disabled") in rows
    # The public page says a source is off, not which setting would turn it on.
    assert "not used on this server" in html and "TRIALBUZZ_" not in html
    assert re.search(r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>", html)


def test_every_badge_form_has_a_snippet_and_a_copy_button(client, world):
    html = page(client)
    ids = re.findall(r'<code id="snippet-([\w-]+)">', html)
    assert ids == ["markdown", "html-flat", "html-donut", "embed-donut", "embed-details",
                   "embed-bar", "embed-altmetric", "shields", "altmetric-api"]
    assert len(re.findall(r'<button type="button" class="copy" data-copy="snippet-', html)) == 9
    assert "[![Attention score of NCT04280705](http://localhost/badge/NCT04280705.svg)]" \
           "(http://localhost/trial/NCT04280705)" in html
    assert "https://img.shields.io/endpoint?url=http%3A%2F%2Flocalhost%2Fapi%2Fv1%2Fshields" \
           "%2FNCT04280705.json" in html


def test_the_page_loads_nothing_from_other_sites(client, world):
    html = page(client)
    for attribute in re.findall(r'(?:src|href)="([^"]+)"', html.split("<main")[0]):
        assert attribute.startswith("/"), attribute


def test_a_trial_without_attention_says_so(client, world):
    html = page(client, QUIET)
    assert "No news, blog, policy, Wikipedia, social, forum or video mention found yet." in html
    assert "No dated mention yet." in html
    assert 'class="tb-ring-ghost"' in html


@pytest.mark.parametrize("asked, canonical", [("nct04280705", "NCT04280705"),
                                              ("NCT00009113", "NCT00010647")])
@pytest.mark.parametrize("suffix", ["", "/mentions.csv", "/mentions.json"])
def test_other_spellings_and_aliases_redirect_permanently(client, world, asked, canonical,
                                                          suffix):
    response = client.get(f"/trial/{asked}{suffix}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/trial/{canonical}{suffix}"


@pytest.mark.parametrize("path, status", [("/trial/nope", 400), ("/trial/NCT99999999", 404)])
def test_errors_are_pages(client, world, path, status):
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"


def hostile(app, client):
    """Store a mention with hostile title, author, snippet and URL for the main trial."""
    client.get("/trial/NCT04280705")
    app.extensions["trialbuzz"].harvester.store("NCT04280705", [Outcome("hackernews", "ok", [
        Mention(source="hackernews", kind="forum", external_id="evil",
                url="javascript:alert(1)", title="<script>alert('t')</script>",
                author="=cmd|' /C calc'!A0", snippet="<img src=x onerror=alert(1)>")])])


def test_hostile_mentions_are_text_and_unsafe_links_are_dropped(app, client, world):
    hostile(app, client)
    html = page(client)
    assert "<script>alert('t')</script>" not in html
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "javascript:alert" not in html


def test_csv_export_lists_every_mention_safely(app, client, world):
    hostile(app, client)
    response = client.get("/trial/NCT04280705/mentions.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="NCT04280705-mentions.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 8
    evil = next(row for row in rows if row["url"] == "javascript:alert(1)")
    assert evil["author"] == "'=cmd|' /C calc'!A0"


def test_json_export_lists_every_mention(client, world):
    response = client.get("/trial/NCT04280705/mentions.json")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="NCT04280705-mentions.json"'
    data = response.get_json()
    assert data["nct_id"] == "NCT04280705" and data["mentions_total"] == 7
    assert len(data["mentions"]) == 7
    assert {m["kind"] for m in data["mentions"]} == {"news", "wikipedia", "forum", "publication"}


def test_hostile_corpus_stays_text_on_the_details_page(client, fake, ctgov):
    from bs4 import BeautifulSoup

    import hostile

    hostile.install(fake, ctgov)
    html = page(client)
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/") and not script.string, script
    for tag in soup.find_all(True):
        assert tag.get("id") != "xss-marker", tag
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), tag
            if name in ("href", "src"):
                assert str(value).startswith(("/", "http://", "https://", "#")), tag
    for name in ("iframe", "object", "embed", "math"):
        assert soup.find(name) is None, name
    # Our inline SVGs (donut, chart) carry their own dark-mode style; nothing else may.
    assert all(style.find_parent("svg") for style in soup.find_all("style"))
    assert all(img["src"].startswith("/badge/") for img in soup.find_all("img"))
    assert [d.get("class") for d in soup.find_all("details")] == [["chart-table"]]
    assert 'alert("xss-4")' in soup.get_text()   # payload words arrive as text


def test_hostile_corpus_is_neutralised_in_the_csv_export(client, fake, ctgov):
    import hostile

    hostile.install(fake, ctgov)
    text = client.get("/trial/NCT04280705/mentions.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert "'=HYPERLINK(\"http://evil.example/\",\"xss-9\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_a_page_still_collecting_says_how_many_sources_answered_and_is_never_kept(make_app,
                                                                                  world):
    app = make_app(EMBEDDED_WORKER=False, COLD_WAIT=0)
    app.extensions["trialbuzz"].trials.fetch("NCT04280705")
    response = app.test_client().get("/trial/NCT04280705")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Collecting… 0 of 8 sources have answered" in html and "data-collecting" in html
    assert "No news, blog" not in html
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_pending_page_polls_by_script_and_refreshes_without_it(make_app, world):
    app = make_app(EMBEDDED_WORKER=False, COLD_WAIT=0)
    response = app.test_client().get("/trial/NCT04280705")
    html = response.get_data(as_text=True)
    assert response.status_code == 202
    assert 'data-pending="/trial/NCT04280705"' in html and "/static/trial" in html
    assert re.search(r'<noscript><meta http-equiv="refresh" content="3"></noscript>', html)


def test_partial_page_says_which_sources_are_missing_above_the_figures(client, world):
    world.route(upstreams.ROUTES["gdelt"], Reply.text("down", status=500))
    world.route(upstreams.ROUTES["wikipedia"], Reply.text("down", status=503))
    html = page(client)
    status = re.search(r'<p id="collect-status"[^>]*>(.*?)</p>', html, re.S)
    assert 'class="collect-status notice"' in status.group(0)
    assert re.fullmatch(r"6 of 8 sources answered; Wikipedia and GDELT news will be tried again "
                        r"at \d\d:\d\d UTC\. The figures below are what the others found\.",
                        status.group(1))
    assert "data-collecting" not in status.group(0)


def test_a_cold_page_answers_with_progress_after_page_wait_not_cold_wait(make_app, fake, ctgov):
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["ctgov"], lambda request, nct_id: Reply.json(
        ctgov.studies[nct_id.upper()], delay=3.0))
    client = make_app(PAGE_WAIT=0.5, UPSTREAM_READ_TIMEOUT=10).test_client()
    response = client.get("/trial/NCT04280705")
    # COLD_WAIT is 30 s here: a 200 would mean the page sat blank for the registry's 3 s.
    assert response.status_code == 202
    assert "Looking this trial up on ClinicalTrials.gov" in response.get_data(as_text=True)
    export = client.get("/trial/NCT04280705/mentions.json")
    assert export.status_code == 200          # data, not a page: waits up to COLD_WAIT
