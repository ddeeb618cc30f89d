"""The trial document of the public API, built from stored records."""


def _text(value):
    """A string field, or None: a record stored by an older release may hold anything."""
    return value if isinstance(value, str) else None


def _texts(values):
    """The string items of a list field."""
    return [value for value in values if isinstance(value, str)] if isinstance(values,
                                                                                list) else []


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
        "start_date": _text(record.get("start_date")),
        "completion_date": _text(record.get("completion_date")),
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
    return {"answered": len(asked) - len(missing), "asked": len(asked), "missing": missing,
            "retry_at": retries[0] if retries else None}
