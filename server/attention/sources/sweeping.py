"""What a registry-wide sweep of a source yields: pages of mentions, each filed under every NCT
ID it names, and the run's position after each page so that a stopped run resumes there.

A sweepable source has `sweep_scopes()` when it has several (the wikis for Wikipedia; see
`scopes_of`),
`sweep_origin` (where its history starts) and `sweep_pages(scope, run, deadline)`, a generator
of SweptPage. `run` is a JSON object: "since" and "until" (ISO dates or times) bound the window
the run covers, and the source keeps its own paging position in it; the last page's run says
"done": true. What a source must remember from one run to the next (a feed's ETag and
Last-Modified) goes in the run's "kept": it is stored when the run ends and handed to the next
run as its "kept"."""

from dataclasses import dataclass, field
from datetime import datetime, timezone

from trialbuzz.nctid import find_all

ORIGIN = datetime(1990, 1, 1, tzinfo=timezone.utc)


@dataclass
class SweptPage:
    """One call's worth (or a few: a search page and its annotations) of a sweep."""

    # (NCT IDs named, Mention) pairs; a mention naming several trials is filed under each.
    found: list = field(default_factory=list)
    # Where the run stands after this page; stored before the next page is asked for.
    run: dict = field(default_factory=dict)
    # Registry records (parsed) the page brought, for the registry's own sweep.
    records: list = field(default_factory=list)
    # Upstream calls this page took.
    calls: int = 1
    # Items that named no NCT ID or could not be read.
    skipped: int = 0


def scopes_of(sweeper):
    """The scopes a sweeper sweeps one by one: its `sweep_scopes()`, else the one, ""."""
    return sweeper.sweep_scopes() if hasattr(sweeper, "sweep_scopes") else [""]


def when(value):
    """A stored run bound (ISO text) as an aware datetime."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def ids_in(*texts):
    """The NCT IDs named in any of `texts` (strings; anything else is ignored), in order."""
    return find_all(" ".join(text for text in texts if isinstance(text, str)))
