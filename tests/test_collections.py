"""Collections: made without accounts, read in bulk, changed and deleted only with the edit
token, limited in size and per client, uploaded as CSV, exported, kept fresh by the schedule;
hostile names stay text."""

import csv
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

import quiet
import upstreams
from conftest import refresh_now
from hostile import PAYLOADS
from records import study
from trialbuzz.clock import utcnow
from trialbuzz.collections import PAGE_SIZE
from trialbuzz.jobs import tasks
from trialbuzz.storage.models import Collection, CollectionTrial, Trial, Work

A, QUIET, MERGED, ALIAS = "NCT04280705", "NCT04292899", "NCT00010647", "NCT00009113"
COLD = "NCT04368728"


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study(QUIET, title="=HYPERLINK(\"http://evil.example/\",\"Quiet trial\")"))
    ctgov.add(study(MERGED, aliases=[ALIAS], title="Merged study"))
    ctgov.add(study(COLD, title="A trial nobody asked for yet"))
    upstreams.install(fake)
    quiet.install(fake, QUIET, MERGED, ALIAS)
    return fake


@pytest.fixture
def app(make_app):
    """No embedded worker: the tests run each refresh themselves, so nothing runs unseen."""
    return make_app(EMBEDDED_WORKER=False)


harvest = refresh_now


def create(client, name="My trials", ids=(A,), **headers):
    response = client.post("/api/v1/collections", json={"name": name, "nct_ids": list(ids)},
                           headers=headers)
    return response


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_creating_answers_201_with_an_unguessable_id_its_url_and_a_token_kept_only_hashed(
        app, client, world):
    response = create(client, ids=["nct04280705", A, QUIET, " NCT04280705 "])
    assert response.status_code == 201
    made = response.get_json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", made["id"])
    assert made["url"] == f"http://localhost/collections/{made['id']}"
    assert response.headers["Location"] == f"http://localhost/api/v1/collections/{made['id']}"
    assert made["nct_ids"] == [A, QUIET]             # checked, without repeats, in order
    assert len(made["edit_token"]) >= 40
    assert response.headers["Cache-Control"] == "no-store"
    with app.extensions["trialbuzz"].db.session() as session:
        row = session.get(Collection, made["id"])
        assert row.token_hash == hashlib.sha256(made["edit_token"].encode()).hexdigest()
        assert made["edit_token"] not in repr(vars(row))
    assert create(client).get_json()["id"] != made["id"]


def test_new_trials_are_queued_for_a_worker_never_harvested_on_the_request(app, client, world):
    harvest(app, A)
    calls = sum(world.calls.values())
    made = create(client, ids=[A, COLD]).get_json()
    state = app.extensions["trialbuzz"]
    assert sum(world.calls.values()) == calls        # nothing fetched while answering
    assert state.work.status(COLD).state == "queued"
    assert state.work.status(A).state == "done"      # already harvested: not queued again
    trials = client.get(f"/api/v1/collections/{made['id']}").get_json()["trials"]
    assert trials[1] == {"nct_id": COLD, "pending": True, "state": "pending",
                         "details_url": f"http://localhost/trial/{COLD}",
                         "badge_url": f"http://localhost/badge/{COLD}.svg"}
    html = client.get(f"/collections/{made['id']}").get_data(as_text=True)
    assert "Looking it up on ClinicalTrials.gov…" in html
    assert "1 of 2 trials are still being looked up or collected" in html


def test_reading_gives_compact_documents_built_in_bulk_and_totals(app, client, world):
    harvest(app, A, QUIET, ALIAS)
    made = create(client, ids=[QUIET, A, ALIAS]).get_json()
    payload = client.get(f"/api/v1/collections/{made['id']}").get_json()
    assert payload["name"] == "My trials" and payload["nct_ids"] == [QUIET, A, ALIAS]
    assert [t["nct_id"] for t in payload["trials"]] == [QUIET, A, MERGED]
    assert payload["trials"][2]["requested_id"] == ALIAS
    with app.test_request_context():
        single = app.extensions["trialbuzz"].attention.compact(A, "http://localhost")
    assert payload["trials"][1] == single             # the same document, read in bulk
    totals = payload["totals"]
    assert totals["trials"] == 3 and totals["score"] == 13
    assert totals["with_attention"] == 1              # the quiet ones have none
    assert totals["kinds"]["news"] == 1 and totals["kinds"]["forum"] == 2
    assert totals["kinds"]["publication"] == 3 and totals["mentions"] == 4
    assert totals["pending"] == 0 and totals["collecting"] == 0


