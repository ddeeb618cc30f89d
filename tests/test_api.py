"""The JSON API: trial documents and URL resolution, every status path."""

import encodings.aliases
from urllib.parse import quote, urlencode, urlsplit

import pytest
import webencodings

import upstreams
from fakeupstream import Reply
from records import study

ROUTE = "/api/v2/studies/{nct_id}"
TRIAL_FIELDS = {"nct_id", "title", "official_title", "acronym", "status", "phases", "study_type",
                "sponsor", "enrollment", "start_date", "completion_date", "has_results",
                "conditions", "url", "updated_at", "stale", "details_url", "badge_url"}


def test_trial_document_has_the_registry_fields(client, ctgov):
    response = client.get("/api/v1/trials/NCT04280705")
    assert response.status_code == 200
    document = response.get_json()
    assert TRIAL_FIELDS <= set(document)
    assert document["nct_id"] == "NCT04280705"
    assert document["phases"] == ["PHASE3"]
    assert document["completion_date"] == "2020-05"
    assert document["url"] == "https://clinicaltrials.gov/study/NCT04280705"
    assert document["details_url"] == "http://localhost/trial/NCT04280705"
    assert "requested_id" not in document


def test_lower_case_id_is_accepted(client, ctgov):
    assert client.get("/api/v1/trials/nct04280705").get_json()["nct_id"] == "NCT04280705"


def test_alias_answers_with_canonical_id_and_requested_id(client, ctgov):
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"], title="Merged study"))
    document = client.get("/api/v1/trials/NCT00009113").get_json()
    assert document["nct_id"] == "NCT00010647"
    assert document["requested_id"] == "NCT00009113"
    assert document["title"] == "Merged study"


def test_public_url_setting_drives_links(make_app, ctgov):
    client = make_app(PUBLIC_URL="https://buzz.example.org/").test_client()
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    assert document["details_url"] == "https://buzz.example.org/trial/NCT04280705"
    assert document["badge_url"] == "https://buzz.example.org/badge/NCT04280705.svg"


def test_refresh_parameter_forces_a_new_fetch(client, fake, ctgov):
    client.get("/api/v1/trials/NCT04280705")
    client.get("/api/v1/trials/NCT04280705")
    assert fake.count(ROUTE) == 1
    client.get("/api/v1/trials/NCT04280705?refresh=1")
    assert fake.count(ROUTE) == 2


@pytest.mark.parametrize("reply, status, code", [
    (Reply.text("NCT number NCT04280705 not found", 404), 404, "trial_not_found"),
    (Reply.text("down", 503), 503, "upstream_unavailable"),
    (Reply.text("slow", 429, headers={"Retry-After": "600"}), 503, "upstream_rate_limited"),
    (Reply.text("<html>maintenance</html>", content_type="text/html"), 502,
     "upstream_bad_response"),
    (Reply(200, b"{oops", {"Content-Type": "application/json"}), 502, "upstream_bad_response"),
    (Reply.json(study(), delay=2.5), 504, "upstream_timeout"),
], ids=["404", "503", "429", "html", "malformed", "timeout"])
def test_upstream_failures_map_to_clear_errors(make_app, fake, reply, status, code):
    fake.route(ROUTE, reply)
    client = make_app(UPSTREAM_READ_TIMEOUT=0.5, UPSTREAM_RETRIES=1).test_client()
    response = client.get("/api/v1/trials/NCT04280705")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    if status >= 500:
        # Readers are told what happened and what to do, never an upstream's status line.
        assert error["message"].startswith("ClinicalTrials.gov is not answering right now")
        assert "try this page again in a minute" in error["message"]
        assert "HTTP" not in error["message"] and int(response.headers["Retry-After"]) >= 60


def test_rate_limited_upstream_passes_retry_after_on(make_app, fake):
    fake.route(ROUTE, Reply.text("slow", 429, headers={"Retry-After": "600"}))
    response = make_app().test_client().get("/api/v1/trials/NCT04280705")
    assert response.headers["Retry-After"] == "600"


@pytest.mark.parametrize("bad", ["NCT123", "NCT00000000", "NCT042807051", "12345678",
                                 "NCT0428070%3Cb%3E"])
