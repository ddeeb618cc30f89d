"""The Explorer's index: the queryable facts of a trial (trial_index, trial_facets and
mention_days rows), taken from its registry record and its attention summary (with its
mentions) whenever either is stored."""

import re
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trialbuzz.attention.sources.base import KINDS
from trialbuzz.clock import aware
from trialbuzz.registry.reporting import GRACE
from trialbuzz.registry.reporting import reporting as reporting_of
from trialbuzz.storage.models import Mention, MentionDay, TrialFacet, TrialIndex

# Phases from lowest to highest; a trial's cohort is its highest.
PHASE_ORDER = ("early_phase1", "phase1", "phase2", "phase3", "phase4")
# Kinds of mention the score counts: a trial with one of them has attention.
ATTENTION_KINDS = tuple(kind for kind in KINDS if kind != "publication")
VALUE_LENGTH = 255
_YEAR = re.compile(r"^(\d{4})")


def _text(value):
    return value if isinstance(value, str) else None


def _texts(values):
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def key(value):
    """A filter value as stored and compared: trimmed, lower-cased, at most 255 characters."""
    return value.strip().lower()[:VALUE_LENGTH] if isinstance(value, str) else None


def highest_phase(phases):
    """The highest phase of a record's phases, lower-cased, or "none"."""
    found = [PHASE_ORDER.index(p) for p in map(key, phases) if p in PHASE_ORDER]
    return PHASE_ORDER[max(found)] if found else "none"


def start_year(record):
    """The year the trial started (or is to start), from its start date, or None."""
    match = _YEAR.match(_text(record.get("start_date")) or "")
    return int(match.group(1)) if match else None


def record_facts(nct_id, record):
    """The index columns and facets a registry record gives."""
    record = record if isinstance(record, dict) else {}
    conditions = _texts(record.get("conditions"))
    words = [nct_id, _text(record.get("title")), _text(record.get("acronym")),
             _text(record.get("sponsor")), *conditions]
    columns = {
        "search": "\n".join(w for w in words if w).lower(),
        "status": key(record.get("status")),
        "study_type": key(record.get("study_type")),
        "sponsor": key(record.get("sponsor")),
        "phase": highest_phase(_texts(record.get("phases"))),
        "start_year": start_year(record),
        **reporting_facts(record),
    }
    facets = {("phase", v) for v in map(key, _texts(record.get("phases"))) if v}
    facets |= {("condition", v) for v in map(key, conditions) if v}
    return columns, facets


def reporting_facts(record):
    """The reporting columns of a record: its status as the record settles it, or "due" with
    the day after which results not yet posted are overdue."""
    found = reporting_of(record, date.min)  # before any due date: "not_due" when one applies
    if found["status"] == "not_due":
        return {"reporting": "due",
                "reporting_due": date.fromisoformat(found["due"]) + GRACE}
    return {"reporting": found["status"], "reporting_due": None}


def has_attention(kinds):
    """Whether a summary's kinds hold a mention the score counts."""
    return any((kinds or {}).get(kind) for kind in ATTENTION_KINDS)


def summary_facts(summary):
    """The index columns and facets an attention summary gives."""
    summary = summary if isinstance(summary, dict) else {}
    kinds = summary.get("kinds") or {}
    columns = {
        "attention": has_attention(kinds),
        "score": int(summary.get("score") or 0),
        "trend": int((summary.get("history") or {}).get("1w") or 0),
    }
    facets = {("kind", kind) for kind, count in kinds.items() if count}
    facets |= {("source", key(source)) for source, count in (summary.get("counts") or {}).items()
               if count}
    return columns, facets


def _replace(session, nct_id, columns, facets, names):
    """Upsert the index row of `nct_id` with `columns`, and replace its facets of `names`;
    safe when another process stores the same trial at the same time."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    statement = insert(TrialIndex).values(nct_id=nct_id, **columns)
    session.execute(statement.on_conflict_do_update(index_elements=["nct_id"], set_=columns))
    attention, score, status = session.execute(
        select(TrialIndex.attention, TrialIndex.score, TrialIndex.status)
        .where(TrialIndex.nct_id == nct_id)).one()
    session.execute(delete(TrialFacet).where(TrialFacet.nct_id == nct_id,
                                             TrialFacet.facet.in_(names)))
    if facets:
        session.execute(insert(TrialFacet).values(
            [{"nct_id": nct_id, "facet": facet, "value": value, "attention": attention,
              "score": score, "status": status} for facet, value in sorted(facets)])
            .on_conflict_do_nothing())
    # The trial's other facets follow its new attention, score and status.
    session.execute(update(TrialFacet).where(TrialFacet.nct_id == nct_id)
                    .values(attention=attention, score=score, status=status))


def store_record(session, nct_id, record):
    """Keep the index in step with a trial record just stored in `session`."""
    columns, facets = record_facts(nct_id, record)
    _replace(session, nct_id, columns, facets, ("phase", "condition"))


def mention_days(mentions):
    """{(UTC day, kind, source): count} of (published_at, kind, source) of listed mentions;
    the undated left out."""
    days = {}
    for published, kind, source in mentions:
        if published is not None:
            found = (aware(published).date(), kind, source)
            days[found] = days.get(found, 0) + 1
    return days


def day_rows(days, attention):
    """The mention_days rows (nct_id aside) of a trial's {(day, kind, source): count}, with its
    attention and their previous days (see MentionDay): rows in order of day, kind and
    source, the first of each group's day the one that names the day before."""
    rows, last = [], {}
    for (day, kind, source), count in sorted(days.items()):
        row = {"day": day, "kind": kind, "source": source, "mentions": count,
               "attention": attention}
        for column, group in (("previous", ()), ("previous_kind", ("kind", kind)),
                              ("previous_source", ("source", source)),
                              ("previous_pair", ("pair", kind, source))):
            before = last.get(group)
            row[column] = day if before == day else before
            last[group] = day
        rows.append(row)
    return rows


def store_summary(session, nct_id, summary):
    """Keep the index in step with an attention summary just stored in `session` (after its
    mentions: the listed ones are read back, for the newest date and the days)."""
    columns, facets = summary_facts(summary)
    listed = session.execute(
        select(Mention.published_at, Mention.kind, Mention.source)
        .where(Mention.nct_id == nct_id, Mention.duplicate_of.is_(None))).all()
    columns["latest_at"] = max((aware(row[0]) for row in listed if row[0] is not None),
                               default=None)
    _replace(session, nct_id, columns, facets, ("kind", "source"))
    rows = day_rows(mention_days(listed), columns["attention"])
    names = ("day", "kind", "source", "mentions", "attention", "previous", "previous_kind",
             "previous_source", "previous_pair")
    kept = session.execute(select(*(getattr(MentionDay, name) for name in names))
                           .where(MentionDay.nct_id == nct_id)
                           .order_by(MentionDay.day, MentionDay.kind, MentionDay.source)).all()
    if [tuple(row) for row in kept] == [tuple(row[name] for name in names) for row in rows]:
        return
    session.execute(delete(MentionDay).where(MentionDay.nct_id == nct_id))
    if rows:
        session.execute(insert(MentionDay), [{"nct_id": nct_id, **row} for row in rows])
