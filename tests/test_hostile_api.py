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
