"""Bookmarklet routes: install page, overlay caching, the CSP fallback popup, the demo page."""

import html
import re
from urllib.parse import unquote

import pytest

from fakeupstream import Reply
from trialbuzz.web import bookmarklet_code


def installed_body(page):
    """The decoded bookmarklet body from the install page's draggable link."""
    href = html.unescape(re.search(r'class="bookmarklet-link" href="([^"]+)"', page).group(1))
    return unquote(href[len("javascript:"):])


def test_install_page_offers_the_link_instructions_and_the_demo(client):
    page = client.get("/bookmarklet").get_data(as_text=True)
    body = installed_body(page)
    assert 'B="http://localhost"' in body
    assert 'draggable="true"' in page
    for browser in ("Chrome", "Firefox", "Safari", "Edge"):
        assert f"<h3>{browser}</h3>" in page
    # Phones: how to add it by hand where that works, and what to use where it cannot.
    for browser in ("Safari on iPhone and iPad", "Chrome on Android", "Where it cannot work"):
        assert f"<h4>{browser}</h4>" in page
    assert "paste the code as its URL" in page and 'href="/">lookup</a>' in page
    assert 'href="/demo/study/NCT04280705"' in page
    assert f"({len(bookmarklet_code.href('http://localhost')):,} characters)" in page


def test_home_page_links_to_the_install_page(client):
    assert 'href="/bookmarklet">Bookmarklet</a>' in client.get("/").get_data(as_text=True)


def test_public_url_is_what_the_bookmarklet_points_at(make_app):
    client = make_app(PUBLIC_URL="https://trialbuzz.example.org").test_client()
    body = installed_body(client.get("/bookmarklet").get_data(as_text=True))
    assert 'B="https://trialbuzz.example.org"' in body


def test_overlay_under_its_hash_is_cached_for_a_year(client):
    version = bookmarklet_code.overlay_version()
    response = client.get(f"/bookmarklet/overlay.js?v={version}")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.get_data(as_text=True) == bookmarklet_code.overlay_source()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_overlay_without_the_current_hash_revalidates(client, query):
    response = client.get("/bookmarklet/overlay.js" + query)
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    assert etag == f'"{bookmarklet_code.overlay_version()}"'
    again = client.get("/bookmarklet/overlay.js" + query, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path", ["/", "/bookmarklet", "/bookmarklet/overlay.js",
                                  "/popup?ids=NCT04280705", "/demo/study/NCT04280705"])
def test_only_the_api_is_readable_from_other_origins(client, ctgov, path):
    response = client.get(path, headers={"Origin": "https://clinicaltrials.gov"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    api = client.get("/api/v1/resolve?url=https://clinicaltrials.gov/study/NCT04280705",
                     headers={"Origin": "https://clinicaltrials.gov"})
    assert api.headers["Access-Control-Allow-Origin"] == "*"


def test_popup_runs_only_our_script_under_a_strict_policy(client):
    response = client.get("/popup?url=https://clinicaltrials.gov/study/NCT04280705"
                          "&ids=NCT04280705&title=ACTT")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "require-trusted-types-for 'script'" in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    version = bookmarklet_code.overlay_version()
    assert f'src="/bookmarklet/overlay.js?v={version}" data-trialbuzz-page="trialbuzz-page"' in page
    assert not re.search(r"<script>|\son\w+=", page)


def test_popup_keeps_valid_ids_only_and_escapes_what_the_page_sent(client):
    page = client.get('/popup?ids=nct04280705,NCT1,NCT04280705,javascript:x,NCT04368728'
                      '&url=https://example.org/"><script>alert(1)</script>'
                      '&title="><img src=x onerror=alert(1)>').get_data(as_text=True)
    assert 'data-ids="NCT04280705,NCT04368728"' in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert 'data-title="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page


def test_demo_study_page_looks_like_a_study_page_marked_as_a_demo(client, ctgov):
    page = client.get("/demo/study/nct04280705").get_data(as_text=True)
    assert "<strong>Demo page.</strong> This is not ClinicalTrials.gov" in page
    assert "<h1>Adaptive COVID-19 Treatment Trial (ACTT)</h1>" in page
    assert "ClinicalTrials.gov ID <strong>NCT04280705</strong>" in page
    assert "Phase 3" in page and "COVID-19" in page


@pytest.mark.parametrize("nct_id, status", [("NCT1", 400), ("NCT99999999", 404)])
def test_demo_study_page_refuses_bad_and_unknown_ids(client, ctgov, nct_id, status):
    response = client.get(f"/demo/study/{nct_id}")
    assert response.status_code == status
    assert response.mimetype == "text/html"


def test_demo_study_page_still_names_the_trial_when_the_registry_is_down(client, fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.text("down", status=503))
    page = client.get("/demo/study/NCT04280705").get_data(as_text=True)
    assert "<h1>NCT04280705</h1>" in page
