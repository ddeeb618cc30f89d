"""Results reporting of a trial: whether results were posted on ClinicalTrials.gov, when they were
probably due under FDAAA 801 and its Final Rule (42 CFR 11), and how late they are.

The rules follow the FDAAA TrialsTracker (DeVito, Bacon, Goldacre 2018): results of an applicable
clinical trial are due 12 months after its primary completion date; a date given as a month is
read as the last day of that month; an unreported trial counts as overdue once 30 more days have
passed (the time results spend in quality control); a certificate of delay puts the deadline off
by at most two more years. Whether a trial is covered is a legal question that the registry only
hints at, so coverage is "probably" at best and the due date is always an estimate.
"""

import calendar
from datetime import date, timedelta

from trialbuzz.registry.citations import parse as parse_citation

# The Final Rule took effect on this day; earlier completions fall under older rules.
FINAL_RULE = date(2017, 1, 18)
GRACE = timedelta(days=30)
DELAY_YEARS = 2
STATUSES = ("posted", "posted_late", "overdue", "not_due", "not_applicable", "unknown")
COVERED = ("probably", "probably_not", "unknown")
EARLY_PHASES = {"PHASE1", "EARLY_PHASE1"}
# The United States and its territories, as ClinicalTrials.gov names countries.
US_COUNTRIES = {"United States", "American Samoa", "Guam", "Northern Mariana Islands",
                "Puerto Rico", "U.S. Virgin Islands", "Virgin Islands (U.S.)"}


def registry_date(value, last=True):
    """A registry date ("2020-04-19", "2020-04", "2020") as a date; a month or a year alone is
    read as its last day (`last`) or its first; None when it is no date."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split("-")
    try:
        numbers = [int(part) for part in parts]
        if len(numbers) == 3:
            return date(*numbers)
        if len(numbers) == 2:
            year, month = numbers
            return date(year, month, calendar.monthrange(year, month)[1] if last else 1)
        if len(numbers) == 1 and len(parts[0]) == 4:
            return date(numbers[0], 12, 31) if last else date(numbers[0], 1, 1)
    except ValueError:
        return None
    return None


def _years_later(day, years):
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _dated(record, name):
    """One `{"date", "estimated"}` entry of the record's dates, or None."""
    dates = record.get("dates")
    entry = dates.get(name) if isinstance(dates, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("date"), str):
        return {"date": entry["date"], "estimated": entry.get("estimated") is True}
    return None


def coverage(record):
    """Whether FDAAA 801 probably covers the trial ("probably", "probably_not", "unknown"), and
    the reason in plain words."""
    phases = [p for p in record.get("phases") or [] if isinstance(p, str)]
    completion = _dated(record, "primary_completion")
    completed = registry_date(completion["date"]) if completion else None
    started = registry_date((_dated(record, "start") or {}).get("date"), last=False)
    drug, device = record.get("fda_regulated_drug"), record.get("fda_regulated_device")
    if record.get("study_type") is None:
        return "unknown", "the record does not say what kind of study it is"
    if record.get("study_type") != "INTERVENTIONAL":
        return "probably_not", "it is not an interventional study"
    if record.get("status") == "WITHDRAWN":
        return "probably_not", "it was withdrawn before enrolling anyone"
    if phases and set(phases) <= EARLY_PHASES:
        return "probably_not", "phase 1 trials are exempt"
    if record.get("primary_purpose") == "DEVICE_FEASIBILITY":
        return "probably_not", "device feasibility studies are exempt"
    if drug is False and device is False:
        return "probably_not", "the record says it studies no FDA-regulated drug or device"
    if drug is not True and device is not True:
        return "unknown", "the record does not say whether it studies an FDA-regulated product"
    if completed is None:
        return "unknown", "the record gives no primary completion date"
    if completed < FINAL_RULE:
        return "probably_not", "its primary completion came before 18 January 2017"
    countries = set(record.get("countries") or [])
    if started is not None and started < FINAL_RULE and countries and not countries & US_COUNTRIES:
        return "probably_not", "it started before 18 January 2017 and has no US site"
    product = "drug" if drug is True else "device"
    return "probably", (f"an interventional trial of an FDA-regulated {product}, not phase 1, "
                        "with primary completion after 18 January 2017")


def _reference_url(reference):
    """The link of a registry reference: PubMed by PMID, else a DOI in its citation."""
    pmid = reference.get("pmid")
    if isinstance(pmid, str) and pmid.isdigit():
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return None


def results_paper(record):
    """The first paper the registry lists as reporting the trial's results, as
    `{"title", "url"}`, or None."""
    references = record.get("references")
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, dict) and reference.get("type") == "RESULT":
            citation = parse_citation(reference.get("citation"))
            if citation is None and not _reference_url(reference):
                continue
            return {"title": citation.title if citation else None,
                    "url": _reference_url(reference)}
    return None


def reporting(record, today):
    """The `reporting` object of the trial document for a stored record, as of `today`."""
    record = record if isinstance(record, dict) else {}
    covered, reason = coverage(record)
    completion = _dated(record, "primary_completion")
    completed = registry_date(completion["date"]) if completion else None
    submitted = registry_date(record.get("results_first_submitted"))
    posted = registry_date(record.get("results_first_posted"))
    delay = registry_date(record.get("delay_first_submitted"))
    due = _years_later(completed, 1) if completed and covered == "probably" else None
    reported = submitted or posted
    if due and delay and not reported:
        due = _years_later(due, DELAY_YEARS)
    days_late = None
    if reported or record.get("has_results") is True:
        status = "posted"
        if due and reported:
            days_late = max((reported - due).days, 0)
            status = "posted_late" if days_late else "posted"
    elif covered == "probably_not":
        status = "not_applicable"
    elif covered == "unknown" or due is None:
        status = "unknown"
    elif today > due + GRACE:
        status, days_late = "overdue", (today - due).days
    else:
        status = "not_due"
    note = f"Probably covered by FDAAA 801: {reason}." if covered == "probably" else (
        f"Probably not covered by FDAAA 801: {reason}." if covered == "probably_not"
        else f"Coverage by FDAAA 801 unknown: {reason}.")
    if due:
        note += (" The due date is an estimate: 12 months after primary completion"
                 + (", put off by a certificate of delay" if delay and not reported else "")
                 + (", from an estimated primary completion date" if completion["estimated"]
                    else "") + ".")
    return {
        "status": status,
        "covered": covered,
        "primary_completion": completion,
        "results_submitted": submitted.isoformat() if submitted else None,
        "results_posted": posted.isoformat() if posted else None,
        "due": due.isoformat() if due else None,
        "days_late": days_late,
        "delay_requested": delay.isoformat() if delay else None,
        "publication": results_paper(record),
        "note": note,
    }
