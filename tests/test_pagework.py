"""Tests for trialbuzz.resolution.pagework: resolutions in flight are bounded, readers take turns."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from fakeupstream import Reply
from trialbuzz.errors import Busy
from trialbuzz.resolution.pagework import PageWork

A = "NCT04280705"


def test_a_slot_is_refused_at_once_when_all_are_taken():
    work = PageWork(in_flight=1, readers=1, wait=5)
    with work.slot():
        began = time.monotonic()
        with pytest.raises(Busy) as refused:
            with work.slot():
                pass
        assert time.monotonic() - began < 1
    assert refused.value.status == 503 and refused.value.retry_after
    with work.slot():  # released again
        pass


def test_a_reader_waits_its_turn_then_reads():
    work = PageWork(in_flight=4, readers=1, wait=5)
    order, release = [], threading.Event()

    def first():
        with work.reading():
            order.append("first")
            release.wait(5)

    def second():
        with work.reading():
            order.append("second")

    with ThreadPoolExecutor(2) as pool:
        pool.submit(first)
        while not order:
            time.sleep(0.01)
        second = pool.submit(second)
        time.sleep(0.1)
        assert order == ["first"]
        release.set()
        second.result(5)
    assert order == ["first", "second"]


def test_a_reader_gives_up_after_the_wait():
    work = PageWork(in_flight=4, readers=1, wait=0.05)
    with work.reading():
        with pytest.raises(Busy):
            with work.reading():
                pass


def test_resolve_beyond_the_pages_in_flight_is_a_503_with_retry_after(make_app, fake):
    fake.route("/slow", lambda request: Reply.text(f"<p>{A}</p>", content_type="text/html",
                                                   delay=1.0))
    app = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc], PAGES_IN_FLIGHT=1)
    url = f"{fake.url}/slow"

    def resolve():
        return app.test_client().get("/api/v1/resolve", query_string={"url": url})

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(resolve)
        while not fake.calls:
            time.sleep(0.01)
        second = resolve()
        assert first.result(10).get_json()["nct_ids"] == [A]
    assert second.status_code == 503
    assert second.get_json()["error"]["code"] == "busy"
    assert int(second.headers["Retry-After"]) >= 1
    assert resolve().get_json()["primary"] == A  # the slot is free again
