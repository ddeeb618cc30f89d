"""Publication dates: the earliest credible date a source gives for a paper, never later than
the day it was indexed and never in the future.

Sources date a paper several ways (online first, journal issue, first indexed); an issue date
is often months after the article came out, even ahead of today, and would sort it above newer
work. A date known only to the month or year counts only when no date names a day, so that a
bare "2025" never moves a paper back to 1 January.
"""

import calendar
import re
from datetime import datetime, time, timezone

from trialbuzz.clock import utcnow

DAY, MONTH, YEAR = "day", "month", "year"


def period_end(moment, precision):
    """The last day of the month or year `moment` stands for (the moment itself for a day)."""
    if moment is None or precision == DAY:
        return moment
    if precision == MONTH:
        last = calendar.monthrange(moment.year, moment.month)[1]
        return datetime.combine(moment.date().replace(day=last), time(), timezone.utc)
    return datetime(moment.year, 12, 31, tzinfo=timezone.utc)


def earliest(candidates, indexed=None, now=None):
    """The earliest of `(moment, precision)` candidates, never later than `indexed` (when the
    source indexed it) nor than `now`; None when nothing is dated. A month or a year alone
    counts only when no candidate names a day; the earliest such period stands for its first
    day, unless the index date falls within it and says more."""
    now = now or utcnow()
    dated_ = [(moment, precision) for moment, precision in candidates if moment is not None]
    days = [moment for moment, precision in dated_ if precision == DAY]
    if days:
        moment = min(days)
        if indexed is not None and indexed < moment:
            moment = indexed
    elif dated_:
        end, moment = min((period_end(moment, precision), moment)
                          for moment, precision in dated_)
        if indexed is not None and indexed <= end:
            moment = indexed
    elif indexed is not None:
        moment = indexed
    else:
        return None
    return min(moment, now)


_DAY_FORMS = re.compile(r"^\d{4}(?:-\d{2}-\d{2}|/\d{2}/\d{2}|\s+[A-Za-z]{3}\s+\d{1,2})\b")
_MONTH_FORMS = re.compile(r"^\d{4}(?:-\d{2}$|\s+[A-Za-z]{3}\b)")


def precision_of(text):
    """How precise a written date is: "2025-06-26", "2025/06/26 00:00" and "2025 Jun 26" name a
    day; "2025-06", "2025 Jun" and "2025 Jul-Aug" a month; anything else a year at best."""
    text = text.strip() if isinstance(text, str) else ""
    if _DAY_FORMS.match(text):
        return DAY
    if _MONTH_FORMS.match(text):
        return MONTH
    return YEAR


def dated(text, read):
    """`(moment, precision)` of a written date read by `read` (None, YEAR when unreadable)."""
    return read(text), precision_of(text)
