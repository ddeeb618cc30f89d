"""Our own per-client limits: each upstream lookup a request starts is charged, warm reads are
not, and bad input is refused before it costs anything or reaches anyone."""

from urllib.parse import quote, urlsplit

import pytest

import upstreams
from fakeupstream import Reply
from records import study
from trialbuzz.web.ratelimits import BoundedMemoryStorage

# Limits per day: a sliding window weighs the previous one in, so a test that crossed a
# minute's boundary could see one more request pass.
BUDGET = "3/day"


@pytest.fixture
def limited(make_app, fake, ctgov):
    """An app allowing each client three upstream lookups, whose fetcher may reach the fake."""
    upstreams.install(fake)
    for n in range(1, 6):
        ctgov.add(study(f"NCT0000000{n}", title=f"Trial {n}"))
    fake.route("/article", Reply.text("<p>About NCT00000001.</p>", content_type="text/html"))
    return make_app(CLIENT_UPSTREAM_LIMIT=BUDGET,
                    FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc]).test_client()


def assert_limited(response):
    """429 in our error shape, with Retry-After."""
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_cold_lookups_are_limited_per_client(limited):
    for n in range(1, 4):
        assert limited.get(f"/api/v1/trials/NCT0000000{n}").status_code == 200
    assert_limited(limited.get("/api/v1/trials/NCT00000004"))


def test_warm_reads_stay_unlimited(limited):
    limited.get("/api/v1/trials/NCT00000001")
    for _ in range(20):
        assert limited.get("/api/v1/trials/NCT00000001").status_code == 200
        assert limited.get("/api/v1/badge?ids=NCT00000001").status_code == 200


def test_forced_refreshes_count(limited):
    limited.get("/api/v1/trials/NCT00000001")
    limited.get("/api/v1/trials/NCT00000001?refresh=1")
    limited.get("/api/v1/trials/NCT00000001?refresh=1")
    assert_limited(limited.get("/api/v1/trials/NCT00000001?refresh=1"))


def test_limits_are_kept_per_client(limited):
    for n in range(1, 4):
        limited.get(f"/api/v1/trials/NCT0000000{n}")
    other = limited.get("/api/v1/trials/NCT00000004",
                        environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200


def test_page_fetching_resolution_shares_the_budget(limited, fake):
    for n in range(1, 4):
        limited.get(f"/api/v1/trials/NCT0000000{n}")
    url = quote(fake.url + "/some/article", safe="")
    assert_limited(limited.get("/api/v1/resolve?url=" + url))
    # Resolving from the URL alone calls nobody and is not limited.
    study_url = quote("https://clinicaltrials.gov/study/NCT04280705", safe="")
    assert limited.get("/api/v1/resolve?url=" + study_url).status_code == 200


def test_invalid_ids_are_400_not_429(limited):
    for n in range(1, 4):
        limited.get(f"/api/v1/trials/NCT0000000{n}")
    assert limited.get("/api/v1/trials/NCT12").status_code == 400


def test_home_lookups_of_cold_trials_are_limited_with_a_page(limited):
    for n in range(1, 4):
        limited.get(f"/?q=NCT0000000{n}")
    response = limited.get("/?q=NCT00000004")
    assert response.status_code == 429
    assert "Too many lookups" in response.get_data(as_text=True)


def test_repeating_a_warm_id_does_not_smuggle_cold_trials_past_the_limit(limited):
    limited.get("/api/v1/trials/NCT00000001")
    limited.get("/api/v1/trials/NCT00000002")
    limited.get("/api/v1/trials/NCT00000003")
    warm = ",".join(["NCT00000001"] * 20)
    assert_limited(limited.get(f"/api/v1/badge?ids={warm}&url="
                               "https://clinicaltrials.gov/study/NCT00000004"))
    assert_limited(limited.get(f"/api/v1/badges?ids={','.join(['NCT00000001'] * 50)},"
                               "NCT00000005"))


def test_forwarded_host_is_not_trusted_behind_a_proxy(make_app, fake, ctgov):
    upstreams.install(fake)
    client = make_app(TRUSTED_PROXIES=1).test_client()
    document = client.get("/api/v1/trials/NCT04280705",
                          headers={"X-Forwarded-Host": "evil.example",
                                   "X-Forwarded-For": "203.0.113.9"}).get_json()
    assert "evil.example" not in document["details_url"]


def registry_calls(fake, nct_id):
    """How often the fake registry was asked for `nct_id`."""
    return sum(request.path.endswith("/" + nct_id) for request in fake.requests)


def spend_the_budget(client):
    """Three cold lookups: the whole budget."""
    for n in range(1, 4):
        assert client.get(f"/api/v1/trials/NCT0000000{n}").status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v1/trials/NCT00000004", "/api/v1/trials/NCT00000001?refresh=1",
    "/api/v1/resolve?url={page}", "/api/v1/badge?ids=NCT00000001,NCT00000004",
    "/api/v1/badges?ids=NCT00000001,NCT00000004", "/badge/NCT00000004.svg",
    "/api/v1/shields/NCT00000004.json", "/v1/nct_id/NCT00000004", "/trial/NCT00000004",
    "/trial/NCT00000004/mentions.csv", "/demo/study/NCT00000004", "/?q=NCT00000004",
    "/?q={page}", "/?q=clinicaltrials.gov/study/NCT00000004",
])
def test_every_route_reaching_upstream_is_limited_before_it_calls(limited, fake, path):
    spend_the_budget(limited)
    response = limited.get(path.format(page=quote(fake.url + "/article", safe="")))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert registry_calls(fake, "NCT00000004") == 0 and fake.count("/article") == 0


