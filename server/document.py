"""The trial document of the public API, built from stored records."""


def trial_fields(trial):
    """The registry fields of the trial document for a TrialRecord."""
    record = trial.record
    fields = {
        "nct_id": trial.nct_id,
        "title": record.get("title"),
        "official_title": record.get("official_title"),
        "acronym": record.get("acronym"),
        "status": record.get("status"),
        "phases": record.get("phases") or [],
        "study_type": record.get("study_type"),
        "sponsor": record.get("sponsor"),
        "enrollment": record.get("enrollment"),
        "start_date": record.get("start_date"),
        "completion_date": record.get("completion_date"),
        "has_results": bool(record.get("has_results")),
        "conditions": record.get("conditions") or [],
        "url": record.get("url"),
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
