"""The one JSON error shape of the API, pinned."""

import pytest
from bs4 import BeautifulSoup
from fakeupstream import Reply
from upstreams import ROUTES


def assert_error_shape(response, status, code):
    """`{"error": {"code", "message"}}`, JSON, with the given status and nothing else."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, status, code", [
    ("get", "/api/v1/trials/NCT123", 400, "invalid_nct_id"),
    ("get", "/api/v1/resolve", 400, "missing_url"),
    ("get", "/api/v1/resolve?url=ftp://example.org/x", 400, "invalid_url"),
    ("get", "/api/v1/nowhere", 404, "not_found"),
    ("post", "/api/v1/trials/NCT04280705", 405, "method_not_allowed"),
    ("delete", "/api/v1/resolve?url=https://clinicaltrials.gov/study/NCT04280705", 405,
     "method_not_allowed"),
])
def test_api_errors_share_one_shape(client, method, path, status, code):
    assert_error_shape(getattr(client, method)(path), status, code)


def test_unexpected_exception_is_a_json_500_without_a_stack_trace(app, client, monkeypatch):
    state = app.extensions["trialbuzz"]
    monkeypatch.setattr(state.trials, "stored", lambda *a, **k: 1 / 0)
    assert_error_shape(client.get("/api/v1/trials/NCT04280705"), 500, "internal_error")


def test_pages_outside_the_api_get_an_html_error_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "trialbuzz" in response.get_data(as_text=True)


def test_registry_down_page_says_what_happened_and_what_to_do(client, fake):
    fake.route(ROUTES["ctgov"], Reply.text("down", 503))
    response = client.get("/trial/NCT04280705")
    assert response.status_code == 503
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "ClinicalTrials.gov is not answering"
    alert = page.find(role="alert").get_text()
    assert "try this page again in a minute" in alert and "HTTP 503" not in alert
    assert page.find("a", string="Try again") is not None
    assert response.headers["Retry-After"] == "60"


def test_unknown_page_has_a_heading_in_words(client):
    page = BeautifulSoup(client.get("/no/such/page").get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "Page not found"
    assert page.find("a", string="Try again") is None