def test_malformed_ids_are_refused_without_calling_upstream(client, fake, ctgov, bad):
    response = client.get(f"/api/v1/trials/{bad}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_nct_id"
    assert fake.count(ROUTE) == 0


@pytest.mark.parametrize("url, ids, primary", [
    ("https://clinicaltrials.gov/study/NCT04280705?tab=results", ["NCT04280705"],
     "NCT04280705"),
    ("https://classic.clinicaltrials.gov/ct2/show/record/NCT02422290", ["NCT02422290"],
     "NCT02422290"),
    ("https://clinicaltrials.gov/search?term=NCT04412252,%20NCT04368728",
     ["NCT04412252", "NCT04368728"], None),
    ("https://clinicaltrials.gov/", [], None),
])
def test_resolve_from_the_url(client, fake, url, ids, primary):
    body = client.get("/api/v1/resolve?url=" + quote(url, safe="")).get_json()
    assert body == {"url": url, "nct_ids": ids, "primary": primary, "truncated": False}
    assert fake.requests == []


def page_app(make_app, fake):
    """An app whose page fetcher may reach the fake's loopback port."""
    netloc = urlsplit(fake.url).netloc
    return make_app(FETCH_ALLOW_HOSTS=[netloc]).test_client()


def test_resolve_scrapes_the_page_when_the_url_names_no_id(make_app, fake):
    fake.route("/news/remdesivir", Reply.text(
        "<html><head><title>News</title></head><body><p>The ACTT-1 trial "
        "(<a href='https://clinicaltrials.gov/study/NCT04280705'>NCT04280705</a>) and "
        "NCT04292899 were reported.</p></body></html>", content_type="text/html"))
    url = fake.url + "/news/remdesivir"
    body = page_app(make_app, fake).get("/api/v1/resolve?url=" + quote(url, safe="")).get_json()
    assert body["nct_ids"] == ["NCT04280705", "NCT04292899"]
    assert body["url"] == url


def resolve_page(client, fake, path):
    """Ask the API to resolve the fake's page at `path`."""
    return client.get("/api/v1/resolve?url=" + quote(fake.url + path, safe=""))


def test_resolve_reads_the_first_part_of_a_page_over_the_size_limit_and_says_so(make_app,
                                                                                fake):
    fake.route("/long", Reply.text("<p>NCT04280705</p>" + "<p>filler</p>" * 10_000 +
                                   "<p>NCT04292899</p>", content_type="text/html"))
    client = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc],
                      FETCH_MAX_BYTES=64 * 1024).test_client()
    response = resolve_page(client, fake, "/long")
    assert response.status_code == 200
    assert response.get_json()["nct_ids"] == ["NCT04280705"]
    assert response.get_json()["truncated"] is True


def test_resolve_of_a_page_that_uses_up_the_reading_budget_says_so(make_app, fake,
                                                                   monkeypatch):
    monkeypatch.setattr("trialbuzz.resolution.htmlreader.READ_BUDGET", 0)
    fake.route("/deep", Reply.text("<p>NCT04280705</p>" + "<dt>" * 200_000 + "NCT04292899",
                                   content_type="text/html"))
    client = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc]).test_client()
    response = resolve_page(client, fake, "/deep")
    assert response.status_code == 200
    assert response.get_json() == {"url": f"{fake.url}/deep", "nct_ids": ["NCT04280705"],
                                   "primary": "NCT04280705", "truncated": True}


@pytest.mark.parametrize("reply", [
    Reply.text("<p>NCT04280705</p>" + "x" * 100, content_type="text/html", drip=0.02),
    Reply.text("<p>NCT04280705</p>" + "x" * 100, content_type="text/html", drip=0.02,
               sized=False),
], ids=["sized", "unsized"])
def test_resolve_of_a_page_still_arriving_at_the_time_limit_is_a_504(make_app, fake, reply):
    fake.route("/slow", reply)
    client = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc],
                      FETCH_TOTAL_TIMEOUT=0.5).test_client()
    response = resolve_page(client, fake, "/slow")
    assert response.status_code == 504
    assert response.get_json()["error"]["code"] == "upstream_timeout"


def test_resolve_of_a_page_cut_short_by_its_server_is_an_error(make_app, fake):
    fake.route("/short", Reply.text("<p>NCT04280705</p>", content_type="text/html", length=5000))
    response = resolve_page(page_app(make_app, fake), fake, "/short")
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "page_fetch_failed"


