"""Single-flight: one piece of work per key; callers in flight share it; finished work is forgotten."""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from trialbuzz.errors import Busy
from trialbuzz.singleflight import SingleFlight


class DoneAtOnce:
    """An executor whose work is finished before submit returns."""

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


def run_with_timeout(fn, seconds=5):
    """Run `fn` in a thread; fail instead of hanging if it does not return."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "deadlocked"
    return result["value"]


def test_work_already_done_at_submit_does_not_deadlock_and_is_forgotten():
    flights = SingleFlight()
    future = run_with_timeout(lambda: flights.submit("k", DoneAtOnce(), lambda: 42))
    assert future.result() == 42
    assert not flights.in_flight("k")


def test_concurrent_callers_share_one_run():
    flights, calls = SingleFlight(), []
    gate = threading.Event()

    def work():
        calls.append(1)
        gate.wait(5)
        return "done"

    with ThreadPoolExecutor(10) as pool:
        results = [pool.submit(flights.call, "k", work) for _ in range(10)]
        time.sleep(0.2)
        gate.set()
        assert {r.result() for r in results} == {"done"}
    assert calls == [1]


def test_an_error_reaches_every_waiting_caller_and_the_next_call_runs_again():
    flights = SingleFlight()
    with pytest.raises(ZeroDivisionError):
        flights.call("k", lambda: 1 / 0)
    assert flights.call("k", lambda: "again") == "again"


def test_new_work_is_turned_away_when_the_queue_is_full():
    flights, gate = SingleFlight(limit=2), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        first = flights.submit("a", pool, gate.wait)
        flights.submit("b", pool, gate.wait)
        refused = flights.submit("c", pool, lambda: "ran")
        with pytest.raises(Busy):
            refused.result(timeout=1)
        assert not flights.in_flight("c")
        # Work already in flight is still joined.
        assert flights.submit("a", pool, lambda: "other") is first
        gate.set()
    assert flights.submit("c", DoneAtOnce(), lambda: "ran").result() == "ran"
