"""Our own per-client limits: requests that reach upstreams are limited, warm reads are not."""

from urllib.parse import quote

import pytest

import upstreams
from records import study


@pytest.fixture
def limited(make_app, fake, ctgov):
    """An app allowing each client three upstream-reaching requests a minute."""
    upstreams.install(fake)
    for n in range(1, 6):
        ctgov.add(study(f"NCT0000000{n}", title=f"Trial {n}"))
    return make_app(CLIENT_UPSTREAM_LIMIT="3/minute").test_client()


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
