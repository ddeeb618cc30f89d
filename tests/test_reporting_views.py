"""Results reporting and estimated dates where users see them: the trial document, the details
page, the bookmarklet payload, the reporting badge and the command line."""

import csv
import io
import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

import quiet
import upstreams
from conftest import point_cli_at
from records import reference, study
from trialbuzz.attention.harvest import Outcome
from trialbuzz.attention.sources.base import Mention
from trialbuzz.cli import main

OVERDUE = "NCT04280705"
LATE = "NCT04292899"
PLANNED = "NCT05000001"
RESULT_CITATION = ("Beigel JH, Tomashek KM, Dodd LE, et al. Remdesivir for the Treatment of "
                   "Covid-19 - Final Report. N Engl J Med. 2020 Nov 5;383(19):1813-1826. doi: "
                   "10.1056/NEJMoa2007764. Epub 2020 Oct 8.")


def records():
    """An overdue drug trial, one that posted late, and one still recruiting."""
    covered = dict(fda_drug=True, fda_device=False, has_results=False,
                   start=("2021-03-01", "ACTUAL"), primary_completion=("2022-06-15", "ACTUAL"),
                   completion=("2022-09", "ACTUAL"), enrollment=(400, "ACTUAL"))
    return [
        study(OVERDUE, **covered, references=[reference("33052335", citation=RESULT_CITATION)]),
        study(LATE, title="Late trial", **dict(covered, has_results=True,
                                              results_submitted="2023-09-13",
                                              results_posted="2023-10-20")),
        study(PLANNED, title="Planned trial", status="RECRUITING",
              **dict(covered, start=("2025-01-10", "ACTUAL"),
                     primary_completion=("2027-03", "ESTIMATED"),
                     completion=("2027-09", "ESTIMATED"), enrollment=(250, "ESTIMATED"))),
    ]


@pytest.fixture
def world(fake, ctgov):
    for record in records():
        ctgov.add(record)
    upstreams.install(fake)
    quiet.install(fake, LATE, PLANNED)
    return fake


def test_the_document_carries_reporting_and_estimated_dates(client, world):
    overdue = client.get(f"/api/v1/trials/{OVERDUE}").get_json()
    assert overdue["reporting"]["status"] == "overdue"
    assert overdue["reporting"]["due"] == "2023-06-15"
    assert overdue["reporting"]["covered"] == "probably"
    assert overdue["reporting"]["publication"] == {
        "title": "Remdesivir for the Treatment of Covid-19 - Final Report.",
        "url": "https://pubmed.ncbi.nlm.nih.gov/33052335/"}
    planned = client.get(f"/api/v1/trials/{PLANNED}").get_json()
    assert planned["dates"] == {"start": {"date": "2025-01-10", "estimated": False},
                                "primary_completion": {"date": "2027-03", "estimated": True},
                                "completion": {"date": "2027-09", "estimated": True}}
    # The fields that were there before keep their shape.
    assert planned["start_date"] == "2025-01-10" and planned["completion_date"] == "2027-09"
    assert planned["enrollment"] == 250 and planned["enrollment_estimated"] is True
    assert planned["reporting"]["status"] == "not_due"
    late = client.get(f"/api/v1/trials/{LATE}").get_json()
    assert (late["reporting"]["status"], late["reporting"]["days_late"]) == ("posted_late", 90)


def test_overdue_is_judged_by_the_apps_clock(app, client, world):
    client.get(f"/api/v1/trials/{OVERDUE}")
    app.extensions["trialbuzz"].attention.clock = lambda: datetime(2023, 7, 1,
                                                                   tzinfo=timezone.utc)
    assert client.get(f"/api/v1/trials/{OVERDUE}").get_json()["reporting"]["status"] == \
        "not_due"
    app.extensions["trialbuzz"].attention.clock = lambda: datetime(2023, 8, 1,
                                                                   tzinfo=timezone.utc)
    reporting = client.get(f"/api/v1/trials/{OVERDUE}").get_json()["reporting"]
    assert (reporting["status"], reporting["days_late"]) == ("overdue", 47)


def test_details_page_has_a_reporting_section_in_plain_words(client, world):
    html = client.get(f"/trial/{OVERDUE}").get_data(as_text=True)
    section = html.split('<section class="reporting"')[1].split("</section>")[0]
    assert "Results reporting</h2>" in section
    assert re.search(r"Results overdue: [\d,]+ days past the date they were probably due "
                     r'\(<span class="date">2023-06-15</span>\)\.', section)
    assert "<dt>Results due</dt><dd>2023-06-15 (estimate)</dd>" in section
    assert "<dt>Primary completion</dt><dd>2022-06-15</dd>" in section
    assert ('<a href="https://pubmed.ncbi.nlm.nih.gov/33052335/" rel="noopener noreferrer">'
            "Remdesivir for the Treatment of Covid-19 - Final Report.</a>") in section
    assert "The due date is an estimate" in section


