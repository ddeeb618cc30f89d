"""Badge routes: SVG badges with caching, the embed script and its batch API, shields, JSONP."""

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import quiet
import upstreams
from fakeupstream import Reply
from records import study
from trialbuzz.attention.kinds import KINDS

NS = "{http://www.w3.org/2000/svg}"
QUIET = "NCT04292899"
SCRIPTS = Path(__file__).resolve().parents[1] / "bookmarklet"


def embed_code():
    """embed.js and the drawing it includes, without comments (which name what the code avoids)."""
    text = "".join((SCRIPTS / name).read_text() for name in ("embed.js", "embed_badge.js"))
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)


@pytest.fixture
def world(fake, ctgov):
    ctgov.add(study(QUIET, title="Quiet trial"))
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"], title="Merged study"))
    upstreams.install(fake)
    quiet.install(fake, QUIET)
    return fake


def svg_texts(response):
    root = ET.fromstring(response.get_data(as_text=True))
    return [t.text for t in root.iter(NS + "text")]


@pytest.mark.parametrize("query, shown", [
    ("", "13"), ("?style=flat-square", "13"), ("?style=for-the-badge", "13"),
    ("?style=donut", "13"), ("?style=donut&size=180&mono=1", "13"),
    ("?label=buzz&color=blue", "13"),
])
def test_svg_badge_shows_the_score(client, world, query, shown):
    response = client.get(f"/badge/NCT04280705.svg{query}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert svg_texts(response)[-1] == shown


def test_svg_badge_answers_304_to_its_etag(client, world):
    first = client.get("/badge/NCT04280705.svg")
    etag = first.headers["ETag"]
    again = client.get("/badge/NCT04280705.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/badge/NCT04280705.svg?style=donut", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_a_trial_without_attention_gets_the_ghost_badge(client, world):
    assert svg_texts(client.get(f"/badge/{QUIET}.svg"))[-1] == "none"
    donut = client.get(f"/badge/{QUIET}.svg?style=donut").get_data(as_text=True)
    assert 'class="tb-ring-ghost"' in donut


def test_an_alias_gets_the_badge_of_its_study(client, world):
    response = client.get("/badge/nct00009113.svg")
    assert response.status_code == 200
    assert "NCT00010647" in ET.fromstring(response.data).get("aria-label")


def test_hostile_registry_titles_stay_text_in_the_svg(client, world, ctgov):
    ctgov.add(study("NCT04368728", title='</title><script>alert(1)</script>"&'))
    response = client.get("/badge/NCT04368728.svg")
    root = ET.fromstring(response.data)
    assert not list(root.iter(NS + "script"))
    assert '</title><script>alert(1)</script>"&' in root.find(NS + "title").text


@pytest.mark.parametrize("path, status, message", [
    ("/badge/bad.svg", 400, "invalid ID"),
    ("/badge/NCT1234.svg", 400, "invalid ID"),
    ("/badge/NCT04280705.svg?style=plastic", 400, "invalid option"),
    ("/badge/NCT04280705.svg?color=javascript", 400, "invalid option"),
    ("/badge/NCT99999999.svg", 404, "no such trial"),
])
def test_badge_errors_are_small_error_badges(client, world, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert svg_texts(response)[-1] == message


def test_registry_outage_gives_an_unavailable_badge(client, fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.text("down", 503))
    response = client.get("/badge/NCT04280705.svg")
    assert response.status_code in (502, 503)
    assert svg_texts(response)[-1] == "unavailable"


def test_a_slow_first_harvest_gives_a_pending_badge_for_a_minute(make_app, fake, ctgov):
    upstreams.install(fake, delay=1.5)
    client = make_app(COLD_WAIT=0.2).test_client()
    response = client.get("/badge/NCT04280705.svg")
    assert svg_texts(response)[-1] == "pending"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    shields = client.get("/api/v1/shields/NCT04280705.json").get_json()
    assert shields["message"] == "pending" and shields["cacheSeconds"] == 300


def test_badge_route_over_the_client_limit_is_an_image(make_app, fake, ctgov):
    upstreams.install(fake)
    client = make_app(CLIENT_UPSTREAM_LIMIT="1/day").test_client()
    client.get("/badge/NCT04280705.svg?style=donut")
    ctgov.add(study("NCT04368728", title="Another"))
    response = client.get("/badge/NCT04368728.svg")
    assert response.status_code == 429
    assert response.mimetype == "image/svg+xml"
    assert svg_texts(response)[-1] == "rate limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_shields_endpoint_follows_the_schema(client, world):
    response = client.get("/api/v1/shields/NCT04280705.json")
    assert response.get_json() == {"schemaVersion": 1, "label": "attention", "message": "13",
                                   "color": "b3261e", "cacheSeconds": 3600}
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/api/v1/shields/NCT04280705.json",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_shields_endpoint_for_a_trial_without_attention(client, world):
    payload = client.get(f"/api/v1/shields/{QUIET}.json").get_json()
    assert payload["message"] == "none" and payload["color"] == "lightgrey"
    assert payload["cacheSeconds"] >= 300


@pytest.mark.parametrize("path, status, code", [
    ("/api/v1/shields/nope.json", 400, "invalid_nct_id"),
    ("/api/v1/shields/NCT99999999.json", 404, "trial_not_found"),
    ("/api/v1/badges?ids=", 400, "no_nct_id"),
    ("/api/v1/badges?ids=NCT04280705,nope", 400, "invalid_nct_id"),
    ("/api/v1/badges?ids=" + ",".join(f"NCT{n:08d}" for n in range(1, 52)), 400,
     "invalid_parameter"),
])
def test_api_errors_have_the_one_shape(client, world, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_embed_batch_answers_every_id_in_order(client, world):
    response = client.get(f"/api/v1/badges?ids=NCT04280705,{QUIET},nct00009113,NCT99999999",
                          headers={"Origin": "https://hospital.example.org"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    busy, silent, merged, missing = response.get_json()["trials"]
    assert busy["score"] == 13 and busy["has_attention"] is True
    assert busy["kinds"]["forum"] == 2 and "mentions" not in busy
    assert busy["details_url"].endswith("/trial/NCT04280705")
    assert silent["has_attention"] is False and silent["score"] == 0
    assert merged["nct_id"] == "NCT00010647" and merged["requested_id"] == "NCT00009113"
    assert missing == {"nct_id": "NCT99999999", "error": {
        "code": "trial_not_found", "message": "ClinicalTrials.gov has no study NCT99999999."}}


def test_embed_batch_harvests_new_trials_side_by_side(client, fake, ctgov):
    ids = ("NCT04292899", "NCT04368728")
    for nct_id in ids:
        ctgov.add(study(nct_id, title=f"Trial {nct_id}"))
    upstreams.install(fake, delay=0.2)
    trials = client.get(f"/api/v1/badges?ids={','.join(ids)}").get_json()["trials"]
    assert not any(t.get("pending") for t in trials)

    def span(nct_id):
        """When the upstream calls for one trial began and ended."""
        times = [r.at for r in fake.requests if nct_id in r.path or nct_id in str(r.query)]
        return min(times), max(times)

    first, second = sorted(span(nct_id) for nct_id in ids)
    # Side by side, not one after the other: the second trial's calls began while the first
    # trial's were still going (one harvest makes a dozen calls, each 0.2 s late).
    assert second[0] < first[1]


def test_embed_batch_marks_trials_still_harvesting_as_pending(make_app, fake, ctgov):
    upstreams.install(fake, delay=1.5)
    client = make_app(COLD_WAIT=0.2).test_client()
    response = client.get("/api/v1/badges?ids=NCT04280705")
    assert response.get_json()["trials"] == [{"nct_id": "NCT04280705", "pending": True, "state": "pending"}]
    assert response.headers["Cache-Control"] == "public, max-age=5"


def test_embed_script_is_given_the_server_and_the_kinds(client):
    response = client.get("/embed.js", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert "/*TRIALBUZZ_CONFIG*/null" not in body and "/*TRIALBUZZ_BADGE*/" not in body
    assert "__TRIALBUZZ_CONFIG__" not in body
    assert "function popover(" in body
    config = json.loads(re.search(r"var CONFIG=(\{.*?\});", body).group(1))
    assert config["base"] == "http://localhost"
    assert [(k["id"], k["label"], k["color"]) for k in config["kinds"]] == [
        (kind, value["label"], value["color"]) for kind, value in KINDS.items()]
    assert config["kinds"][0]["one"] == "news story"


def test_the_fixed_embed_url_redirects_briefly_to_the_script_under_its_hash(client):
    fixed = client.get("/embed.js")
    assert fixed.status_code == 302
    assert fixed.headers["Cache-Control"] == "public, max-age=300"
    location = fixed.headers["Location"]
    assert re.fullmatch(r"/embed\.js\?v=[0-9a-f]{12}", location)
    hashed = client.get(location)
    body = hashed.get_data()
    assert hashed.status_code == 200
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert location.endswith(hashlib.sha256(body).hexdigest()[:12])
    assert client.get(location, headers={"If-None-Match": hashed.headers["ETag"]}
                      ).status_code == 304
    # A hash from before an upgrade still gets a working script, revalidated each time.
    old = client.get("/embed.js?v=000000000000")
    assert old.get_data() == body and old.headers["Cache-Control"] == "no-cache"


def test_the_embed_script_is_minified():
    from trialbuzz.web.badge_views import embed_script

    body, _ = embed_script("http://localhost")
    source = "".join((SCRIPTS / name).read_text() for name in ("embed.js", "embed_badge.js"))
    assert len(body) < 0.8 * len(source)
    assert "\n  " not in body and "// " not in body


def test_the_embed_hash_follows_its_content():
    from trialbuzz.web.badge_views import embed_script

    one, other = embed_script("http://127.0.0.1:5000"), embed_script("https://example.org")
    assert one[1] != other[1]
    assert one[1] == hashlib.sha256(one[0].encode()).hexdigest()[:12]


def test_embed_script_config_cannot_close_a_script(make_app):
    body = make_app(PUBLIC_URL="https://example.org/</script><b>&").test_client().get(
        "/embed.js", follow_redirects=True).get_data(as_text=True)
    assert "</script><b>" not in body
    assert "https://example.org/\\u003c/script\\u003e\\u003cb\\u003e\\u0026" in body


@pytest.mark.parametrize("sink", ["innerHTML", "outerHTML", "insertAdjacentHTML",
                                  "document.write", "eval(", "new Function"])
def test_embed_script_never_parses_data_as_code_or_html(sink):
    assert sink not in embed_code()


def test_embed_script_talks_to_no_other_host():
    urls = set(re.findall(r"https?://[^\s\"')]+", embed_code()))
    assert urls == {"http://www.w3.org/2000/svg"}


def test_compatible_endpoint_allows_any_origin(client, world):
    for path in ("/v1/nct_id/NCT04280705", f"/v1/nct_id/{QUIET}", "/v1/nct_id/nope"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"


def test_compatible_endpoint_speaks_jsonp_to_named_callbacks(client, world):
    response = client.get("/v1/nct_id/NCT04280705?callback=app.show_1")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert body.startswith("/**/app.show_1({") and body.endswith("});")
    assert json.loads(body[len("/**/app.show_1("):-2])["score"] == 13


@pytest.mark.parametrize("callback", ["alert(1)//", "a b", "1abc", "x" * 65, "a..b", ""])
def test_jsonp_refuses_callbacks_that_are_not_names(client, world, callback):
    response = client.get("/v1/nct_id/NCT04280705", query_string={"callback": callback})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize("query", ["", "?style=for-the-badge", "?style=donut&size=180"])
def test_hostile_corpus_badges_are_valid_svg_without_markup(client, fake, ctgov, query):
    import hostile

    hostile.install(fake, ctgov)
    root = ET.fromstring(client.get(f"/badge/NCT04280705.svg{query}").data)
    assert {element.tag.split("}")[1] for element in root.iter()} <= {
        "svg", "title", "style", "linearGradient", "stop", "clipPath", "rect", "g", "text",
        "circle"}
    assert hostile.PAYLOADS[1] in root.find(NS + "title").text


def test_embed_entries_say_whether_the_trial_is_still_collecting():
    from trialbuzz.web import badge_data

    entry = badge_data.embed_entry({"nct_id": "NCT04280705", "score": 3, "kinds": {"news": 1},
                                    "state": "collecting", "sources": []})
    assert entry["state"] == "collecting" and "sources" not in entry


def test_nothing_found_while_sources_are_missing_is_partial_never_none(make_app, fake, ctgov):
    # Only the registry answers: every networked source fails.
    client = make_app().test_client()
    image = client.get("/badge/NCT04280705.svg")
    assert svg_texts(image)[-1] == "partial" and "none" not in svg_texts(image)
    assert image.headers["Cache-Control"] == "public, max-age=300"
    assert "partial for NCT04280705" in ET.fromstring(image.get_data()).get("aria-label")
    donut = client.get("/badge/NCT04280705.svg?style=donut")
    assert "attention: partial for NCT04280705" in ET.fromstring(donut.get_data()).get(
        "aria-label")
    shield = client.get("/api/v1/shields/NCT04280705.json").get_json()
    assert shield["message"] == "partial" and shield["cacheSeconds"] == 300
    response = client.get("/api/v1/badges?ids=NCT04280705")
    (entry,) = response.get_json()["trials"]
    assert entry["state"] == "partial" and entry["has_attention"] is False
    assert set(entry["coverage"]) == {"message", "retry_at"}
    assert entry["coverage"]["message"].startswith("1 of 8 sources answered; Europe PMC")
    assert response.headers["Cache-Control"] == "public, max-age=5"


def test_a_trial_with_attention_keeps_its_score_while_a_source_is_missing(client, world):
    world.route(upstreams.ROUTES["gdelt"], Reply.text("down", status=500))
    image = client.get("/badge/NCT04280705.svg")
    assert svg_texts(image)[-1] == "5"   # 13 less the news story only GDELT finds
    entry = client.get("/api/v1/badges?ids=NCT04280705").get_json()["trials"][0]
    assert entry["state"] == "partial" and entry["has_attention"] is True
    assert "GDELT news will be tried again" in entry["coverage"]["message"]
