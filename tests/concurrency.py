"""Running test work in several threads at once."""

import threading


def errors_of_workers(work, count):
    """Run `work(worker)` in `count` threads at once; the exceptions they raised."""
    errors, barrier = [], threading.Barrier(count)

    def run(worker):
        barrier.wait()
        try:
            work(worker)
        except Exception as exc:  # noqa: BLE001 - returned to the test to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