def test_reading_many_trials_takes_a_fixed_number_of_queries(app, client, world):
    from sqlalchemy import event

    ids = [f"NCT0{n:07d}" for n in range(1, 121)]
    made = create(client, ids=ids).get_json()
    engine = app.extensions["trialbuzz"].db.engine
    statements = []

    def count(*arguments):
        statements.append(arguments[2])

    event.listen(engine, "before_cursor_execute", count)
    payload = client.get(f"/collections/{made['id']}/trials.json").get_json()
    whole = len(statements)
    first = client.get(f"/api/v1/collections/{made['id']}").get_json()
    event.remove(engine, "before_cursor_execute", count)
    assert len(payload["trials"]) == 120 and payload["totals"]["pending"] == 120
    assert payload["next_url"] is None and payload["limit"] == 120
    assert whole < 20 and len(statements) - whole < 20
    # Read without a limit, a page, with the totals of all 120 and the next page's link.
    assert [t["nct_id"] for t in first["trials"]] == ids[:PAGE_SIZE]
    assert first["totals"] == payload["totals"] and first["nct_ids"] == ids
    assert first["next_url"] == f"http://localhost/api/v1/collections/{made['id']}" \
        f"?offset={PAGE_SIZE}&limit={PAGE_SIZE}"


MISSING = "NCT09999999"


def mixed(app, client):
    """A collection of every standing a trial can have, as ids: QUIET (collecting again),
    MISSING (its lookup failed), A (settled, with attention), COLD (pending) and ALIAS (an
    alias of MERGED, settled)."""
    harvest(app, A, QUIET, ALIAS)
    ids = [QUIET, MISSING, A, COLD, ALIAS]
    made = create(client, ids=ids).get_json()
    state = app.extensions["trialbuzz"]
    with state.db.session() as session:
        session.merge(Work(nct_id=MISSING, state="failed", requested_at=utcnow(),
                           error_code="not_found", error_status=404,
                           error_message=f"{MISSING} is not in ClinicalTrials.gov."))
    state.jobs.request(QUIET)
    return made, ids


def test_a_long_collection_is_read_a_page_at_a_time_with_the_totals_of_them_all(
        app, client, world):
    made, ids = mixed(app, client)
    path = f"/api/v1/collections/{made['id']}"
    whole = client.get(f"{path}?limit=100").get_json()
    assert [t.get("requested_id", t["nct_id"]) for t in whole["trials"]] == ids
    totals = whole["totals"]
    assert (totals["trials"], totals["score"], totals["pending"], totals["collecting"],
            totals["errors"]) == (5, 13, 1, 1, 1)
    listed, url, pages = [], f"{path}?limit=2", 0
    while url:
        page = client.get(url.removeprefix("http://localhost")).get_json()
        assert page["totals"] == totals and page["nct_ids"] == ids and page["limit"] == 2
        assert page["offset"] == 2 * pages
        listed += page["trials"]
        url, pages = page["next_url"], pages + 1
    assert pages == 3 and listed == whole["trials"]
    past = client.get(f"{path}?offset=9").get_json()
    assert past["trials"] == [] and past["totals"] == totals and past["next_url"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "offset=-1",
                                   "offset=10001", "limit=1.5"])
