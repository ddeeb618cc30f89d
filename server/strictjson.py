"""JSON in and out: untrusted text read with bounded nesting, clean strings and finite numbers;
everything written is strict JSON."""

import json
import math
import re
from array import array
from itertools import accumulate

from flask.json.provider import DefaultJSONProvider

# No answer of any service we read nests past a dozen levels; the cap keeps the decoder (which
# recurses) far from Python's recursion limit whatever the caller's stack holds.
MAX_DEPTH = 64
# An integer longer than this is no count or ID we use (and past 4300 digits int() refuses it).
MAX_INT_DIGITS = 20

# A string token, unterminated ones included (they run to the end); possessive, so linear.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]")
# A \u escape of a surrogate, after an even run of backslashes (an odd run escapes the "\").
_SURROGATE = re.compile(r"(?<!\\)((?:\\\\)*+)(?:\\u[dD][89abAB][0-9a-fA-F]{2}"
                        r"(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def nesting_depth(text):
    """How deep the arrays and objects of a JSON text nest, in linear time and no recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    # Each bracket as a signed step of +1 or -1; the deepest point is the largest running sum.
    return max(accumulate(array("b", brackets.translate(_STEPS))), default=0)


def _paired_or_replaced(match):
    """A surrogate pair escape as it was; a lone surrogate escape as U+FFFD."""
    backslashes, low = match.group(1), match.group(2)
    if low:
        return match.group(0)
    return backslashes + "\\ufffd"


def _finite(text):
    """A JSON number as a float, or None when it is not finite (1e999)."""
    number = float(text)
    return number if math.isfinite(number) else None


def _integer(text):
    """A JSON integer, or None when it is longer than any we use."""
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else None


def loads(text, max_depth=MAX_DEPTH):
    """Decode untrusted JSON: ValueError past `max_depth`; NaN, infinities and absurd integers
    read as None, lone surrogate escapes as U+FFFD."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    if nesting_depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    if _SURROGATE_HINT.search(text):
        text = _SURROGATE.sub(_paired_or_replaced, text)
    return json.loads(text, parse_float=_finite, parse_int=_integer,
                      parse_constant=lambda name: None)


def loads_stored(text):
    """Decode JSON this app wrote itself (strict, and nested no deeper than what it read):
    lone surrogate escapes read as U+FFFD as in `loads`, and a value nested past what the
    decoder can follow is a ValueError, not a RecursionError; the rest is json.loads, without
    `loads`' bracket count and per-number checks (four times faster on a record). Bytes (as
    PostgreSQL's driver hands them) are read as UTF-8."""
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", errors="replace")
    if _SURROGATE_HINT.search(text):
        text = _SURROGATE.sub(_paired_or_replaced, text)
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON nested too deep to decode") from exc


def dumps(value, **options):
    """Encode as strict JSON: a non-finite number is an error, never `NaN` or `Infinity`."""
    return json.dumps(value, allow_nan=False, **options)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with NaN and infinities refused, and request bodies read like upstream ones."""

    def dumps(self, obj, **kwargs):
        """As Flask's own, but strict."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        """Bounded and clean, as `loads` above."""
        return loads(s)
