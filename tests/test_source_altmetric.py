"""Altmetric, opt-in: its counts beside ours, 404 as no attention, key failures explained."""

import pytest

import upstreams
from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention.sources import build
from trialbuzz.attention.sources.altmetric import KEY_MESSAGE, Altmetric
from trialbuzz.errors import UpstreamError, UpstreamUnavailable

ROUTE = "/nct_id/{nct_id}"
COUNTS = {"title": "ACTT", "type": "clinical_trial_study_record", "score": 412.5,
          "altmetric_id": 80000001, "cited_by_msm_count": 40, "cited_by_tweeters_count": 300,
          "cited_by_posts_count": 350, "cited_by_accounts_count": 330,
          "details_url": "https://www.altmetric.com/details.php?citation_id=80000001"}


@pytest.fixture
def altmetric(source_settings):
    return Altmetric(dict(source_settings, ALTMETRIC_KEY="s3cret-key"))


def test_summary_keeps_score_counts_link_and_attribution(altmetric, fake):
    fake.route(ROUTE, Reply.json(COUNTS))
    summary = altmetric.summary(trial_record())
    assert summary["score"] == 412.5
    assert summary["counts"] == {"news": 40, "x": 300, "posts": 350, "accounts": 330}
    assert summary["details_url"] == COUNTS["details_url"]
    assert summary["attribution"] == "Data from Altmetric"
    assert fake.requests[-1].path == "/nct_id/NCT04280705"
    assert fake.requests[-1].arg("key") == "s3cret-key"


def test_404_means_no_attention_not_an_error(altmetric, fake):
    fake.route(ROUTE, Reply.text("Not Found", 404))
    assert altmetric.summary(trial_record()) is None


@pytest.mark.parametrize("status", [401, 403])
def test_key_failures_say_a_valid_key_is_needed_without_showing_it(altmetric, fake, status):
    fake.route(ROUTE, Reply.text("API key required", status))
    with pytest.raises(UpstreamError) as info:
        altmetric.summary(trial_record())
    assert info.value.message == KEY_MESSAGE
    assert "s3cret" not in info.value.message


def test_429_backs_off_and_reports_rate_limiting(altmetric, fake):
    fake.route(ROUTE, Reply.text("Too many", 429, headers={"Retry-After": "3600"}))
    with pytest.raises(UpstreamUnavailable) as info:
        altmetric.summary(trial_record())
    assert info.value.code == "upstream_rate_limited"


def test_a_hostile_details_url_is_dropped(altmetric, fake):
    fake.route(ROUTE, Reply.json({**COUNTS, "details_url": "javascript:alert(1)"}))
    assert altmetric.summary(trial_record())["details_url"] is None


def test_it_runs_only_when_a_key_is_set(source_settings):
    assert "altmetric" not in [s.id for s in build(source_settings)]
    assert "altmetric" in [s.id for s in build(dict(source_settings, ALTMETRIC_KEY="k"))]


def test_document_shows_altmetric_beside_our_score_never_blended(make_app, fake, ctgov):
    upstreams.install(fake)
    fake.route(ROUTE, Reply.json(COUNTS))
    document = make_app(ALTMETRIC_KEY="k").test_client().get(
        "/api/v1/trials/NCT04280705").get_json()
    assert document["altmetric"]["score"] == 412.5
    assert document["score"] == 13
    entry = next(s for s in document["sources"] if s["id"] == "altmetric")
    assert entry["status"] == "ok"


def test_document_reports_an_invalid_key_as_the_source_status(make_app, fake, ctgov):
    upstreams.install(fake)
    fake.route(ROUTE, Reply.text("Unauthorized", 401))
    document = make_app(ALTMETRIC_KEY="bad").test_client().get(
        "/api/v1/trials/NCT04280705").get_json()
    entry = next(s for s in document["sources"] if s["id"] == "altmetric")
    assert (entry["status"], entry["error"]) == ("error", KEY_MESSAGE)
    assert document["altmetric"] is None


def test_the_key_never_reaches_the_logs_even_when_calls_are_retried(altmetric, fake, caplog):
    import logging

    from trialbuzz.upstream import install_log_redaction

    install_log_redaction()
    fake.route(ROUTE, [Reply.text("busy", 503), Reply.text("busy", 503), Reply.json(COUNTS)])
    with caplog.at_level(logging.DEBUG):
        altmetric.summary(trial_record())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.count("GET /nct_id/NCT04280705") == 3     # the retries were logged...
    assert "s3cret-key" not in logged and "key=REDACTED" in logged    # ...without the key