def test_a_bad_limit_or_offset_is_refused_with_what_is_wanted(client, world, query):
    made = create(client).get_json()
    response = client.get(f"/api/v1/collections/{made['id']}?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and "whole number from" in error["message"]


def test_a_put_with_a_bad_limit_changes_nothing(client, world):
    made = create(client).get_json()
    refused = client.put(f"/api/v1/collections/{made['id']}?limit=0",
                         json={"name": "Renamed"}, headers=bearer(made["edit_token"]))
    assert refused.status_code == 400
    assert client.get(f"/api/v1/collections/{made['id']}").get_json()["name"] == "My trials"
    changed = client.put(f"/api/v1/collections/{made['id']}?limit=1&offset=0",
                         json={"name": "Renamed"}, headers=bearer(made["edit_token"]))
    assert changed.status_code == 200 and changed.get_json()["name"] == "Renamed"


def test_a_refresh_queued_after_documents_were_kept_reads_as_collecting_on_every_path(
        app, client, world):
    """The totals of a short collection (from its kept documents) and of a long one's page
    (from tallies) say the same while a refresh runs."""
    harvest(app, A, QUIET)
    made = create(client, ids=[A, QUIET]).get_json()
    path = f"/api/v1/collections/{made['id']}"
    assert client.get(path).get_json()["totals"]["collecting"] == 0     # now kept
    app.extensions["trialbuzz"].jobs.request(QUIET)
    whole, paged = client.get(path).get_json(), client.get(f"{path}?limit=1").get_json()
    assert whole["totals"]["collecting"] == paged["totals"]["collecting"] == 1
    assert [t["state"] for t in whole["trials"]] == ["complete", "collecting"]
    html = client.get(f"/collections/{made['id']}").get_data(as_text=True)
    assert "1 of 2 trials are still being looked up or collected" in html
    harvest(app, QUIET)                              # done: settled again
    assert client.get(path).get_json()["totals"]["collecting"] == 0


def test_a_page_past_the_end_shows_the_last_one(app, client, world, monkeypatch):
    """A bookmark of a page of a list since made shorter."""
    from trialbuzz.web import collection_views

    made, ids = mixed(app, client)
    monkeypatch.setattr(collection_views, "PAGE_SIZE", 2)
    html = client.get(f"/collections/{made['id']}?offset=400").get_data(as_text=True)
    assert "Trials 5–5 of 5, in this order." in html
    assert 'rel="prev">Previous 2</a>' in html and 'rel="next"' not in html
    assert "offset=2" in re.search(r'<a href="([^"]+)" rel="prev">', html).group(1)


def test_tallies_add_up_and_sort_as_the_documents_do(app, client, world):
    """The tallies a long collection is totalled and ordered by, without its documents, give
    what its compact documents give."""
    from trialbuzz.web import collection_views

    made, ids = mixed(app, client)
    attention = app.extensions["trialbuzz"].attention
    with app.test_request_context():
        tallied = attention.tallies(ids)
        documents = attention.compacts(ids, "http://localhost")
    assert collections_totals(tallied) == collections_totals(documents)
    with app.test_request_context():               # the totals alone: no title, no day
        bare = attention.tallies(ids, orders=False)
    assert collections_totals(bare) == collections_totals(documents)
    assert [{k: v for k, v in t.items() if k not in ("title", "latest")} for t in tallied] == bare
    assert [(t["nct_id"], t.get("requested_id")) for t in tallied] == \
        [(d["nct_id"], d.get("requested_id")) for d in documents]
    for tally, document in zip(tallied, documents):
        if "pending" in document or "error" in document:       # the same, links aside
            assert tally == {k: v for k, v in document.items() if not k.endswith("_url")}
        else:
            assert (tally["score"], tally["kinds"], tally["title"]) == \
                (document["score"], document["kinds"], document["title"])
            assert (tally["state"] == "collecting") == (document["state"] == "collecting")
            assert tally["latest"] == collection_views._latest(document)
    assert any(t.get("latest") for t in tallied)       # A's mentions are dated
    for key in collection_views.SORTS:
        for descending in (False, True):
            assert [t["nct_id"] for t in collection_views._sorted(tallied, key, descending)] == \
                [d["nct_id"] for d in collection_views._sorted(documents, key, descending)]


def collections_totals(entries):
    from trialbuzz import collections

    return collections.totals(entries)


def test_a_long_collection_page_shows_a_page_of_trials_in_the_order_of_them_all(
        app, client, world, monkeypatch):
    from trialbuzz.web import collection_views

    made, ids = mixed(app, client)
    path = f"/collections/{made['id']}"

    def rows(html):
        table = html.split('class="data collection-trials"')[1].split("</table>")[0]
        return re.findall(r'<td class="id"><a href="/trial/(NCT\d{8})">', table)

    def pages(query):
        """Every row of the table, following its Next links, and the pages' HTML."""
        listed, seen, url = [], [], path + query
        while url:
            html = client.get(url).get_data(as_text=True)
            seen.append(html)
            listed += rows(html)
            found = re.search(r'<a href="([^"]+)" rel="next">Next 2</a>', html)
            url = found.group(1).replace("&amp;", "&") if found else None
        return listed, seen

    for query in ("", "?sort=title&order=asc", "?sort=nct_id&order=desc",
                  "?sort=recent&order=desc", "?sort=score&order=asc"):
        one_page = rows(client.get(path + query).get_data(as_text=True))
        monkeypatch.setattr(collection_views, "PAGE_SIZE", 2)
        listed, seen = pages(query)
        monkeypatch.setattr(collection_views, "PAGE_SIZE", PAGE_SIZE)
        assert listed == one_page and len(one_page) == 5 and len(seen) == 3
    first, second, last = seen
    assert "Trials 1–2 of 5, in this order." in first and "Trials 5–5 of 5" in last
    assert 'rel="prev"' not in first and 'rel="prev">Previous 2</a>' in second
    assert '<nav class="pager" aria-label="Pages of trials">' in first
    for html in seen:                               # the totals, timeline and embed: all
        assert "Total score</dt><dd>13</dd>" in html
        assert "2 of 5 trials are still being" in html
        assert "1 of 5 trials could not be looked up on ClinicalTrials.gov" in html
        snippet = re.search(r'<code id="snippet-collection">(.*?)</code>', html, re.S).group(1)
        assert snippet.count("data-nct-id=") == 4       # every trial but the failed one
    # A short collection shows no pager and no range.
    short = client.get(f"/collections/{create(client, ids=[A]).get_json()['id']}")
    assert "Trials 1–" not in short.get_data(as_text=True)
    assert 'class="pager"' not in short.get_data(as_text=True)


def test_settled_trials_are_kept_between_reads_and_read_again_once_changed(
        app, client, world, monkeypatch):
    """A second read builds only what was not kept: the trials still pending, the alias (its
    changes are its study's) and a trial changed since, whose new figures show at once."""
    from trialbuzz.attention import bulk

    harvest(app, A, QUIET, ALIAS)
    made = create(client, ids=[QUIET, A, ALIAS, COLD]).get_json()
    path = f"/api/v1/collections/{made['id']}"
    first = client.get(path).get_json()
    read = []
    real = bulk.read
    monkeypatch.setattr(bulk, "read", lambda db, ids, *a: read.append(list(ids)) or
                        real(db, ids, *a))
    assert client.get(path).get_json()["trials"] == first["trials"]
    assert read == [[ALIAS, COLD]]
    # The Explorer's pages without their mentions are kept apart from those with them.
    state = app.extensions["trialbuzz"]
    with app.test_request_context():
        bare = state.attention.compacts([A], "http://localhost", mentions=False)
        full = state.attention.compacts([A], "http://localhost")
    assert "mentions" not in bare[0] and len(full[0]["mentions"]) == 5
    # New attention for A, stored by this process: read again, with its new score.
    from trialbuzz.attention.harvest import Outcome
    from trialbuzz.attention.sources.base import Mention

    read.clear()
    state.harvester.store(A, [Outcome("gdelt", "ok", mentions=[Mention(
        "gdelt", "news", "more-news", "https://example.org/more-news",
        published_at=utcnow() - timedelta(hours=1))])])
    again = client.get(path).get_json()
    assert A in read[0] and QUIET not in read[0]
    assert again["trials"][1]["score"] > first["trials"][1]["score"]
    assert again["totals"]["score"] == first["totals"]["score"] + \
        again["trials"][1]["score"] - first["trials"][1]["score"]


def test_changing_and_deleting_need_the_edit_token(app, client, world):
    made = create(client).get_json()
    path = f"/api/v1/collections/{made['id']}"
    for method in (client.put, client.delete):
        missing = method(path, json={"name": "Taken"})
        assert missing.status_code == 401
        assert missing.get_json()["error"]["code"] == "unauthorized"
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        for wrong in ("Bearer " + made["edit_token"][:-1] + "x", "Basic " + made["edit_token"],
                      "Bearer "):
            answer = method(path, json={"name": "Taken"}, headers={"Authorization": wrong})
            assert answer.status_code in (401, 403)
            assert answer.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    other = create(client).get_json()
    assert client.put(path, json={"name": "Taken"},
                      headers=bearer(other["edit_token"])).status_code == 403
    assert client.get(path).get_json()["name"] == "My trials"

    changed = client.put(path, json={"name": "Renamed", "nct_ids": [QUIET, A]},
                         headers=bearer(made["edit_token"]))
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Renamed"
    assert changed.get_json()["nct_ids"] == [QUIET, A]
    assert app.extensions["trialbuzz"].work.status(QUIET).state == "queued"
    renamed = client.put(path, json={"name": "Only renamed"}, headers=bearer(made["edit_token"]))
    assert renamed.get_json()["nct_ids"] == [QUIET, A]
    assert client.put(path, json={}, headers=bearer(made["edit_token"])).status_code == 400

    assert client.delete(path, headers=bearer(made["edit_token"])).status_code == 204
    assert client.get(path).status_code == 404
    assert client.get(path).get_json()["error"]["code"] == "collection_not_found"
    assert client.get(f"/collections/{made['id']}").status_code == 404
    with app.extensions["trialbuzz"].db.session() as session:
        assert session.query(CollectionTrial).filter_by(collection_id=made["id"]).count() == 0
    assert client.delete(path, headers=bearer(made["edit_token"])).status_code == 404


def test_a_collection_holds_at_most_collection_max_trials(make_app, world):
    client = make_app(EMBEDDED_WORKER=False, COLLECTION_MAX_TRIALS=3).test_client()
    ids = ["NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004"]
    refused = create(client, ids=ids)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "collection_too_large"
    assert create(client, ids=ids[:3] + ids[:3]).status_code == 201   # repeats do not count
    form = client.post("/collections/new", data={"name": "x", "nct_ids": " ".join(ids)})
    assert form.status_code == 400 and "at most 3 trials" in form.get_data(as_text=True)


def test_creation_is_limited_per_client_with_retry_after(make_app, world):
    client = make_app(EMBEDDED_WORKER=False, COLLECTION_CREATE_LIMIT="2/hour").test_client()
    assert create(client, name="").status_code == 400   # refused ones do not count
    assert create(client).status_code == 201
    assert client.post("/collections/new", data={"name": "x", "nct_ids": A}).status_code == 201
    limited = create(client)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    # Whole seconds until the client's window lets it in again (the sliding window's estimate).
    assert 1 <= int(limited.headers["Retry-After"]) <= 3600
    page = client.post("/collections/new", data={"name": "x", "nct_ids": A})
    assert page.status_code == 429 and page.headers["Retry-After"]
    other = client.post("/api/v1/collections", json={"name": "x", "nct_ids": [A]},
                        environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 201                      # another client has its own


def test_a_csv_upload_makes_a_collection_of_every_id_in_it_once_in_order(app, client, world):
    upload = ("\ufefftrial,title,note\r\n"
              f"{QUIET},Quiet,\"see also nct04280705\"\r\n"
              f"{A},ACTT,dup of {QUIET}\r\n"
              "NCT123,too short,NCT000000000 too long\r\n").encode()
    response = client.post("/collections/new", data={
        "name": "From a spreadsheet", "nct_ids": f"{MERGED}\n",
        "file": (io.BytesIO(upload), "trials.csv")}, content_type="multipart/form-data")
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    token = re.search(r'<code id="edit-token">([^<]+)</code>', html).group(1)
    url = re.search(r'href="(http://localhost/collections/[^"]+)"', html).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    collection_id = url.rsplit("/", 1)[1]
    read = client.get(f"/api/v1/collections/{collection_id}").get_json()
    assert read["nct_ids"] == [MERGED, QUIET, A]
    assert client.put(f"/api/v1/collections/{collection_id}", json={"name": "ok"},
                      headers=bearer(token)).status_code == 200


def test_an_upload_without_ids_is_refused_on_the_form(app, client, world):
    response = client.post("/collections/new", data={
        "name": "Nothing", "file": (io.BytesIO(b"no ids here"), "x.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "No NCT ID found" in response.get_data(as_text=True)
    assert client.get("/collections/new").status_code == 200


@pytest.mark.parametrize("body, code", [
    ({"name": "x", "nct_ids": ["<script>alert(1)</script>"]}, "invalid_nct_id"),
    ({"name": "x", "nct_ids": "NCT04280705"}, "invalid_parameter"),
    ({"name": "x", "nct_ids": [4280705]}, "invalid_parameter"),
    ({"name": "x", "nct_ids": ["NCT00000000"]}, "invalid_nct_id"),
    ({"name": "", "nct_ids": [A]}, "invalid_name"),
    ({"name": "\x00\x01 ", "nct_ids": [A]}, "invalid_name"),
    ({"name": ["x"], "nct_ids": [A]}, "invalid_name"),
    ({"name": "x" * 201, "nct_ids": [A]}, "invalid_name"),
    ([1, 2], "invalid_json"),
])
def test_bad_input_is_refused_in_the_error_shape(client, world, body, code):
    response = client.post("/api/v1/collections", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("collection_id", ["<script>", "x" * 200, "..%2f..%2fetc",
                                           "AAAAAAAAAAAAAAAAAAAAAA"])
def test_unknown_or_malformed_collection_ids_are_404(client, world, collection_id):
    assert client.get(f"/api/v1/collections/{collection_id}").status_code == 404
    assert client.get(f"/collections/{collection_id}").status_code == 404
    assert client.get(f"/collections/{collection_id}/feed.atom").status_code == 404


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_name_stays_text_on_the_page_and_in_the_api(app, client, world, payload):
    made = create(client, name=payload).get_json()
    shown = " ".join(payload.split())
    assert made["name"] == shown
    html = client.get(f"/collections/{made['id']}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<h1>" + shown.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;").replace('"', "&#34;").replace("'", "&#39;") + "</h1>" in html
    assert client.get(f"/api/v1/collections/{made['id']}").get_json()["name"] == shown


def test_the_page_sorts_by_links_and_shows_badges_totals_timeline_and_embed(app, client,
                                                                          world):
    harvest(app, A, QUIET, MERGED)
    made = create(client, ids=[QUIET, MERGED, A]).get_json()
    path = f"/collections/{made['id']}"

    def order(query=""):
        html = client.get(path + query).get_data(as_text=True)
        table = html.split('class="data collection-trials"')[1].split("</table>")[0]
        return re.findall(r'<td class="id"><a href="/trial/(NCT\d{8})">', table), html

    by_score, html = order()
    assert by_score[0] == A                            # the default: score, highest first
    assert order("?sort=nct_id&order=asc")[0] == [MERGED, A, QUIET]
    assert order("?sort=nct_id&order=desc")[0] == [QUIET, A, MERGED]
    assert order("?sort=title&order=asc")[0] == [QUIET, A, MERGED]  # "=HYPERLINK…" sorts first
    assert order("?sort=nonsense")[0] == by_score
    # Every header is a link that sorts, without a script; the current one says how.
    assert f'href="{path}?sort=title&amp;order=asc"' in html
    assert f'href="{path}?sort=score&amp;order=asc"' in html   # again: the other way
    assert 'aria-sort="descending"' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" width=') >= 3  # a badge a row
    assert "Total score</dt><dd>13</dd>" in html
    assert 'svg xmlns="http://www.w3.org/2000/svg" class="timeline wide"' in html
    assert 'class="timeline narrow"' in html      # labels stay 12 px on a phone
    assert f'type="application/atom+xml" title="New mentions: My trials" href="{path}/feed.atom"' \
        in html
    assert f'<a href="{path}/feed.atom">Feed of new mentions (Atom)</a>' in html
    snippet = re.search(r'<code id="snippet-collection">(.*?)</code>', html, re.S).group(1)
    assert snippet.count("data-nct-id=") == 3 and "embed.js" in snippet
    assert "<script" not in html.split("<main")[1].split("</main>")[0]


def test_exports_are_formula_safe_csv_and_the_json_payload(app, client, world):
    harvest(app, A, QUIET)
    made = create(client, name=PAYLOADS[8], ids=[A, QUIET, COLD]).get_json()
    response = client.get(f"/collections/{made['id']}/trials.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="collection-{made["id"]}.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [row["nct_id"] for row in rows] == [A, QUIET, COLD]
    assert rows[0]["score"] == "13" and rows[0]["news"] == "1" and rows[0]["state"] == "complete"
    assert rows[1]["title"].startswith("'=HYPERLINK")
    assert rows[2]["state"] == "pending"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    exported = client.get(f"/collections/{made['id']}/trials.json")
    assert exported.headers["Content-Disposition"].endswith('.json"')
    assert exported.get_json() == \
        client.get(f"/api/v1/collections/{made['id']}?limit=3").get_json()


def test_the_schedule_keeps_the_trials_of_read_collections_fresh(app, client, world):
    harvest(app, A, QUIET)
    state = app.extensions["trialbuzz"]
    with state.db.session() as session:                # nobody looked at them by themselves
        for row in session.query(Work):
            row.viewed_at = utcnow() - timedelta(days=8)
    read = create(client, ids=[A, COLD]).get_json()
    unread = create(client, ids=[QUIET]).get_json()
    state.work.finish(COLD)                           # its first job was lost, say
    queued = []
    state.jobs.enqueue = queued.append
    tasks.tick(state, state.jobs)
    assert queued == [COLD]                           # never harvested: at once
    later = utcnow() + timedelta(seconds=state.settings["FRESHNESS"] * 0.95)
    with state.db.session() as session:
        session.get(Collection, unread["id"]).viewed_at = utcnow() - timedelta(days=8)
    queued.clear()
    tasks.tick(state, state.jobs, clock=lambda: later)
    assert A in queued and QUIET not in queued         # unread for a week: left alone
    with state.db.session() as session:
        assert session.get(Trial, QUIET).harvested_at is not None
    assert read["id"] != unread["id"]


def test_a_body_over_a_megabyte_is_refused_before_it_is_read(client, world):
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'", "nct_ids": []}'
    response = client.post("/api/v1/collections", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_a_partial_trial_reads_the_same_in_bulk_with_its_failing_source(app, client, world):
    from fakeupstream import Reply

    state = app.extensions["trialbuzz"]
    harvest(app, A)                                      # everything answers once
    world.route(upstreams.ROUTES["hackernews"], Reply.text("Internal Server Error", 500))
    for _ in range(2):                                   # then Hacker News fails twice
        state.jobs.request(A, force=True)
        tasks.refresh(state, A)
    made = create(client, ids=[A]).get_json()
    bulk = client.get(f"/api/v1/collections/{made['id']}").get_json()["trials"][0]
    with app.test_request_context():
        single = state.attention.compact(A, "http://localhost")
    assert bulk["state"] == "partial" and bulk == single
    failing = next(s for s in bulk["sources"] if s["id"] == "hackernews")
    assert failing["status"] == "error" and "retry_at" in failing and "failing_since" in failing


def test_a_hostile_name_stays_text_on_the_page_made_by_the_form(app, client, world):
    response = client.post("/collections/new", data={"name": PAYLOADS[0] + PAYLOADS[1],
                                                     "nct_ids": A})
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;xss-1&#34;)&lt;/script&gt;" in html


def test_a_large_collection_is_queued_by_one_job_past_its_first_trials(app, client, world):
    from trialbuzz.jobs.engine import REQUESTED_NOW

    state = app.extensions["trialbuzz"]
    ids = [f"NCT0{n:07d}" for n in range(1, REQUESTED_NOW + 6)]
    assert create(client, ids=ids).status_code == 201
    states = [state.work.status(nct_id).state for nct_id in ids]
    assert states == ["queued"] * REQUESTED_NOW + [None] * 5
    huey = state.jobs.huey
    while (task := huey.dequeue()) is not None:           # what a worker would run
        if task.name == "request_many":
            huey.execute(task)
    assert {state.work.status(nct_id).state for nct_id in ids} == {"queued"}


def add_edge_mentions(db, nct_id):
    """An undated news story of `nct_id`, and one a minute before October 2026 ends (UTC)."""
    from trialbuzz.storage.models import Mention

    with db.session() as session:
        for name, published in (("undated", None),
                                ("late", datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc))):
            session.add(Mention(nct_id=nct_id, source="gdelt", external_id=name, kind="news",
                                url=f"https://example.org/{name}", title=name,
                                published_at=published, first_seen_at=utcnow(),
                                last_seen_at=utcnow()))


def plain_counts(db, nct_ids):
    """Mentions of `nct_ids` per month and kind, as the details page counts its own: every
    listed mention read as an object, its moment in UTC."""
    from trialbuzz.storage.models import Mention
    from trialbuzz.web import timeline

    with db.session() as session:
        rows = session.query(Mention).filter(Mention.nct_id.in_(nct_ids),
                                             Mention.duplicate_of.is_(None)).all()
        listed = [{"kind": m.kind, "published_at": m.published_at.astimezone(timezone.utc)
                   .isoformat() if m.published_at else None} for m in rows]
    return sorted(timeline.counted(listed), key=str)


def test_the_store_counts_mentions_per_month_and_kind_as_they_read(app, client, world):
    from trialbuzz.attention import bulk

    harvest(app, A, QUIET, ALIAS)
    db = app.extensions["trialbuzz"].db
    add_edge_mentions(db, A)
    counts = bulk.monthly_kinds(db, [A, QUIET, MERGED])
    assert sorted(counts, key=str) == plain_counts(db, [A, QUIET, MERGED])
    assert (None, "news", 1) in counts and ((2026, 10), "news", 1) in counts
