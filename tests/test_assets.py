"""Static scripts and styles: minified, under a URL carrying the hash of what is served, kept
for a year under the current hash and revalidated under any other."""

import hashlib

import pytest

from trialbuzz.web import assets

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.mark.parametrize("name, mimetype", [("trial.js", "text/javascript"),
                                            ("trialbuzz.css", "text/css")])
def test_scripts_and_styles_are_minified_under_their_hash(client, app, name, mimetype):
    with app.test_request_context():
        href = app.jinja_env.globals["asset_url"](name)
    url = f"/static/{name}?v="
    response = client.get(href)
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert href == url + hashlib.sha256(body).hexdigest()[:12]
    with open(app.static_folder + "/" + name, "rb") as handle:
        assert len(body) < 0.9 * len(handle.read())
    assert b"\n  " not in body
    assert client.get(href, headers={"If-None-Match": response.headers["ETag"]}
                      ).status_code == 304


def test_pages_name_scripts_and_styles_by_their_hash(client, app):
    with app.test_request_context():
        css = app.jinja_env.globals["asset_url"]("trialbuzz.css")
    assert f'href="{css}"' in client.get("/").get_data(as_text=True)


def test_an_old_hash_gets_todays_file_revalidated(client):
    response = client.get("/static/trialbuzz.css?v=000000000000")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/trialbuzz.css").headers["Cache-Control"] == "no-cache"


def test_the_hash_changes_when_the_file_does(tmp_path):
    script = tmp_path / "x.js"
    script.write_text("function add(a, b) {\n  return a + b;  // sum\n}\n")
    first = assets.content_hash(script)
    assert assets.served(script) == b"function add(a,b){return a+b;}\n"
    script.write_text("function add(a, b) {\n  return b + a;\n}\n")
    assets.served.cache_clear()
    assets.content_hash.cache_clear()
    assert assets.content_hash(script) != first
    # Only what is served counts: a change that minifies away leaves the URL as it was.
    script.write_text("function add(a,b){return b+a;}")
    assets.served.cache_clear()
    assets.content_hash.cache_clear()
    second = assets.content_hash(script)
    script.write_text("function add(a, b) { /* the same */ return b + a; }")
    assets.served.cache_clear()
    assets.content_hash.cache_clear()
    assert assets.content_hash(script) == second


def test_other_static_files_are_served_as_they_are(client, app):
    with app.test_request_context():
        href = app.jinja_env.globals["asset_url"]("favicon.svg")
    response = client.get(href)
    with open(app.static_folder + "/favicon.svg", "rb") as handle:
        assert response.get_data() == handle.read()
    assert response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("path", ["/static/../__init__.py", "/static/nothing.js",
                                  "/static/%2e%2e/settings.py"])
def test_nothing_outside_the_static_folder_is_served(client, path):
    assert client.get(path).status_code == 404
