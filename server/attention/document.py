"""The trial document of the public API, built from stored records."""


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
