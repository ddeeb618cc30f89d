"""Trial records: freshness window, aliases, and stored copies when the registry fails."""

from datetime import datetime, timedelta, timezone

import pytest

from concurrency import errors_of_workers
from fakeupstream import Reply
from records import study
from trialbuzz.errors import TrialNotFound, UpstreamBadResponse, UpstreamUnavailable
from trialbuzz.registry.ctgov import Study
from trialbuzz.registry.trials import TrialService
from trialbuzz.storage.db import get_db

ROUTE = "/api/v2/studies/{nct_id}"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(app, clock):
    state = app.extensions["trialbuzz"]
    return TrialService(get_db(app), state.ctgov, freshness_seconds=3600, clock=clock)


def test_first_lookup_fetches_and_stores(service, fake, ctgov):
    trial = service.get("NCT04280705")
    assert trial.record["title"] == "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert trial.stale is False
    assert service.stored("NCT04280705").record == trial.record
    assert fake.count(ROUTE) == 1


def test_fresh_record_is_served_from_the_store(service, fake, ctgov, clock):
    service.get("NCT04280705")
    clock.now += timedelta(minutes=59)
    service.get("NCT04280705")
    assert fake.count(ROUTE) == 1


def wait_for_background(service, nct_id="NCT04280705"):
    """Wait until no fetch of `nct_id` is under way."""
    import time
    deadline = time.monotonic() + 10
    while service._flights.in_flight(nct_id) and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_stale_record_is_served_at_once_and_refreshed_in_the_background(service, fake,
                                                                           ctgov, clock):
    import time
    service.get("NCT04280705")
    ctgov.add(study(title="Renamed"))
    fake.route(ROUTE, lambda request, nct_id: Reply.json(study(title="Renamed"), delay=1.0))
    clock.now += timedelta(minutes=61)
    started = time.monotonic()
    stale = service.get("NCT04280705")
    assert time.monotonic() - started < 0.5
    assert stale.stale is True and stale.record["title"] != "Renamed"
    wait_for_background(service)
    fresh = service.get("NCT04280705")
    assert fresh.record["title"] == "Renamed" and fresh.stale is False
    assert fake.count(ROUTE) == 2


def test_forced_refresh_fetches_even_when_fresh(service, fake, ctgov):
    service.get("NCT04280705")
    service.get("NCT04280705", refresh=True)
    assert fake.count(ROUTE) == 2


def test_alias_is_stored_once_and_then_answered_from_the_store(service, fake, ctgov):
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"]))
    first = service.get("NCT00009113")
    assert (first.nct_id, first.requested_id) == ("NCT00010647", "NCT00009113")
    calls = fake.count(ROUTE)
    again = service.get("nct00009113")
    assert again.nct_id == "NCT00010647" and again.requested_id == "NCT00009113"
    assert fake.count(ROUTE) == calls
    assert service.canonical_id("NCT00009113") == "NCT00010647"


def test_stale_copy_is_served_when_the_registry_fails(service, fake, ctgov, clock):
    service.get("NCT04280705")
    fake.route(ROUTE, Reply.text("down", 503))
    clock.now += timedelta(hours=2)
    trial = service.get("NCT04280705")
    wait_for_background(service)
    assert trial.stale is True
    assert trial.record["title"] == "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert service.get("NCT04280705").stale is True        # still the old copy, still served
    # A forced refresh while the registry is down also falls back to the stored copy.
    assert service.get("NCT04280705", refresh=True).stale is True


def test_registry_failure_without_a_stored_copy_is_an_error(service, fake):
    fake.route(ROUTE, Reply.text("down", 503))
    with pytest.raises(UpstreamUnavailable):
        service.get("NCT04280705")


def test_unknown_trial_is_not_stored(service, fake, ctgov):
    with pytest.raises(TrialNotFound):
        service.get("NCT99999999")
    assert service.stored("NCT99999999") is None


def test_a_record_listing_a_stored_trial_as_its_alias_does_not_take_it_over(service, fake,
                                                                           ctgov):
    service.get("NCT04280705")
    fake.route("/api/v2/studies/NCT00010647",
               Reply.json(study("NCT00010647", title="Other", aliases=["NCT04280705"])))
    assert service.get("NCT00010647").record["aliases"] == ["NCT04280705"]
    assert service.canonical_id("NCT04280705") == "NCT04280705"
    kept = service.get("NCT04280705", refresh=True)
    assert (kept.nct_id, kept.record["title"]) == ("NCT04280705",
                                                   "Adaptive COVID-19 Treatment Trial (ACTT)")


def test_ids_listed_inside_a_record_never_become_aliases(service, fake, ctgov):
    fake.route("/api/v2/studies/NCT00010647",
               Reply.json(study("NCT00010647", aliases=["NCT00009113"])))
    service.get("NCT00010647")
    assert service.stored("NCT00009113") is None


@pytest.mark.parametrize("stored_first", [True, False])
def test_an_answer_naming_another_study_without_a_redirect_is_refused(service, fake, ctgov,
                                                                     stored_first):
    if stored_first:
        service.get("NCT04280705")
    fake.route("/api/v2/studies/NCT00010647", Reply.json(study("NCT04280705", title="Hijack")))
    with pytest.raises(UpstreamBadResponse, match="with the record of NCT04280705"):
        service.get("NCT00010647")
    assert service.stored("NCT00010647") is None
    stored = service.stored("NCT04280705")
    assert stored is None if not stored_first else stored.record["title"] != "Hijack"


def test_the_store_refuses_a_study_that_is_not_the_one_asked_or_redirected_to(service, app):
    class Client:
        def fetch_study(self, nct_id, deadline=None):
            return Study(study("NCT04280705"), redirected_to="NCT00010647")

    service.client = Client()
    with pytest.raises(UpstreamBadResponse):
        service.get("NCT00009113")
    assert service.stored("NCT04280705") is None and service.stored("NCT00009113") is None


def test_an_alias_follows_the_registry_redirect_and_ends_when_it_does(service, fake, ctgov):
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"]))
    assert service.get("NCT00009113").nct_id == "NCT00010647"
    ctgov.aliases["NCT00009113"] = "NCT04280705"
    assert service.get("NCT00009113", refresh=True).nct_id == "NCT04280705"
    assert service.canonical_id("NCT00009113") == "NCT04280705"
    del ctgov.aliases["NCT00009113"]
    ctgov.add(study("NCT00009113", title="A study again"))
    again = service.get("NCT00009113", refresh=True)
    assert (again.nct_id, again.record["title"]) == ("NCT00009113", "A study again")
    assert service.get("NCT00009113").record["title"] == "A study again"


def test_concurrent_fetches_keep_every_trial_under_its_own_id(service, fake, ctgov):
    ctgov.add(study("NCT00010647", title="Canonical",
                    aliases=["NCT00009113", "NCT04280705"]))
    ctgov.aliases.pop("NCT04280705")         # listed as an alias, yet a study of its own
    asked = ["NCT04280705", "NCT00010647", "NCT00009113"]

    def work(worker):
        for _ in range(5):
            service.fetch(asked[worker % 3])

    assert errors_of_workers(work, 6) == []
    assert service.canonical_id("NCT04280705") == "NCT04280705"
    assert service.stored("NCT04280705").record["title"] == (
        "Adaptive COVID-19 Treatment Trial (ACTT)")
    assert service.canonical_id("NCT00009113") == "NCT00010647"
    assert service.stored("NCT00010647").record["title"] == "Canonical"
