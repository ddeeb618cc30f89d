"""Registry citations (Vancouver style, as ClinicalTrials.gov lists references) read into their parts."""

import re
from dataclasses import dataclass

from trialbuzz.text import clean

MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# "Journal. 2020 May 22;383(19):1813-1826" – the journal is the text between the period before
# the year and that year; it holds no period in NLM abbreviations ("N Engl J Med").
_JOURNAL_DATE = re.compile(
    r"\.\s+(?P<journal>[^.]{2,200}?)\.\s+(?P<year>(?:1[89]|20)\d{2})"
    r"(?:\s+(?P<month>[A-Z][a-z]{2})(?:-[A-Z][a-z]{2})?(?:\s+(?P<day>\d{1,2}))?)?"
    r"(?=\s*(?:[;:.]|$))")
# What follows the source details and is not part of the title: DOIs, e-publication notes.
_TAIL = re.compile(r"\s+(?:doi:|Epub\b|PMID:|No abstract available|Erratum in:|Comment in:)",
                   re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[?!])\s+")


@dataclass(frozen=True)
class Citation:
    """The parts of one citation; `title` is the whole text when it could not be read."""

    title: str
    authors: str | None = None
    journal: str | None = None
    date: str | None = None
    parsed: bool = False

    @property
    def first_author(self):
        """The first author, with "et al." when there are more."""
        if not self.authors:
            return None
        names = [name.strip() for name in re.split(r"[,;]", self.authors) if name.strip()]
        first = names[0].removesuffix(" et al").strip()
        return f"{first} et al." if len(names) > 1 or "et al" in self.authors else first


def _date(year, month, day):
    """`2020`, `2020-05` or `2020-05-22`, as far as the citation says."""
    if not month or month not in MONTHS:
        return year
    if day and 1 <= int(day) <= 31:
        return f"{year}-{MONTHS[month]:02d}-{int(day):02d}"
    return f"{year}-{MONTHS[month]:02d}"


def parse(citation):
    """The authors, title, journal and date of a Vancouver-style citation; a citation that does
    not follow the pattern comes back whole as the title (None when there is no text)."""
    text = clean(citation)
    if not text:
        return None
    text = " ".join(text.split())
    match = _JOURNAL_DATE.search(text)
    if not match:
        return Citation(title=text)
    head = text[:match.start()].strip()
    journal = match.group("journal").strip()
    # A title ending in "?" runs straight into the journal: "Does it work? Lancet. 2020".
    pieces = _SENTENCE_END.split(journal)
    if len(pieces) > 1:
        head = f"{head}. {' '.join(pieces[:-1])}" if head else " ".join(pieces[:-1])
        journal = pieces[-1]
    authors, _, title = head.partition(". ")
    if not title:
        authors, title = None, head
    title = title.strip()
    if not title.endswith(("?", "!", ".")):
        title += "."
    if not title.strip(".") or _TAIL.match(" " + title):
        return Citation(title=text)
    authors = (authors or "").strip()
    if authors.endswith("et al"):
        authors += "."
    return Citation(title=title, authors=authors or None,
                    journal=journal,
                    date=_date(match.group("year"), match.group("month"), match.group("day")),
                    parsed=True)
