"""JSON in and out: bounded nesting, finite numbers and clean strings read; strict JSON written."""

import json

import pytest

from trialbuzz import strictjson


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000,
                                  '{"a":' * 100_000 + "1" + "}" * 100_000,
                                  "[" * (strictjson.MAX_DEPTH + 1)
                                  + "]" * (strictjson.MAX_DEPTH + 1)])
def test_nesting_past_the_cap_is_a_value_error_not_a_recursion_error(text):
    with pytest.raises(ValueError, match="nested deeper"):
        strictjson.loads(text)


def test_nesting_up_to_the_cap_and_brackets_inside_strings_are_fine():
    depth = strictjson.MAX_DEPTH
    assert strictjson.loads("[" * depth + "]" * depth) is not None
    text = "[[[[" * 1000 + '\\"{{'
    assert strictjson.loads(json.dumps({"text": text})) == {"text": text}


@pytest.mark.parametrize("text", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity",
                                  "1" * 5000])
def test_non_finite_and_absurd_numbers_read_as_none(text):
    assert strictjson.loads(f'{{"n": {text}, "ok": 1.5}}') == {"n": None, "ok": 1.5}


def test_lone_surrogate_escapes_read_as_replacement_characters_and_pairs_stay():
    value = strictjson.loads(r'["\ud800", "a\udc00b", "\ud83d\ude00", "\\ud800", "\\\ud800"]')
    assert value == ["\ufffd", "a\ufffdb", "\U0001f600", "\\ud800", "\\\ufffd"]
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def test_dumps_refuses_non_finite_numbers():
    with pytest.raises(ValueError):
        strictjson.dumps({"score": float("inf")})


def test_the_app_never_emits_nan_or_infinity(app):
    from flask import jsonify

    with app.app_context():
        with pytest.raises(ValueError):
            jsonify({"score": float("nan")})
        assert jsonify({"score": 1.5}).get_json() == {"score": 1.5}


def test_stored_json_reads_as_written_mends_lone_surrogates_and_bounds_recursion():
    """What the app wrote itself is read without the untrusted checks, but a lone surrogate
    still reads as U+FFFD and a value too deep to decode is a ValueError, which the store
    reads as an empty object."""
    from trialbuzz.storage.db import _stored_json

    record = {"title": "A [trial] {of} \"x\"", "phases": ["PHASE2"], "score": 13, "n": 1.5,
              "nested": [[[{"a": None}]]]}
    assert strictjson.loads_stored(strictjson.dumps(record)) == record
    assert strictjson.loads_stored(r'["\ud800", "\ud83d\ude00"]') == ["\ufffd", "\U0001f600"]
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ValueError, match="nested too deep"):
        strictjson.loads_stored(deep)
    assert _stored_json(deep) == {}
    assert _stored_json(strictjson.dumps(record)) == record
    assert _stored_json(strictjson.dumps(record).encode()) == record     # as psycopg hands it
