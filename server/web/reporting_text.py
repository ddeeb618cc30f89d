"""A trial's results reporting in plain words, the same on the details page, in the command line
and on the reporting badge."""

# The badge's message and colour for each status; the colours keep white text readable.
BADGE = {
    "posted": ("posted", "#2e7d32"),
    "posted_late": ("posted late", "#a34f00"),
    "overdue": ("overdue", "#b3261e"),
    "not_due": ("not due yet", "#3a5a8c"),
    "not_applicable": ("no deadline", "#757a82"),
    "unknown": ("unknown", "#757a82"),
}


def _days(count):
    """`1 day`, `1,270 days`."""
    return f"{count:,} day{'' if count == 1 else 's'}"


def dated(entry):
    """`2019-12-30`, or `2019-12-30 (estimated)` for a date the registry marks estimated."""
    if not isinstance(entry, dict) or not entry.get("date"):
        return "unknown"
    return entry["date"] + (" (estimated)" if entry.get("estimated") else "")


def headline(reporting):
    """One sentence saying where the trial's results stand."""
    reporting = reporting or {}
    status, late, due = reporting.get("status"), reporting.get("days_late"), reporting.get("due")
    if status == "posted":
        return ("Results posted on ClinicalTrials.gov, on time." if due and late == 0
                else "Results posted on ClinicalTrials.gov.")
    if status == "posted_late":
        return (f"Results posted on ClinicalTrials.gov, submitted {_days(late)} after they "
                "were probably due.")
    if status == "overdue":
        return f"Results overdue: {_days(late)} past the date they were probably due ({due})."
    if status == "not_due":
        return f"Results not due yet: probably due by {due}."
    if status == "not_applicable":
        return "No results deadline: the US reporting law probably does not cover this trial."
    return "Results deadline unknown: the record does not say enough to work it out."


def badge_message(reporting):
    """The short message and colour of the reporting badge."""
    status = (reporting or {}).get("status")
    message, color = BADGE.get(status, BADGE["unknown"])
    late = (reporting or {}).get("days_late")
    if status in ("overdue", "posted_late") and isinstance(late, int) and late > 0:
        message = f"{message} {_days(late)}"
    return message, color