LONG_PAGE = "{page}?" + "x" * 4100


@pytest.mark.parametrize("path, status", [
    ("/api/v1/trials/NCT1", 400), ("/api/v1/trials/NCT00000004?limit=999", 400),
    ("/api/v1/trials/NCT00000004?kind=nope", 400), ("/api/v1/resolve?url=NCT1", 400),
    ("/api/v1/resolve?url=" + LONG_PAGE, 400), ("/api/v1/badge?ids=NCT00000004,NCT1", 400),
    ("/api/v1/badges?ids=NCT00000004,NCT1", 400), ("/badge/NCT1.svg", 400),
    ("/badge/NCT00000004.svg?style=nope", 400), ("/api/v1/shields/NCT1.json", 400),
    ("/v1/nct_id/NCT1", 400), ("/trial/NCT1", 400), ("/demo/study/NCT1", 400),
    ("/?q=NCT1", 400), ("/?q=hello", 400), ("/?q=" + LONG_PAGE, 400),
])
def test_bad_input_is_refused_without_charge_or_work(limited, fake, path, status):
    page = quote(fake.url + "/article", safe="")
    for _ in range(5):
        assert limited.get(path.format(page=page)).status_code == status
    assert registry_calls(fake, "NCT00000004") == 0 and fake.count("/article") == 0
    spend_the_budget(limited)


def test_an_over_long_home_lookup_fetches_nothing(limited, fake):
    response = limited.get("/?q=" + quote(fake.url + "/article?" + "x" * 5000, safe=""))
    assert response.status_code == 400
    assert "longer than 4096 characters" in response.get_data(as_text=True)
    assert fake.count("/article") == 0


@pytest.mark.parametrize("route, count", [("/api/v1/badges?ids=", 50), ("/api/v1/badge?ids=", 20)])
def test_each_new_trial_of_a_batch_is_charged(make_app, fake, ctgov, route, count):
    upstreams.install(fake)
    client = make_app(CLIENT_UPSTREAM_LIMIT=f"{count}/day").test_client()
    ids = [f"NCT{10_000_000 + n:08d}" for n in range(count)]
    assert client.get(route + ",".join(ids)).status_code == 200
    assert_limited(client.get("/api/v1/trials/NCT04280705"))


def test_a_batch_beyond_the_budget_is_refused_before_any_call(make_app, fake, ctgov):
    client = make_app(CLIENT_UPSTREAM_LIMIT="10/day").test_client()
    ids = [f"NCT{10_000_000 + n:08d}" for n in range(11)]
    assert_limited(client.get("/api/v1/badges?ids=" + ",".join(ids)))
    assert sum(registry_calls(fake, nct_id) for nct_id in ids) == 0


def test_a_home_page_lookup_is_charged_for_the_page_and_its_trial(limited, fake):
    page = quote(fake.url + "/article", safe="")
    assert limited.get("/?q=" + page).status_code == 200
    assert limited.get("/api/v1/trials/NCT00000002").status_code == 200
    assert limited.get("/api/v1/trials/NCT00000003").status_code == 429


def test_addresses_of_one_ipv6_network_share_a_budget(limited):
    for n in range(1, 4):
        assert limited.get(f"/api/v1/trials/NCT0000000{n}",
                           environ_base={"REMOTE_ADDR": f"2001:db8::{n}"}).status_code == 200
    assert_limited(limited.get("/api/v1/trials/NCT00000004",
                               environ_base={"REMOTE_ADDR": "2001:db8::ffff"}))
    other = limited.get("/api/v1/trials/NCT00000004",
                        environ_base={"REMOTE_ADDR": "2001:db8:0:1::1"})
    assert other.status_code == 200


def test_the_memory_storage_keeps_a_bounded_number_of_counters(monkeypatch):
    monkeypatch.setattr(BoundedMemoryStorage, "max_keys", 100)
    storage = BoundedMemoryStorage()
    for n in range(1000):
        storage.incr(f"client/{n}", 3600)
    assert len(storage.storage) == 100
    assert storage.get("client/999") == 1 and storage.get("client/0") == 0
