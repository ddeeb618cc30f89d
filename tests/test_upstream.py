"""Upstream HTTP: deadlines hold against dripping servers, size caps, resets, Retry-After caps."""

import socket
import time

import pytest

from fakeupstream import Reply
from trialbuzz import settings
from trialbuzz.errors import (UpstreamBadResponse, UpstreamError, UpstreamTimeout,
                              UpstreamUnavailable)
from trialbuzz.upstream import Upstream, user_agent


def upstream(fake, **overrides):
    config = settings.resolve(environ={}, overrides={"UPSTREAM_BACKOFF": 0.01,
                                                     "UPSTREAM_RETRIES": 0, **overrides})
    return Upstream("Fake", fake.url, config)


@pytest.mark.parametrize("sized", [True, False])
def test_a_dripping_server_is_cut_off_at_the_deadline(fake, sized):
    # 400 bytes at one byte every 50 ms would take 20 s; each byte arrives well within the
    # read timeout, so only the deadline can stop it. Without a length, the cut must not
    # pass for the end of the body.
    fake.route("/drip", Reply.json({"x": "y" * 390}, drip=0.05, sized=sized))
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


class Canary:
    """A listening socket on another loopback port that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def connections(self):
        """Connections made so far; the kernel queues them even when nobody accepts."""
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def canary():
    """A loopback server no redirect may reach."""
    trap = Canary()
    yield trap
    trap.sock.close()


@pytest.mark.parametrize("location", [
    "{canary}/data", "//127.0.0.1:{canary_port}/data", "https://{fake_host}/data",
    "http://localhost:{fake_port}/data", "http://127.0.0.1:{fake_port}@127.0.0.1:{canary_port}/",
])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_outside_the_upstream_origin_is_refused_before_connecting(fake, canary,
                                                                             location, status):
    fake_host = fake.url.split("://")[1]
    target = location.format(canary=canary.url, canary_port=canary.port,
                             fake_host=fake_host, fake_port=fake_host.split(":")[1])
    fake.route("/moved", Reply(status, headers={"Location": target}))
    with pytest.raises(UpstreamBadResponse, match="Fake redirected outside its origin"):
        upstream(fake).get("/moved")
    assert canary.connections() == 0
    assert fake.count("/moved") == 1 and len(fake.requests) == 1


def test_a_redirect_within_the_origin_is_followed_without_waiting_for_its_body(fake):
    # The redirect's body drips for 5 s: it is never wanted, so it is not read.
    fake.route("/moved", Reply(301, "x" * 100, {"Location": "/data"}, drip=0.05))
    fake.route("/data", Reply.json({"ok": True}))
    client = upstream(fake)
    started = time.monotonic()
    assert client.json(client.get("/moved")) == {"ok": True}
    assert time.monotonic() - started < 1.0


def test_a_templated_upstream_follows_redirects_within_the_address_it_called(fake, canary):
    config = settings.resolve(environ={}, overrides={"UPSTREAM_RETRIES": 0})
    client = Upstream("Wikipedia", fake.url + "/{lang}/w/api.php", config)
    fake.route("/en/w/api.php", Reply(302, headers={"Location": "/en/w/api2.php"}))
    fake.route("/en/w/api2.php", Reply.json({"ok": True}))
    fake.route("/de/w/api.php", Reply(302, headers={"Location": canary.url + "/de/w/api.php"}))
    assert client.json(client.get(fake.url + "/en/w/api.php")) == {"ok": True}
    with pytest.raises(UpstreamBadResponse, match="outside its origin"):
        client.get(fake.url + "/de/w/api.php")
    assert canary.connections() == 0


def test_a_chain_of_redirects_within_the_origin_is_bounded(fake):
    fake.route("/loop", Reply(302, headers={"Location": "/loop"}))
    with pytest.raises(UpstreamError, match="redirects"):
        upstream(fake).get("/loop")
    assert fake.count("/loop") == 6


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
