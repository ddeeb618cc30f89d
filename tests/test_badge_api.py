"""The bookmarklet payload, mention paging, and HTTP caching of API documents."""

import time

import pytest

import upstreams
from records import study


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study("NCT04292899", title="Second trial"))
    ctgov.add(study("NCT04368728", title="Third trial"))
    upstreams.install(fake)
    return fake


def test_payload_for_a_study_page_has_the_primary_in_compact_form(client, world):
    response = client.get("/api/v1/badge?url=https://clinicaltrials.gov/study/NCT04280705")
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["primary"] == "NCT04280705"
    (trial,) = payload["trials"]
    assert trial["title"] == "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert trial["score"] == 13 and trial["kinds"]["news"] == 1
    assert len(trial["mentions"]) == 5 and trial["mentions_total"] == 7
    assert trial["details_url"].endswith("/trial/NCT04280705")
    assert trial["badge_url"].endswith("/badge/NCT04280705.svg")
    assert "history" not in trial and "official_title" not in trial


def test_page_with_several_ids_has_no_primary_and_lists_known_trials(client, world):
    client.get("/api/v1/trials/NCT04292899")           # known already
    response = client.get("/api/v1/badge?url=https://pubmed.example.org/123"
                          "&ids=NCT04292899,nct04368728,NCT04292899")
    payload = response.get_json()
    assert payload["primary"] is None
    assert payload["nct_ids"] == ["NCT04292899", "NCT04368728"]
    known, unknown = payload["trials"]
    assert known["title"] == "Second trial" and "pending" not in known
    # A trial not seen before is fetched in the background rather than holding the page up.
    assert unknown["nct_id"] == "NCT04368728"
    assert unknown.get("pending") is True or unknown.get("title") == "Third trial"
    assert response.headers["Cache-Control"] == "public, max-age=5"


def test_pending_trials_are_ready_on_the_next_call(client, world, app):
    client.get("/api/v1/badge?ids=NCT04292899,NCT04368728")
    jobs = app.extensions["trialbuzz"].jobs
    deadline = time.monotonic() + 10
    while (jobs.status("NCT04292899").active or jobs.status("NCT04368728").active) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    payload = client.get("/api/v1/badge?ids=NCT04292899,NCT04368728").get_json()
    assert [t.get("title") for t in payload["trials"]] == ["Second trial", "Third trial"]


def test_single_id_is_the_primary(client, world):
    payload = client.get("/api/v1/badge?ids=NCT04280705").get_json()
    assert payload["primary"] == "NCT04280705"
    assert payload["trials"][0]["score"] == 13


def test_unknown_trials_are_reported_inside_the_payload(client, world):
    payload = client.get("/api/v1/badge?url=https://clinicaltrials.gov/study/NCT99999999"
                         ).get_json()
    assert payload["trials"] == [{"nct_id": "NCT99999999", "error": {
        "code": "trial_not_found", "message": "ClinicalTrials.gov has no study NCT99999999."}}]


def test_at_most_twenty_trials(client, world):
    ids = ",".join(f"NCT{n:08d}" for n in range(1, 30))
    payload = client.get(f"/api/v1/badge?ids={ids}").get_json()
    assert len(payload["trials"]) == 20 and len(payload["nct_ids"]) == 20


@pytest.mark.parametrize("query, code", [
    ("", "no_nct_id"),
    ("url=https://example.org/nothing", "no_nct_id"),
    ("ids=NCT1", "invalid_nct_id"),
    ("url=javascript:alert(1)", "invalid_url"),
])
def test_payload_errors(client, world, query, code):
    response = client.get("/api/v1/badge?" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_documents_carry_an_etag_and_answer_304(client, world):
    first = client.get("/api/v1/trials/NCT04280705")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/trials/NCT04280705", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    badge = client.get("/api/v1/badge?ids=NCT04280705")
    assert client.get("/api/v1/badge?ids=NCT04280705",
                      headers={"If-None-Match": badge.headers["ETag"]}).status_code == 304


def test_mentions_are_paged_newest_first_and_filtered_by_kind(client, world):
    everything = client.get("/api/v1/trials/NCT04280705?limit=100").get_json()["mentions"]
    page = client.get("/api/v1/trials/NCT04280705?limit=2&offset=2").get_json()
    assert page["mentions"] == everything[2:4]
    assert page["mentions_total"] == len(everything)
    forum = client.get("/api/v1/trials/NCT04280705?kind=forum").get_json()
    assert [m["kind"] for m in forum["mentions"]] == ["forum", "forum"]
    assert forum["mentions"][0]["comment"] is True and forum["mentions_total"] == 2


@pytest.mark.parametrize("query", ["limit=-1", "limit=101", "offset=x", "kind=tweets",
                                   "limit=1e3"])
def test_bad_paging_parameters_are_400(client, world, query):
    response = client.get("/api/v1/trials/NCT04280705?" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"


def test_api_answers_any_origin(client, world):
    response = client.get("/api/v1/trials/NCT04280705",
                          headers={"Origin": "https://clinicaltrials.gov"})
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("query", ["limit=%C2%B2", "offset=%C2%B9", "limit=%D9%A3"])
def test_non_ascii_digits_are_400_not_500(client, world, query):
    response = client.get("/api/v1/trials/NCT04280705?" + query)
    assert response.status_code == 400


def test_svg_size_with_non_ascii_digits_is_a_400_badge(client, world):
    assert client.get("/badge/NCT04280705.svg?style=donut&size=%C2%B9").status_code == 400
