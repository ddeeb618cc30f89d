"""Compressed answers: brotli or gzip as the client asks, identity otherwise; validators still
answer 304."""

import gzip
import re

import brotli
import pytest

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.fixture
def harvested(client, fake, ctgov):
    """A client of an app that knows one trial's attention."""
    import upstreams
    upstreams.install(fake)
    assert client.get("/api/v1/trials/NCT04280705").status_code == 200
    return client


def paths(client):
    """One answer of every kind people download: pages, data, images, scripts, styles."""
    home = client.get("/").get_data(as_text=True)
    details = client.get("/trial/NCT04280705").get_data(as_text=True)
    popup = client.get("/popup?ids=NCT04280705").get_data(as_text=True)
    return {
        "text/html": "/trial/NCT04280705",
        "application/json": "/api/v1/trials/NCT04280705",
        "image/svg+xml": "/badge/NCT04280705.svg",
        "text/css": re.search(r'href="(/static/trialbuzz\.css\?v=\w+)"', home).group(1),
        "text/javascript": re.search(r'src="(/static/trial\.js\?v=\w+)"', details).group(1),
        "embed": re.search(r'src="(/embed\.js\?v=\w+)"', details).group(1),
        "overlay": re.search(r'"(/bookmarklet/overlay\.js\?v=\w+)"', popup).group(1),
    }


@pytest.mark.parametrize("kind", ["text/html", "application/json", "image/svg+xml",
                                  "text/css", "text/javascript", "embed", "overlay"])
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_every_text_format_is_compressed_as_the_client_asks(harvested, kind, encoding):
    path = paths(harvested)[kind]
    plain = harvested.get(path, headers={"Accept-Encoding": "identity"})
    packed = harvested.get(path, headers={"Accept-Encoding": encoding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert DECODE[encoding](packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data())
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())


@pytest.mark.parametrize("accept, chosen", [
    ("gzip, deflate, br, zstd", "br"), ("br;q=0.5, gzip", "gzip"), ("gzip", "gzip"),
    ("br", "br"), ("identity", None), ("", None), ("deflate", None), ("*", "br"),
    ("gzip;q=0, br;q=0", None), ("gzip;q=0, *", "br"), ("br;q=0, *;q=0.5", "gzip"),
    ("gzip;q=0.2, br;q=0.1", "gzip"), ("br;q=0", None),
])
def test_the_encoding_is_negotiated(harvested, accept, chosen):
    response = harvested.get("/api/v1/trials/NCT04280705", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == chosen


@pytest.mark.parametrize("encoding", ["identity", "gzip", "br"])
@pytest.mark.parametrize("path", ["/badge/NCT04280705.svg", "/badge/NCT04280705.svg?style=donut",
                                  "/api/v1/shields/NCT04280705.json"])
def test_badges_answer_304_to_their_etag_whatever_the_encoding(harvested, path, encoding):
    first = harvested.get(path, headers={"Accept-Encoding": encoding})
    etag = first.headers["ETag"]
    again = harvested.get(path, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert "Accept-Encoding" in again.headers["Vary"]
    # Each encoding is its own representation: its validator does not match another's.
    if first.headers.get("Content-Encoding"):
        assert etag.endswith(f':{encoding}"')
        other = harvested.get(path, headers={"Accept-Encoding": "identity",
                                             "If-None-Match": etag})
        assert other.status_code == 200 and "Content-Encoding" not in other.headers


def test_errors_and_tiny_answers_are_left_as_they_are(harvested):
    error = harvested.get("/api/v1/trials/nonsense", headers={"Accept-Encoding": "gzip"})
    assert error.status_code == 400 and "Content-Encoding" not in error.headers
    tiny = harvested.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in tiny.headers
