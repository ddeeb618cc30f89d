"""Hostile upstream strings through the API and the server-rendered pages: data stays data."""

import pytest
from bs4 import BeautifulSoup

import hostile


@pytest.fixture
def document(client, fake, ctgov):
    hostile.install(fake, ctgov)
    return client.get("/api/v1/trials/NCT04280705?limit=100").get_json()


def test_no_mention_carries_a_url_that_is_not_http(document):
    urls = [m["url"] for m in document["mentions"] if m["url"]]
    assert urls
    assert all(url.startswith(("https://", "http://")) for url in urls)
    assert not any(bad in url for url in urls for bad in ("javascript:", "data:", "vbscript:",
                                                           "<script", '"'))


def test_payloads_arrive_as_plain_text_not_markup(document):
    assert len(document["mentions"]) >= len(hostile.PAYLOADS)
    titles = " ".join(m["title"] or "" for m in document["mentions"])
    assert 'alert("xss-1")' not in titles       # a script's content is no text for readers
    assert 'xss-15' in titles and 'alert("xss-4")' in titles   # words survive, markup does not
    assert "<script" not in titles and "<img" not in titles
    assert "{{7*7}}" in titles                    # text kept as text, not evaluated


def assert_no_injected_markup(html):
    """No element, attribute or URL in a page came from a payload."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/") and not script.string, script
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), tag
            if name in ("href", "src", "action", "data"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:",
                                                                   "vbscript:")), tag
        assert tag.get("id") != "xss-marker", tag
    for name in ("iframe", "object", "embed", "math", "details"):
        assert soup.find(name) is None, name


def test_home_lookup_of_a_hostile_trial_renders_text_only(client, fake, ctgov):
    hostile.install(fake, ctgov)
    response = client.get("/?q=NCT04280705")
    assert response.status_code == 200
    assert_no_injected_markup(response.get_data(as_text=True))


def test_csv_export_of_hostile_mentions_holds_no_formula(client, fake, ctgov):
    import csv
    import io

    hostile.install(fake, ctgov)
    client.get("/api/v1/trials/NCT04280705")
    text = client.get("/trial/NCT04280705/mentions.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > len(hostile.PAYLOADS)
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)        # the payload is there, inert
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


def test_svg_badges_with_hostile_labels_are_valid_xml_without_script(client, fake, ctgov):
    from xml.etree import ElementTree

    hostile.install(fake, ctgov)
    for payload in hostile.PAYLOADS:
        from urllib.parse import quote
        response = client.get("/badge/NCT04280705.svg?label=" + quote(payload))
        assert response.status_code in (200, 400)
        root = ElementTree.fromstring(response.data)
        tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        assert "script" not in tags and "foreignObject" not in tags
        for element in root.iter():
            assert not any(name.lower().startswith("on") for name in element.attrib)


def _strict(body):
    """Parse JSON as strictly as a browser's JSON.parse: no NaN, no Infinity."""
    import json

    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(body, parse_constant=refuse)


JSON_ROUTES = ["/api/v1/trials/NCT04280705?limit=100", "/api/v1/badge?ids=NCT04280705",
               "/api/v1/badges?ids=NCT04280705", "/api/v1/shields/NCT04280705.json",
               "/v1/nct_id/NCT04280705", "/trial/NCT04280705/mentions.json"]
PAGE_ROUTES = ["/trial/NCT04280705", "/?q=NCT04280705", "/badge/NCT04280705.svg",
               "/badge/NCT04280705.svg?style=donut", "/trial/NCT04280705/mentions.csv",
               "/demo/study/NCT04280705"]


@pytest.fixture
def values_client(make_app, fake, ctgov):
    """A client of an app whose registry and every source (Altmetric too) send hostile values."""
    hostile.install_values(fake, ctgov)
    client = make_app(ALTMETRIC_KEY="key").test_client()
    assert client.get("/api/v1/trials/NCT04280705?refresh=1").status_code == 200
    return client


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_json_routes_answer_strict_json_whatever_upstreams_send(values_client, route):
    response = values_client.get(route)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data(as_text=True)
    body.encode("utf-8")
    assert "\\ud8" not in body.lower() and "\\udf" not in body.lower()   # no lone surrogate
    _strict(body)


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_pages_badges_and_exports_answer_whatever_upstreams_send(values_client, route):
    from xml.etree import ElementTree

    response = values_client.get(route)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.data.decode("utf-8")
    if route.startswith("/badge/"):
        ElementTree.fromstring(response.data)


def test_good_items_survive_beside_hostile_ones_and_sources_say_what_they_skipped(
        values_client):
    document = values_client.get("/api/v1/trials/NCT04280705?limit=100").get_json()
    titles = [m["title"] for m in document["mentions"]]
    statuses = {s["id"]: s for s in document["sources"]}
    for source in ("hackernews", "gdelt", "europepmc", "wikipedia", "reddit"):
        assert statuses[source]["status"] == "ok", statuses[source]
        assert any(m["source"] == source and m["title"] == hostile.GOOD_TITLE
                   for m in document["mentions"]), source
    assert {sid: statuses[sid]["skipped"] for sid in hostile.SKIPPED} == hostile.SKIPPED
    assert None in titles                       # kept, with the bad title left empty
    assert not any(m["url"] == hostile.BAD_URL for m in document["mentions"])
    assert document["title"] is None and document["acronym"] is None
    assert document["enrollment"] is None and document["phases"] == ["PHASE3"]
    assert document["sponsor"] == "Sponsor \ufffd"
    assert document["altmetric"]["score"] is None
    page = values_client.get("/trial/NCT04280705").get_data(as_text=True)
    assert "2 items skipped" in page and "1 item skipped" in page


def test_entities_decoded_once_are_escaped_again_by_every_view(client, fake, ctgov):
    from fakeupstream import Reply

    ctgov.add(hostile.study())
    fake.route("/hn/search", Reply.json({"nbPages": 1, "hits": [
        {"objectID": "1", "title": "&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;",
         "created_at_i": 1795168800, "_tags": ["story"]}]}))
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    titles = [m["title"] for m in document["mentions"] if m["source"] == "hackernews"]
    assert titles == ["<script>alert(1)</script> &lt;b&gt;"]
    page = client.get("/trial/NCT04280705").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;" in page
    assert "<script>alert(1)" not in page
    scripts = BeautifulSoup(page, "html.parser").find_all("script")
    assert all(script.get("src") and not script.string for script in scripts)
