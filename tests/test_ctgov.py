"""ClinicalTrials.gov client and parser, against real samples and a fake upstream."""

import json
import math
import time
from pathlib import Path

import pytest

from fakeupstream import Reply
from records import reference, study
from trialbuzz import settings
from trialbuzz.errors import (
    InvalidNctId,
    TrialNotFound,
    UpstreamBadResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from trialbuzz.registry.ctgov import CtGovClient, parse_study
from trialbuzz.upstream import Upstream

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples"


def client_for(fake, **overrides):
    """A client whose base URL is the fake, with quick retries."""
    config = settings.resolve(environ={}, overrides={
        "UPSTREAM_BACKOFF": 0.01, "UPSTREAM_READ_TIMEOUT": 1.0, "UPSTREAM_CONNECT_TIMEOUT": 1.0,
        **overrides})
    return CtGovClient(Upstream("ClinicalTrials.gov", fake.url, config))


def sample(name):
    """A recorded response body from the shared reference samples."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"reference sample {name} not available")
    return json.loads(path.read_text())


def test_parse_real_interventional_record_keeps_partial_dates_and_acronym():
    record = parse_study(sample("api-v2-study-NCT03630471.json"))
    assert record["nct_id"] == "NCT03630471"
    assert record["acronym"] == "PRIDE"
    assert record["phases"] == ["NA"]
    assert record["status"] == "COMPLETED"
    assert record["start_date"] == "2018-08-20"
    assert record["enrollment"] == 250
    assert record["sponsor"] == "Sangath"
    assert record["url"] == "https://clinicaltrials.gov/study/NCT03630471"
    kinds = [ref["type"] for ref in record["references"]]
    assert kinds.count("DERIVED") == 3 and kinds.count("BACKGROUND") == 9
    assert any(ref["pmid"] is None for ref in record["references"])


def test_parse_real_observational_record_without_phases():
    record = parse_study(sample("api-v2-study-NCT03475563.json"))
    assert record["nct_id"] == "NCT03475563"
    assert record["phases"] == []
    assert record["status"] == "UNKNOWN"
    assert record["study_type"] == "OBSERVATIONAL"
    assert [ref["type"] for ref in record["references"]] == ["RESULT"] * 3


def test_parse_keeps_year_month_dates_and_tolerates_missing_modules():
    record = parse_study(study(acronym=None, phases=None))
    assert record["completion_date"] == "2020-05"
    assert record["acronym"] is None
    assert record["phases"] == []
    bare = parse_study({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}})
    assert bare["nct_id"] == "NCT01234567"
    assert bare["title"] is None and bare["conditions"] == [] and bare["has_results"] is False


def test_fetch_returns_record(fake, ctgov):
    answer = client_for(fake).fetch_study("nct04280705")
    assert answer.record["protocolSection"]["identificationModule"]["nctId"] == "NCT04280705"
    assert answer.redirected_to is None
    assert fake.requests[-1].path == "/api/v2/studies/NCT04280705"


def test_fetch_follows_alias_redirect_to_canonical_record_and_says_so(fake, ctgov):
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"], title="Canonical"))
    answer = client_for(fake).fetch_study("NCT00009113")
    record = parse_study(answer.record)
    assert answer.redirected_to == record["nct_id"] == "NCT00010647"
    assert record["aliases"] == ["NCT00009113"]


def test_a_record_of_another_study_without_a_redirect_is_a_mismatch(fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.json(study("NCT00010647")))
    with pytest.raises(UpstreamBadResponse, match="answered NCT04280705 with the record of "
                                                  "NCT00010647"):
        client_for(fake).fetch_study("NCT04280705")


def test_a_redirect_to_one_study_answered_with_another_is_a_mismatch(fake):
    fake.route("/api/v2/studies/NCT00009113",
               Reply(301, headers={"Location": "/api/v2/studies/NCT00010647"}))
    fake.route("/api/v2/studies/NCT00010647", Reply.json(study("NCT04280705")))
    with pytest.raises(UpstreamBadResponse, match="with the record of NCT04280705"):
        client_for(fake).fetch_study("NCT00009113")


@pytest.mark.parametrize("location", ["/elsewhere/NCT00010647", "/api/v2/studies/NCT0001064",
                                      "/api/v2/studies/NCT00010647/extra"])
def test_a_redirect_that_does_not_end_at_a_study_is_refused(fake, location):
    fake.route("/api/v2/studies/NCT00009113", Reply(301, headers={"Location": location}))
    fake.route("/elsewhere/{x}", Reply.json(study("NCT00010647")))
    fake.route("/api/v2/studies/{x}/extra", Reply.json(study("NCT00010647")))
    fake.route("/api/v2/studies/NCT0001064", Reply.json(study("NCT00010647")))
    with pytest.raises(UpstreamBadResponse, match="redirected NCT00009113 somewhere that is not "
                                                  "a study"):
        client_for(fake).fetch_study("NCT00009113")


def test_unknown_study_is_trial_not_found(fake, ctgov):
    with pytest.raises(TrialNotFound, match="NCT99999999"):
        client_for(fake).fetch_study("NCT99999999")


@pytest.mark.parametrize("bad", ["04437511", "NCT00000000", "NCT044375111", "NCT1234",
                                 "NCT0443751a", "", "NCT04437511/../x"])
def test_malformed_id_never_reaches_upstream(fake, ctgov, bad):
    with pytest.raises(InvalidNctId):
        client_for(fake).fetch_study(bad)
    assert fake.requests == []


def test_server_errors_are_retried_then_succeed(fake):
    fake.route("/api/v2/studies/{nct_id}", [Reply.text("oops", 500), Reply.text("oops", 502),
                                            Reply.json(study())])
    record = client_for(fake).fetch_study("NCT04280705").record
    assert record["hasResults"] is True
    assert fake.count("/api/v2/studies/{nct_id}") == 3


def test_persistent_5xx_is_upstream_unavailable(fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.text("down", 503))
    with pytest.raises(UpstreamUnavailable) as info:
        client_for(fake, UPSTREAM_RETRIES=2).fetch_study("NCT04280705")
    assert info.value.status == 503
    assert fake.count("/api/v2/studies/{nct_id}") == 3


def test_429_waits_for_retry_after_then_succeeds(fake):
    fake.route("/api/v2/studies/{nct_id}", [
        Reply.text("slow down", 429, headers={"Retry-After": "1"}), Reply.json(study())])
    started = time.monotonic()
    client_for(fake).fetch_study("NCT04280705")
    assert time.monotonic() - started >= 0.9
    assert fake.count("/api/v2/studies/{nct_id}") == 2


def test_429_with_long_retry_after_gives_up_at_once_and_reports_it(fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.text("slow down", 429,
                                                      headers={"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as info:
        client_for(fake).fetch_study("NCT04280705")
    assert time.monotonic() - started < 2
    assert info.value.retry_after == 3600
    assert fake.count("/api/v2/studies/{nct_id}") == 1


def test_timeout_is_upstream_timeout(fake):
    fake.route("/api/v2/studies/{nct_id}", Reply.json(study(), delay=1.5))
    with pytest.raises(UpstreamTimeout):
        client_for(fake, UPSTREAM_READ_TIMEOUT=0.3, UPSTREAM_RETRIES=0).fetch_study("NCT04280705")


@pytest.mark.parametrize("reply", [
    Reply.text("<html><body>Maintenance</body></html>", content_type="text/html"),
    Reply(200, b'{"protocolSection": ', {"Content-Type": "application/json"}),
    Reply(200, b"", {"Content-Type": "application/json"}),
    Reply.json(["not", "a", "study"]),
    Reply.json({"protocolSection": {"identificationModule": {"nctId": "garbage"}}}),
], ids=["html", "truncated-json", "empty", "json-list", "no-nct-id"])
def test_bodies_that_are_not_a_study_are_bad_responses(fake, reply):
    fake.route("/api/v2/studies/{nct_id}", reply)
    with pytest.raises(UpstreamBadResponse):
        client_for(fake).fetch_study("NCT04280705")


def test_connection_refused_is_upstream_unavailable():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = settings.resolve(environ={}, overrides={"UPSTREAM_BACKOFF": 0.01,
                                                     "UPSTREAM_RETRIES": 1})
    client = CtGovClient(Upstream("ClinicalTrials.gov", f"http://127.0.0.1:{port}", config))
    with pytest.raises(UpstreamUnavailable, match="unreachable|kept failing"):
        client.fetch_study("NCT04280705")


def test_user_agent_names_trialbuzz_and_contact(fake, ctgov):
    client_for(fake, CONTACT="ops@example.org").fetch_study("NCT04280705")
    agent = fake.requests[-1].headers["User-Agent"]
    assert agent.startswith("trialbuzz/") and "ops@example.org" in agent


def test_result_references_are_kept_with_their_type():
    record = parse_study(study(references=[reference("33052335"), reference(None, "BACKGROUND")]))
    assert record["references"][0] == {"pmid": "33052335", "type": "RESULT",
                                       "citation": record["references"][0]["citation"]}
    assert record["references"][1]["pmid"] is None


WRONG_TYPES = [12345, 1.5, True, None, ["a", "b"], {"a": 1}, "\ud800", math.inf]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_a_record_with_wrong_types_everywhere_parses_to_empty_fields(value):
    record = study(title=value, acronym=value, status=value, study_type=value,
                   phases=None, references=[value, {"pmid": value, "type": value,
                                                    "citation": value}])
    protocol = record["protocolSection"]
    protocol["identificationModule"]["officialTitle"] = value
    protocol["identificationModule"]["nctIdAliases"] = value
    protocol["sponsorCollaboratorsModule"]["leadSponsor"] = value
    protocol["designModule"]["phases"] = [value, "PHASE2"]
    protocol["designModule"]["enrollmentInfo"]["count"] = value
    protocol["statusModule"]["startDateStruct"] = {"date": value}
    protocol["statusModule"]["completionDateStruct"] = value
    protocol["conditionsModule"]["conditions"] = value
    protocol["referencesModule"]["seeAlsoLinks"] = [value, {"label": value, "url": value}]
    record["hasResults"] = value
    parsed = parse_study(record)
    assert parsed["nct_id"] == "NCT04280705"
    for name in ("title", "official_title", "acronym", "status", "study_type", "sponsor",
                 "start_date", "completion_date"):
        assert parsed[name] is None or parsed[name] == "\ufffd", name
    assert parsed["enrollment"] == (value if value == 12345 else None)
    assert parsed["phases"] in (["PHASE2"], ["\ufffd", "PHASE2"])
    assert parsed["aliases"] == [] and parsed["has_results"] is (value is True)
    assert parsed["conditions"] == (value if isinstance(value, list) else [])
    assert all(set(ref) == {"pmid", "type", "citation"} for ref in parsed["references"])
    json.dumps(parsed, allow_nan=False, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("count", [1062.0, True, -1, 10 ** 30, "1062", [1062]], ids=repr)
def test_enrollment_is_a_plausible_whole_number_or_nothing(count):
    record = study()
    record["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = count
    assert parse_study(record)["enrollment"] is None


@pytest.mark.parametrize("module", ["identificationModule", "statusModule", "designModule",
                                    "referencesModule", "conditionsModule"])
def test_a_module_of_the_wrong_type_leaves_its_fields_empty(module):
    record = study()
    record["protocolSection"][module] = ["not", "an", "object"]
    parsed = parse_study(record)
    json.dumps(parsed, allow_nan=False)
    assert parsed["references"] == [] and parsed["see_also"] == []


def test_a_registry_answer_nested_absurdly_deep_is_a_bad_response(fake):
    fake.route("/api/v2/studies/{nct_id}", Reply(200, "[" * 100_000,
                                                  {"Content-Type": "application/json"}))
    with pytest.raises(UpstreamBadResponse):
        client_for(fake).fetch_study("NCT04280705")
