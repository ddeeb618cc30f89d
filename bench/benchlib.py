"""Shared pieces of the benchmarks: the tests' fakes on sys.path, a fake registry, percentiles."""

import os
import statistics
import sys

TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from conftest import app_config as test_config  # noqa: E402 - needs the tests folder on sys.path
from fakeupstream import FakeUpstream, Reply  # noqa: E402
from records import study  # noqa: E402

from trialbuzz import settings  # noqa: E402

__all__ = ["FakeUpstream", "Reply", "app_config", "study", "nct_ids", "serve_registry",
           "percentile", "summary_ms"]


def app_config(tmp_path, fake_url, **overrides):
    """The tests' settings for an app pointed at the fake, with the served default of COLD_WAIT
    (the tests give cold harvests more room than a deployment does)."""
    overrides.setdefault("COLD_WAIT", settings.DEFAULTS["COLD_WAIT"])
    return test_config(tmp_path, fake_url, **overrides)


def nct_ids(count, start=4280705):
    """`count` distinct well-formed NCT IDs; the first is the one the fake sources talk about."""
    return [f"NCT{start + i:08d}" for i in range(count)]


def serve_registry(fake, ids, delay=0.0):
    """Serve a real-shaped ClinicalTrials.gov record for each of `ids` from the fake, each
    `delay` seconds late."""
    records = {nct_id: study(nct_id) for nct_id in ids}

    def handler(request, nct_id):
        """One study, or the registry's 404."""
        record = records.get(nct_id.upper())
        if record is None:
            return Reply.text(f"NCT number {nct_id} not found", status=404)
        return Reply.json(record, delay=delay)

    fake.route("/api/v2/studies/{nct_id}", handler)
    return records


def percentile(values, q):
    """The q-th percentile (0-100) of `values`, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(seconds):
    """Mean, p50 and p99 of durations in seconds, as milliseconds."""
    return (statistics.fmean(seconds) * 1000, percentile(seconds, 50) * 1000,
            percentile(seconds, 99) * 1000)
