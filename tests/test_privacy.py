"""The page addresses users send are used to resolve, and neither stored nor logged."""

import logging
import sqlite3
from urllib.parse import quote, urlsplit

import upstreams
from fakeupstream import Reply


def test_page_urls_are_neither_stored_nor_logged(make_app, fake, ctgov, caplog, tmp_path):
    upstreams.install(fake)
    secret_page = fake.url + "/private/reading-list?session=s3cr3t-token"
    fake.route("/private/reading-list", Reply.text(
        "<p>Our trial NCT04280705</p>", content_type="text/html"))
    app = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc])
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        assert client.get("/api/v1/resolve?url=" + quote(secret_page, safe="")).get_json()[
            "primary"] == "NCT04280705"
        client.get("/api/v1/badge?ids=NCT04280705&url=" + quote(secret_page, safe=""))
        client.get("/?q=" + quote(secret_page, safe=""))
    assert "s3cr3t-token" not in caplog.text
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute(f"SELECT * FROM {table}"):
                assert "s3cr3t-token" not in repr(row), table
