"""Publication dates: the earliest credible date, never after indexing, never in the future."""

from datetime import datetime, timezone

import pytest

from trialbuzz.attention.sources.pubdates import DAY, MONTH, YEAR, earliest, precision_of


def at(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


NOW = at(2026, 12, 6)


@pytest.mark.parametrize("text, precision", [
    ("2025-06-26", DAY), ("2025/06/26 00:00", DAY), ("2025 Jun 26", DAY),
    ("2025-06", MONTH), ("2025 Jun", MONTH), ("2025 Jul-Aug", MONTH),
    ("2025", YEAR), ("2024 Winter", YEAR), ("", YEAR), (None, YEAR),
])
def test_precision_of_written_dates(text, precision):
    assert precision_of(text) == precision


@pytest.mark.parametrize("candidates, indexed, expected", [
    # The earliest day wins.
    ([(at(2025, 12, 1), DAY), (at(2025, 6, 26), DAY)], None, at(2025, 6, 26)),
    # Never after indexing.
    ([(at(2025, 12, 1), DAY)], at(2024, 12, 22), at(2024, 12, 22)),
    # A bare year never beats a day, even an earlier year.
    ([(at(2023, 1, 1), YEAR), (at(2024, 2, 27), DAY)], None, at(2024, 2, 27)),
    # A month alone stands for its first day, or for the index date within it.
    ([(at(2023, 3, 1), MONTH)], None, at(2023, 3, 1)),
    ([(at(2021, 1, 1), YEAR)], at(2021, 12, 24), at(2021, 12, 24)),
    ([(at(2021, 1, 1), YEAR)], at(2022, 1, 5), at(2021, 1, 1)),
    # Only the index date.
    ([], at(2020, 1, 2), at(2020, 1, 2)),
    ([(None, DAY)], None, None),
    # Never in the future.
    ([(at(2199, 1, 1), DAY)], None, NOW),
])
def test_earliest_credible_date(candidates, indexed, expected):
    assert earliest(candidates, indexed=indexed, now=NOW) == expected
