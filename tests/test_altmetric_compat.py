"""The Altmetric-compatible endpoint, read by a client written to Altmetric's documentation."""

import xml.etree.ElementTree as ET

import pytest
import requests

import quiet
import upstreams
from records import study
from trialbuzz import settings
from trialbuzz.attention.sources.altmetric import Altmetric

QUIET = "NCT04292899"
HISTORY_KEYS = {"1d", "2d", "3d", "4d", "5d", "6d", "1w", "1m", "3m", "6m", "1y", "at"}


class AltmetricClient:
    """What an existing Altmetric v1 client does: GET {base}/nct_id/{id}; 200 is JSON counts,
    404 means Altmetric has no data for the output, anything else is an error."""

    def __init__(self, base, key=None):
        self.base = base.rstrip("/")
        self.key = key

    def nct_id(self, nct_id):
        """The counts of a trial, or None when there is no data."""
        params = {"key": self.key} if self.key else None
        response = requests.get(f"{self.base}/nct_id/{nct_id}", params=params, timeout=60)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()


@pytest.fixture
def server(live_server, fake, ctgov):
    ctgov.add(study(QUIET, title="Quiet trial"))
    quiet.install(fake, QUIET)
    return live_server


@pytest.fixture
def client(server):
    return AltmetricClient(server + "/v1")


def test_counts_of_a_trial_with_attention(client, server):
    counts = client.nct_id("NCT04280705")
    assert counts["type"] == "clinical_trial_study_record"
    assert counts["title"] == "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert counts["score"] == 13
    cited = {name: value for name, value in counts.items() if name.startswith("cited_by_")}
    assert cited == {"cited_by_msm_count": 1, "cited_by_wikipedia_count": 1,
                     "cited_by_forum_count": 2, "cited_by_posts_count": 4,
                     "cited_by_accounts_count": 4}
    assert set(counts["history"]) == HISTORY_KEYS and counts["history"]["at"] == 13
    assert counts["details_url"] == server + "/trial/NCT04280705"
    assert isinstance(counts["added_on"], int) and isinstance(counts["last_updated"], int)
    assert counts["added_on"] <= counts["last_updated"]


def test_images_are_our_donuts_at_altmetric_sizes(client):
    images = client.nct_id("NCT04280705")["images"]
    for name, size in (("small", 64), ("medium", 100), ("large", 180)):
        response = requests.get(images[name], timeout=30)
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert ET.fromstring(response.content).get("width") == str(size)


def test_details_url_is_the_details_page(client):
    response = requests.get(client.nct_id("NCT04280705")["details_url"], timeout=30)
    assert response.status_code == 200 and "Adaptive COVID-19" in response.text


@pytest.mark.parametrize("nct_id", [QUIET, "NCT99999999"])
def test_no_attention_is_404_not_found_which_clients_read_as_no_data(client, server, nct_id):
    assert client.nct_id(nct_id) is None
    response = requests.get(f"{server}/v1/nct_id/{nct_id}", timeout=60)
    assert (response.status_code, response.text) == (404, "Not Found")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_an_altmetric_key_is_ignored(server, client):
    with_key = AltmetricClient(server + "/v1", key="their-altmetric-key").nct_id("NCT04280705")
    assert with_key == client.nct_id("NCT04280705")


def test_malformed_ids_are_client_errors_in_the_json_shape(client, server):
    with pytest.raises(requests.HTTPError):
        client.nct_id("NCT123")
    body = requests.get(f"{server}/v1/nct_id/NCT123", timeout=30).json()
    assert body["error"]["code"] == "invalid_nct_id"


def test_our_own_altmetric_source_reads_the_compatible_endpoint(server, tmp_path):
    from records import trial_record

    source = Altmetric(settings.resolve(environ={}, overrides={
        "ALTMETRIC_URL": server + "/v1", "ALTMETRIC_KEY": "unused", "CONTACT": "t@example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}))
    summary = source.summary(trial_record())
    assert summary["score"] == 13.0
    assert summary["counts"] == {"news": 1, "wikipedia": 1, "posts": 4, "accounts": 4}
    assert summary["details_url"] == server + "/trial/NCT04280705"


def test_reddit_posts_also_have_altmetrics_own_field(make_app, fake, ctgov):
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["reddit"], upstreams.reddit_naming)
    counts = make_app().test_client().get("/v1/nct_id/NCT04280705").get_json()
    # Hacker News's story and comment and Reddit's two posts are forum posts; Reddit's alone
    # are also in Altmetric's Reddit field.
    assert counts["cited_by_rdts_count"] == 2 and counts["cited_by_forum_count"] == 4
    assert "cited_by_bluesky_count" not in counts
