"""What a person typed to find a trial, read as they meant it: an NCT ID or a page address."""

import re
from dataclasses import dataclass

from trialbuzz import nctid
from trialbuzz.errors import BadRequest, InvalidUrl
from trialbuzz.resolution.trialfinder import find_trials

MAX_LENGTH = 4096
EXAMPLE = "such as NCT04280705 or clinicaltrials.gov/study/NCT04280705"
# An attempt at an NCT ID: the letters NCT or a digit first, then only digits, spaces, dashes.
_ID_ATTEMPT = re.compile(r"(?:nct|[0-9])[0-9\s-]*", re.IGNORECASE)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
# A host with a dot in it (its last label starting with a letter, or an IPv4 address), an
# optional port, then nothing or a path, query or fragment; no spaces anywhere.
_DOTTED_HOST = re.compile(
    r"(?:(?:[^\W_][\w-]*\.)+[^\W\d_][\w-]*|[0-9]{1,3}(?:\.[0-9]{1,3}){3})\.?"
    r"(?::[0-9]{1,5})?(?:[/?#]\S*)?")


@dataclass(frozen=True)
class Lookup:
    """A trial asked for by its NCT ID, or the page to find trials on."""

    nct_id: str | None = None
    url: str | None = None


def read(text):
    """Read `text` as an NCT ID or a page address; raise a BadRequest saying which was meant."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise BadRequest(f"That is longer than {MAX_LENGTH} characters: enter an NCT ID or a "
                         "page address.", code="invalid_lookup")
    nct_id = nctid.normalize(text)
    if nct_id:
        return Lookup(nct_id=nct_id)
    if _ID_ATTEMPT.fullmatch(text):
        nctid.require(text)  # raises, with the message saying what an NCT ID looks like
    scheme = _SCHEME.match(text)
    if scheme:
        if scheme.group(1).lower() not in ("http", "https"):
            raise InvalidUrl(f"only http and https addresses can be looked up, not "
                             f"{scheme.group(1).lower()[:20]} ones.")
        return Lookup(url=text)
    if _DOTTED_HOST.fullmatch(text):
        return Lookup(url="https://" + text)
    shown = repr(text) if 0 < len(text) <= 40 else "That"
    raise InvalidUrl(f"{shown} is neither an NCT ID nor a page address: enter an NCT ID or a "
                     f"page address, {EXAMPLE}.")


def find(asked, fetcher, work=None):
    """`{"url", "nct_ids", "primary"}` for a read lookup, fetching its page only when needed."""
    if asked.nct_id:
        return {"url": None, "nct_ids": [asked.nct_id], "primary": asked.nct_id,
                "truncated": False}
    return find_trials(asked.url, fetcher, work)


def shown(found):
    """The one trial a lookup's answer is about: its primary, or the only one named; or None."""
    return found["primary"] or (found["nct_ids"][0] if len(found["nct_ids"]) == 1 else None)
