"""The NCT ID grammar: NCT followed by exactly 8 digits, not all zeros, upper-cased."""

import re

from trialbuzz.errors import InvalidNctId

# An ID inside longer text: not glued to letters or digits on either side, so NCT044375111
# (nine digits) and XNCT04437511 are not IDs.
_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])NCT([0-9]{8})(?![A-Za-z0-9])", re.IGNORECASE)
_WHOLE = re.compile(r"NCT([0-9]{8})", re.IGNORECASE)
_ALL_ZEROS = "00000000"


def normalize(value):
    """Return the canonical spelling of an NCT ID, or None when `value` is not exactly one."""
    if not isinstance(value, str):
        return None
    match = _WHOLE.fullmatch(value.strip())
    if not match or match.group(1) == _ALL_ZEROS:
        return None
    return "NCT" + match.group(1)


def require(value):
    """Return the canonical NCT ID for `value` or raise InvalidNctId."""
    nct_id = normalize(value)
    if nct_id is None:
        shown = value if isinstance(value, str) and len(value) <= 40 else "that value"
        raise InvalidNctId(
            f"{shown!r} is not an NCT ID: expected NCT followed by exactly 8 digits, "
            "such as NCT04280705."
        )
    return nct_id


def scan(text):
    """Yield `(offset, nct_id)` for every well-formed NCT ID in `text`, repeats included."""
    for match in _IN_TEXT.finditer(text or ""):
        if match.group(1) != _ALL_ZEROS:
            yield match.start(), "NCT" + match.group(1)


def find_all(text):
    """Return the NCT IDs in `text`, upper-cased, in order of first appearance, without repeats."""
    return unique(nct_id for _, nct_id in scan(text))


def unique(ids):
    """Return `ids` without repeats, keeping the first occurrence of each."""
    return list(dict.fromkeys(ids))
