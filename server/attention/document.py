"""The trial document of the public API, built from stored records."""

from datetime import datetime, timezone

# Document states whose figures may still change without a refresh being asked for: cached
# briefly by clients.
UNSETTLED = ("collecting", "partial")


def _text(value):
    """A string field, or None: a record stored by an older release may hold anything."""
    return value if isinstance(value, str) else None


def _texts(values):
    """The string items of a list field."""
    return [value for value in values if isinstance(value, str)] if isinstance(values,
                                                                                list) else []


def _dated(value):
    """A `{"date", "estimated"}` entry, or None: a record stored by an older release has none."""
    if isinstance(value, dict) and isinstance(value.get("date"), str):
        return {"date": value["date"], "estimated": value.get("estimated") is True}
    return None


def dates(record):
    """Start, primary completion and completion, each `{"date", "estimated"}` or None."""
    given = record.get("dates") if isinstance(record.get("dates"), dict) else {}
    return {name: _dated(given.get(name)) for name in ("start", "primary_completion",
                                                        "completion")}


def trial_fields(trial):
    """The registry fields of the trial document for a TrialRecord."""
    record = trial.record if isinstance(trial.record, dict) else {}
    enrollment = record.get("enrollment")
    fields = {
        "nct_id": trial.nct_id,
        "title": _text(record.get("title")),
        "official_title": _text(record.get("official_title")),
        "acronym": _text(record.get("acronym")),
        "status": _text(record.get("status")),
        "phases": _texts(record.get("phases")),
        "study_type": _text(record.get("study_type")),
        "sponsor": _text(record.get("sponsor")),
        "enrollment": enrollment if type(enrollment) is int else None,
        "enrollment_estimated": record.get("enrollment_estimated") is True,
        "start_date": _text(record.get("start_date")),
        "completion_date": _text(record.get("completion_date")),
        "dates": dates(record),
        "has_results": record.get("has_results") is True,
        "conditions": _texts(record.get("conditions")),
        "url": _text(record.get("url")) or f"https://clinicaltrials.gov/study/{trial.nct_id}",
    }
    if trial.requested_id != trial.nct_id:
        fields["requested_id"] = trial.requested_id
    return fields


def links(nct_id, base_url):
    """The links of a trial on this server: its details page and its badge."""
    return {
        "details_url": f"{base_url}/trial/{nct_id}",
        "badge_url": f"{base_url}/badge/{nct_id}.svg",
    }


def trial_document(trial, base_url):
    """The trial document: registry fields, freshness and links."""
    document = trial_fields(trial)
    document["updated_at"] = trial.fetched_at.isoformat()
    document["stale"] = trial.stale
    document.update(links(trial.nct_id, base_url))
    return document


def coverage(sources):
    """Which of the sources in use have answered for a trial: `answered` of `asked`, and the
    `missing` ones (not asked yet, or failing, with since when and when they are tried again),
    with the soonest such retry. A zero means "no attention" only when nothing is missing."""
    asked = [source for source in sources if source["status"] != "disabled"]
    missing = [{"id": source["id"], "name": source["name"], "status": source["status"],
                **{key: source[key] for key in ("failing_since", "retry_at") if key in source}}
               for source in asked if source["status"] != "ok"]
    retries = sorted(entry["retry_at"] for entry in missing if "retry_at" in entry)
    covered = {"answered": len(asked) - len(missing), "asked": len(asked), "missing": missing,
               "retry_at": retries[0] if retries else None}
    covered["message"] = coverage_message(covered)
    return covered


def coverage_message(covered):
    """"4 of 6 sources answered; Wikipedia and GDELT news will be tried again", without an
    end, so that each view can add the time of the retry in its reader's clock; None when
    nothing is missing."""
    missing = covered["missing"]
    if not missing:
        return None
    names = and_list([entry["name"] for entry in missing])
    failing = any(entry["status"] != "pending" for entry in missing)
    if failing:
        then = "will be tried again"
    else:
        then = "have not been asked yet" if len(missing) > 1 else "has not been asked yet"
    return f"{covered['answered']} of {covered['asked']} sources answered; {names} {then}"


def coverage_line(covered, zone=timezone.utc):
    """The whole sentence of `coverage_message`, with the time of the soonest retry in `zone`
    ("… will be tried again at 14:05 UTC."); "" when nothing is missing."""
    message = (covered or {}).get("message")
    if not message:
        return ""
    try:
        retry = datetime.fromisoformat(covered["retry_at"]).astimezone(zone)
    except (TypeError, ValueError, KeyError):
        return message + "."
    clock = retry.strftime("%H:%M") + (" UTC" if zone is timezone.utc else "")
    return f"{message} at {clock}."


def and_list(names):
    """"A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
