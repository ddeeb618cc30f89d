"""Upstream HTTP: deadlines hold against dripping servers, size caps, resets, Retry-After caps."""

import time

import pytest

from fakeupstream import Reply
from trialbuzz import settings
from trialbuzz.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from trialbuzz.upstream import Upstream, user_agent


def upstream(fake, **overrides):
    config = settings.resolve(environ={}, overrides={"UPSTREAM_BACKOFF": 0.01,
                                                     "UPSTREAM_RETRIES": 0, **overrides})
    return Upstream("Fake", fake.url, config)


def test_a_dripping_server_is_cut_off_at_the_deadline(fake):
    # 400 bytes at one byte every 50 ms would take 20 s; each byte arrives well within the
    # read timeout, so only the deadline can stop it.
    fake.route("/drip", Reply.json({"x": "y" * 390}, drip=0.05))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        upstream(fake).get("/drip", deadline=time.monotonic() + 1.0)
    assert time.monotonic() - started < 1.6


def test_answers_within_the_deadline_are_read_whole(fake):
    fake.route("/ok", Reply.json({"x": 1}, drip=0.001))
    client = upstream(fake)
    response = client.get("/ok", deadline=time.monotonic() + 5)
    assert client.json(response) == {"x": 1}


def test_answers_over_the_size_cap_are_refused(fake):
    fake.route("/big", Reply.text("x" * 300_000))
    with pytest.raises(UpstreamBadResponse, match="more than"):
        upstream(fake, UPSTREAM_MAX_BYTES=100_000).get("/big")


def test_a_reset_connection_is_unavailable(fake):
    fake.route("/reset", Reply(reset=True))
    with pytest.raises(UpstreamUnavailable):
        upstream(fake).get("/reset")


def test_a_deadline_already_past_sends_nothing(fake):
    fake.route("/ok", Reply.json({}))
    with pytest.raises(UpstreamTimeout):
        upstream(fake).get("/ok", deadline=time.monotonic() - 1)
    assert fake.requests == []


def test_our_own_rate_limit_paces_calls_across_threads(fake):
    from concurrent.futures import ThreadPoolExecutor

    fake.route("/ok", Reply.json({}))
    config = settings.resolve(environ={}, overrides={"UPSTREAM_RETRIES": 0})
    client = Upstream("Fake", fake.url, config, rate="5/second")
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: client.get("/ok"), range(12)))
    # 12 calls at 5 a second need at least two full windows beyond the first five.
    assert time.monotonic() - started >= 1.0
    times = sorted(r.at for r in fake.requests)
    assert all(later - earlier >= 0.95 for earlier, later in zip(times, times[5:]))


def test_user_agent_without_contact_still_names_trialbuzz():
    assert user_agent("").startswith("trialbuzz/") and ";" not in user_agent("")


def test_retries_do_not_sleep_past_the_deadline(fake):
    fake.route("/busy", Reply.text("busy", 503, headers={"Retry-After": "5"}))
    client = upstream(fake, UPSTREAM_RETRIES=3)
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as info:
        client.raise_for_status(client.get("/busy", deadline=time.monotonic() + 2))
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 5
    assert fake.count("/busy") == 1


def test_retries_within_the_deadline_still_happen(fake):
    fake.route("/flaky", [Reply.text("busy", 503, headers={"Retry-After": "1"}),
                          Reply.json({"ok": True})])
    client = upstream(fake, UPSTREAM_RETRIES=3)
    response = client.get("/flaky", deadline=time.monotonic() + 5)
    assert client.json(response) == {"ok": True}
    assert fake.count("/flaky") == 2


def test_the_retry_after_cap_survives_from_one_attempt_to_the_next(fake):
    fake.route("/slow", [Reply.text("busy", 503, headers={"Retry-After": "0"}),
                         Reply.text("busy", 503, headers={"Retry-After": "3"}),
                         Reply.json({})])
    client = upstream(fake, UPSTREAM_RETRIES=3, UPSTREAM_MAX_RETRY_AFTER=1.0)
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        client.raise_for_status(client.get("/slow"))
    assert time.monotonic() - started < 1.0
    assert fake.count("/slow") == 2


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_json_nested_absurdly_deep_is_a_bad_response_not_a_recursion_error(fake, body):
    fake.route("/deep", Reply(200, body, {"Content-Type": "application/json"}))
    client = upstream(fake)
    with pytest.raises(UpstreamBadResponse, match="malformed JSON"):
        client.json(client.get("/deep"))


def test_json_numbers_that_are_not_finite_read_as_none(fake):
    fake.route("/n", Reply(200, '{"score": 1e999, "low": -Infinity, "nan": NaN, "ok": 2}',
                           {"Content-Type": "application/json"}))
    client = upstream(fake)
    assert client.json(client.get("/n")) == {"score": None, "low": None, "nan": None, "ok": 2}


@pytest.mark.parametrize("content_type", ["application/json; charset=rot13",
                                          "application/json; charset=no-such-charset",
                                          "text/plain"])
def test_json_with_an_odd_or_missing_charset_is_read_as_utf8(fake, content_type):
    fake.route("/c", Reply(200, '{"t": "caf\u00e9"}'.encode(), {"Content-Type": content_type}))
    client = upstream(fake)
    assert client.json(client.get("/c")) == {"t": "caf\u00e9"}
