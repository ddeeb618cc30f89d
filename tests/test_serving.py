"""The served process: health checks go ahead of queued requests, every other request keeps
its turn."""

from types import SimpleNamespace

from trialbuzz.serving import HealthFirst


def connection(*paths):
    """A stand-in for a waitress connection whose parsed requests ask for `paths`."""
    return SimpleNamespace(requests=[SimpleNamespace(path=path) for path in paths])


def test_health_check_is_served_before_requests_already_queued():
    pool = HealthFirst()  # no threads: the queue is only filled, never emptied
    lookups = [connection(f"/api/v1/trials/NCT0428070{i}") for i in range(3)]
    for task in lookups:
        pool.add_task(task)
    probe = connection("/healthz")
    pool.add_task(probe)
    later = connection("/trial/NCT04280705")
    pool.add_task(later)
    assert list(pool.queue) == [probe, *lookups, later]


def test_only_the_next_request_of_a_connection_decides():
    pool = HealthFirst()
    first = connection("/api/v1/badges")
    pool.add_task(first)
    pipelined = connection("/api/v1/trials/NCT04280705", "/healthz")
    pool.add_task(pipelined)
    look_alike = connection("/healthz/extra")
    pool.add_task(look_alike)
    unparsed = SimpleNamespace(requests=[])
    pool.add_task(unparsed)
    assert list(pool.queue) == [first, pipelined, look_alike, unparsed]