def test_resolve_refuses_private_addresses_not_allowed(client, fake):
    url = fake.url + "/news/remdesivir"
    response = client.get("/api/v1/resolve?url=" + quote(url, safe=""))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "url_refused"
    assert fake.requests == []


def test_resolve_reports_a_page_that_fails(make_app, fake):
    fake.route("/gone", Reply.text("gone", 410, content_type="text/html"))
    response = page_app(make_app, fake).get("/api/v1/resolve?url=" +
                                            quote(fake.url + "/gone", safe=""))
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "page_fetch_failed"


def test_resolve_refuses_over_long_urls(client):
    response = client.get("/api/v1/resolve?url=https://example.org/" + "a" * 5000)
    assert response.status_code in (400, 414)
    assert response.get_json()["error"]["code"] in ("invalid_url", "uri_too_long")


def test_healthz_reports_database(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"


# Every charset a page may declare: the standard library's codec names, the WHATWG labels
# browsers know, and names that are neither.
CHARSETS = sorted({*encodings.aliases.aliases.values(), *webencodings.LABELS,
                   "no-such-codec", "x" * 300, "utf-8:evil", "..", "-", "_", "0", "utf_8.",
                   "idna", "punycode", "undefined", "utf-7", "mbcs", "rot13", "base64", "zlib",
                   "unicode_escape", "raw_unicode_escape", "aliases", "__init__"})
# An ASCII page whose ID comes first, then bytes many codecs trip over.
CHARSET_PAGE = (b"<html><head>%s<title>Trial</title></head><body><p>NCT04280705</p>"
                b"<p>\xff\xfe\x00\x80\xe9\x1b$)C\x0e~{\\u12 +AGEA- xn--\xc3</p></body></html>")


@pytest.fixture(scope="module")
def charset_site(tmp_path_factory):
    """One fake page server and one app reading it, shared by the charset table."""
    from conftest import app_config
    from fakeupstream import FakeUpstream
    from trialbuzz import create_app
    from trialbuzz.storage.db import get_db

    fake = FakeUpstream().start()

    def page(request):
        label = request.arg("label")
        if request.arg("where") == "header":
            return Reply(200, CHARSET_PAGE % b"", {"Content-Type": "text/html; charset=" + label})
        return Reply(200, CHARSET_PAGE % b'<meta charset="%s">' % label.encode(),
                     {"Content-Type": "text/html"})

    fake.route("/page", page)
    app = create_app(app_config(tmp_path_factory.mktemp("charsets"), fake.url,
                                FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc]))
    get_db(app).migrate()
    yield fake, app.test_client()
    get_db(app).dispose()
    fake.stop()


@pytest.mark.parametrize("where", ["header", "meta"])
@pytest.mark.parametrize("label", CHARSETS)
def test_any_declared_charset_still_finds_the_id_of_an_ascii_page(charset_site, label, where):
    fake, client = charset_site
    response = resolve_page(client, fake, "/page?" + urlencode({"label": label, "where": where}))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["nct_ids"] == ["NCT04280705"]


def test_a_document_being_refreshed_is_kept_only_briefly(make_app, fake, ctgov):
    from trialbuzz.jobs import tasks

    upstreams.install(fake)
    app = make_app(EMBEDDED_WORKER=False, COLD_WAIT=0)
    state = app.extensions["trialbuzz"]
    state.jobs.request("NCT04280705")
    tasks.refresh(state, "NCT04280705")
    state.jobs.request("NCT04280705", force=True)  # queued; no worker runs it here
    client = app.test_client()
    document = client.get("/api/v1/trials/NCT04280705")
    assert document.get_json()["state"] == "collecting" and not document.get_json()["stale"]
    assert document.headers["Cache-Control"] == "public, max-age=5"
    payload = client.get("/api/v1/badge?ids=NCT04280705")
    assert payload.get_json()["trials"][0]["state"] == "collecting"
    assert payload.headers["Cache-Control"] == "public, max-age=5"
    batch = client.get("/api/v1/badges?ids=NCT04280705")
    assert batch.get_json()["trials"][0]["state"] == "collecting"
    assert batch.headers["Cache-Control"] == "public, max-age=5"