def test_details_page_marks_estimated_dates_and_enrolment(client, world):
    html = client.get(f"/trial/{PLANNED}").get_data(as_text=True)
    header = html.split('<header class="trial-head">')[1].split("</header>")[0]
    assert '2027-09 <span class="estimated">(estimated)</span>' in header
    assert '250 <span class="estimated">(estimated)</span>' in header
    assert '2025-01-10 <span class="estimated">' not in header
    assert "<dt>Primary completion</dt><dd>2027-03 (estimated)</dd>" in html
    assert 'Results not due yet: probably due by <span class="date">2028-03-31</span>.' in html


def test_overlay_payload_carries_reporting(client, world):
    payload = client.get(f"/api/v1/badge?ids={OVERDUE}").get_json()
    trial = payload["trials"][0]
    assert trial["reporting"]["status"] == "overdue"
    assert trial["reporting"]["primary_completion"] == {"date": "2022-06-15",
                                                        "estimated": False}


@pytest.mark.parametrize("nct_id, message", [
    (OVERDUE, re.compile(r"overdue [\d,]+ days")),
    (LATE, re.compile(r"posted late 90 days")),
    (PLANNED, re.compile(r"not due yet")),
])
def test_reporting_badge_says_where_results_stand(client, world, nct_id, message):
    response = client.get(f"/badge/{nct_id}.svg?type=reporting")
    assert response.status_code == 200
    svg = response.get_data(as_text=True)
    shown = message.search(svg).group(0)
    # The accessible name starts with the words the badge shows.
    assert f'aria-label="results: {shown} for {nct_id}' in svg
    assert f"<title>results: {shown} for {nct_id}" in svg
    assert re.search(rf">results</text>.*>{re.escape(shown)}</text>", svg)


def test_reporting_badge_takes_a_label_and_refuses_the_donut(client, world):
    svg = client.get(f"/badge/{OVERDUE}.svg?type=reporting&label=FDAAA&style=flat-square")
    assert 'aria-label="FDAAA: overdue' in svg.get_data(as_text=True)
    assert client.get(f"/badge/{OVERDUE}.svg?type=reporting&style=donut").status_code == 400
    assert client.get(f"/badge/{OVERDUE}.svg?type=score").status_code == 400


def test_reporting_badge_escapes_the_trial_title(client, fake, ctgov):
    ctgov.add(study(LATE, title='<script>"x"</script> & co', fda_drug=True, has_results=False,
                    primary_completion=("2022-06-15", "ACTUAL")))
    upstreams.install(fake)
    quiet.install(fake, LATE)
    svg = client.get(f"/badge/{LATE}.svg?type=reporting").get_data(as_text=True)
    assert "<script>" not in svg
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co" in svg


def test_notices_are_shown_marked_and_not_counted(app, client, world):
    client.get(f"/trial/{OVERDUE}")
    app.extensions["trialbuzz"].harvester.store(OVERDUE, [Outcome("pubmed", "ok", [
        Mention(source="pubmed", kind="publication", external_id="900",
                url="https://pubmed.ncbi.nlm.nih.gov/900/",
                title="Erratum: Remdesivir for the Treatment of Covid-19 - Final Report.",
                extra={"pmid": "900", "notice": "correction",
                       "notice_for": {"pmid": "33052335"}})])])
    document = client.get(f"/api/v1/trials/{OVERDUE}?limit=100").get_json()
    before = document["publications"]
    notice = next(m for m in document["mentions"] if m["title"].startswith("Erratum"))
    assert notice["notice"] == "correction"
    assert before["notices"] == 1
    html = client.get(f"/trial/{OVERDUE}").get_data(as_text=True)
    assert re.search(r'<strong class="notice-mark">correction</strong>[^<]*'
                     r'(?:<a [^>]*>[^<]*</a>)?, not counted', html)
    assert "1 correction or retraction notice listed, not counted" in html
    exported = list(csv.DictReader(io.StringIO(client.get(
        f"/trial/{OVERDUE}/mentions.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["title"][:8]: row["notice"] for row in exported
            if row["kind"] == "publication"}.get("Erratum:") == "correction"


def test_cli_lookup_shows_reporting_and_estimates(tmp_path, fake, ctgov, monkeypatch):
    for record in records():
        ctgov.add(record)
    point_cli_at(fake, tmp_path, monkeypatch)
    quiet.install(fake, LATE, PLANNED)
    result = CliRunner().invoke(main, ["lookup", PLANNED])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split(None, 1)[1] for line in result.output.splitlines()
             if line.startswith("  ") and len(line.split()) > 1}
    assert lines["enrollment"] == "250 (estimated)"
    assert lines["dates"] == "2025-01-10 to 2027-09 (estimated)"
    assert lines["reporting"] == "Results not due yet: probably due by 2028-03-31."
    assert lines["completion"] == ("primary 2027-03 (estimated); results due 2028-03-31 "
                                   "(estimate)")
