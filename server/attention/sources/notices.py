"""Notices about papers – corrections (errata), retractions, expressions of concern – told
apart from the papers themselves, so that they are shown as notices and never counted."""

import re

# Publication types (PubMed's, and Europe PMC's in lower case) that make an item a notice. A
# "Retracted Publication" is the retracted paper itself, not a notice.
NOTICE_TYPES = {
    "published erratum": "correction",
    "correction": "correction",
    "erratum": "correction",
    "retraction of publication": "retraction",
    "retraction notice": "retraction",
    "expression of concern": "expression_of_concern",
}
LABELS = {"correction": "Correction", "retraction": "Retraction notice",
          "expression_of_concern": "Expression of concern"}
# Titles that name what they correct: "Erratum: Title.", "Correction to: Title", "Correction:
# Title", "Retraction: Title", "Retraction note to: Title", "Notice of retraction: Title".
_TITLE = re.compile(
    r"^\s*(?:\[?(?P<kind>erratum|errata|corrigendum|correction|retraction(?: note| notice)?|"
    r"notice of retraction|expression of concern)\]?)(?:\s+(?:to|for|of|regarding))?\s*"
    r"(?::|-|–)\s*(?P<title>.+)$", re.IGNORECASE)
_KINDS = {"erratum": "correction", "errata": "correction", "corrigendum": "correction",
          "correction": "correction", "expression of concern": "expression_of_concern"}


def notice_type(pubtypes, title=None):
    """What kind of notice an item is ("correction", "retraction", "expression_of_concern"),
    from its publication types or else its title; None for an ordinary paper."""
    for kind in pubtypes or []:
        if isinstance(kind, str) and kind.strip().lower() in NOTICE_TYPES:
            return NOTICE_TYPES[kind.strip().lower()]
    match = _TITLE.match(title or "") if isinstance(title, str) else None
    if match:
        kind = match.group("kind").lower()
        return _KINDS.get(kind, "retraction")
    return None


def with_noticed_title(found, title):
    """`found` (a notice's `notice_for` facts so far) with the title of the paper the notice's
    own `title` names, if it names one, as the key to match it by."""
    key = noticed_title(title)
    if key:
        found.setdefault("notice_for", {})["title_key"] = key
    return found


def noticed_title(title):
    """The title of the paper a notice names in its own title ("Correction to: X" gives X),
    normalised for matching; None when it names none."""
    match = _TITLE.match(title or "") if isinstance(title, str) else None
    return title_key(match.group("title")) if match else None


def title_key(title):
    """A title reduced for matching: lower case, letters and digits only."""
    if not isinstance(title, str):
        return None
    key = re.sub(r"[^0-9a-z]+", " ", title.lower()).strip()
    return key or None
