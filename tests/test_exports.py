"""Exports of a trial's mentions: CSV that spreadsheets cannot run, JSON with every field."""

import csv
import io
import json

import pytest

from trialbuzz.web import exports

DOCUMENT = {
    "nct_id": "NCT04280705", "title": "ACTT", "score": 13, "mentions_total": 2,
    "updated_at": "2026-11-23T21:00:00+00:00", "details_url": "http://x/trial/NCT04280705",
    "mentions": [
        {"source": "hackernews", "kind": "forum", "title": '=HYPERLINK("http://evil","click")',
         "url": "https://news.ycombinator.com/item?id=1", "author": "@admin",
         "published_at": "2026-11-21T10:00:00+00:00", "snippet": "a, \"quoted\"\nline"},
        {"source": "gdelt", "kind": "news", "title": "Remdesivir, née “good”", "url": None,
         "author": None, "published_at": None, "snippet": None},
    ],
}


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
    (None, ""), (42, "42"),
])
def test_formula_starters_are_neutralised(value, expected):
    assert exports.neutralise(value) == expected


def read_csv(text):
    assert text.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(text[len(exports.BOM):])))


def test_csv_has_a_header_and_a_row_per_mention():
    header, first, second = read_csv(exports.to_csv(DOCUMENT))
    assert header == list(exports.COLUMNS)
    assert first[0] == "NCT04280705" and first[1] == "forum"
    assert second[3] == "Remdesivir, née “good”" and second[4] == ""


def test_csv_cells_that_would_be_formulas_start_with_a_quote():
    _, first, _ = read_csv(exports.to_csv(DOCUMENT))
    assert first[3] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert first[5] == "'@admin"
    # Commas, quotes and newlines survive the round trip.
    assert first[7] == "a, \"quoted\"\nline"


def test_json_keeps_every_field_as_it_is():
    data = json.loads(exports.to_json(DOCUMENT))
    assert data["nct_id"] == "NCT04280705" and data["mentions_total"] == 2
    assert data["mentions"] == DOCUMENT["mentions"]


def test_filenames_name_the_trial():
    assert exports.filename("NCT04280705", "csv") == "NCT04280705-mentions.csv"
