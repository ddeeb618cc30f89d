"""Database tables: trials, their alias IDs, mentions, source checks, the work on them, the
queryable facts the Explorer filters and sorts on, collections, the registry-wide sweeps and
the position of each stream of posts."""

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    desc,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime as SqlDateTime
from sqlalchemy.types import TypeDecorator


class DateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = SqlDateTime
    cache_ok = True

    def __init__(self, timezone=True):
        super().__init__(timezone=timezone)

    def process_bind_param(self, value, dialect):
        """Store UTC; a naive value is taken to be UTC already."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        """Read back as an aware UTC datetime: SQLite's naive values are UTC already, and
        PostgreSQL's come in its session's time zone, which need not be UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of every trialbuzz table."""


class Trial(Base):
    """A ClinicalTrials.gov study, keyed on its canonical NCT ID."""

    __tablename__ = "trials"

    nct_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    # The parsed record (see ctgov.parse_study); the fields of the trial document.
    record: Mapped[dict] = mapped_column(JSON, nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # When the attention sources last finished a refresh for this trial; None until the first.
    harvested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Counts, score, history and publications as of `harvested_at` (see score.summarize);
    # deferred, since looking a trial up by ID does not need it and it can be large.
    summary: Mapped[dict | None] = mapped_column(JSON, deferred=True)


class TrialAlias(Base):
    """An obsolete or duplicate NCT ID that ClinicalTrials.gov redirects to a canonical one."""

    __tablename__ = "trial_aliases"

    alias: Mapped[str] = mapped_column(String(11), primary_key=True)
    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        nullable=False, index=True)


class Mention(Base):
    """One piece of attention a source found for a trial, with its link."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("nct_id", "source", "external_id", name="uq_mentions_source_item"),
        Index("ix_mentions_trial_published", "nct_id", "published_at"),
        Index("ix_mentions_trial_listed", "nct_id", "duplicate_of"),
        # The Explorer's date window, when few mentions fall in it.
        Index("ix_mentions_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        nullable=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    external_id: Mapped[str] = mapped_column(String(512), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    snippet: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    # Source-specific identifiers and flags (pmid, pmcid, doi, result paper, comment or story…).
    extra: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # A publication found by several sources is listed once: the others point at that one.
    duplicate_of: Mapped[int | None] = mapped_column(Integer)


class SourceCheck(Base):
    """One run of one source for one trial: when, how it went and how much it found."""

    __tablename__ = "source_checks"
    __table_args__ = (Index("ix_source_checks_trial_source", "nct_id", "source", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        nullable=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Items of the source's answers it could not read, and left out.
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                         server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    # What a source reports beside mentions (Altmetric's score and counts).
    summary: Mapped[dict | None] = mapped_column(JSON)


class Work(Base):
    """The refresh of one trial ID: whether it is due, queued or under way, and how it ended.

    The queue carries the jobs; this row is the truth about them, shared by every process, so
    a refresh is queued once however many requests ask, and one whose worker died is found.
    """

    __tablename__ = "work"
    __table_args__ = (Index("ix_work_state_lease", "state", "lease_until"),)

    # The ID as asked (an alias stays an alias until the registry's answer says where it goes).
    nct_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    # queued, running, done or failed.
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    force: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A running refresh whose lease has passed lost its worker: it is queued again.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Why the last refresh failed (the error code and message of the TrialbuzzError).
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_status: Mapped[int | None] = mapped_column(Integer)
    error_retry_after: Mapped[int | None] = mapped_column(Integer)
    # When a reader last asked for the trial, and how often: the schedule refreshes the
    # trials people look at before they go stale, the most viewed first.
    viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    views: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class StreamCursor(Base):
    """Where a long-running stream of posts (the Bluesky firehose) has read up to, and which
    process reads it: one reader per deployment, whose lease others wait out."""

    __tablename__ = "stream_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The stream's own position (Jetstream: the time of the last event read, in microseconds).
    cursor: Mapped[int | None] = mapped_column(BigInteger)
    owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Collection(Base):
    """A named list of trials anyone may read at its unguessable ID; only the holder of its
    edit token (stored as a hash) may change or delete it."""

    __tablename__ = "collections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    # SHA-256 of the edit token, hex; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # When a reader (or a feed reader) last asked for it: the schedule keeps the trials of
    # collections read within the last week fresh.
    viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class CollectionTrial(Base):
    """One trial ID of a collection, as given (an alias stays an alias), at its place in the
    list."""

    __tablename__ = "collection_trials"
    __table_args__ = (Index("ix_collection_trials_nct_id", "nct_id"),)

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class TrialIndex(Base):
    """What the Explorer filters and sorts on, one row per stored trial: taken from its record
    and summary whenever either is stored (see attention.index), keys lower-cased."""

    __tablename__ = "trial_index"
    __table_args__ = (
        # The trials with attention of an NCT ID prefix, counted on the index alone.
        Index("ix_trial_index_id", "attention", "nct_id"),
        # The Explorer's orders, NCT ID last (migration 0010; on PostgreSQL latest_at's
        # NULLs last).
        Index("ix_trial_index_score", "attention", desc("score"), "nct_id"),
        Index("ix_trial_index_latest", "attention", desc("latest_at"), desc("score"), "nct_id"),
        Index("ix_trial_index_trend", "attention", desc("trend"), desc("score"), "nct_id"),
        Index("ix_trial_index_cohort", "attention", "phase", "start_year", "score"),
        Index("ix_trial_index_status", "status", "attention", "score"),
        Index("ix_trial_index_study_type", "study_type", "attention", "score"),
        Index("ix_trial_index_sponsor", "sponsor", "attention", "score"),
        Index("ix_trial_index_reporting", "reporting", "attention", "reporting_due"),
    )

    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        primary_key=True)
    # NCT ID, title, acronym, sponsor and conditions, lower-cased: what `q` searches.
    search: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str | None] = mapped_column(String(40))
    study_type: Mapped[str | None] = mapped_column(String(40))
    sponsor: Mapped[str | None] = mapped_column(String(255))
    # The highest phase listed ("phase2"), or "none": the cohort of the score's context.
    phase: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    start_year: Mapped[int | None] = mapped_column(Integer)
    # Whether any mention the score counts was found; the Explorer lists only those.
    attention: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The score of the mentions dated within the week before the latest harvest.
    trend: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The newest date of a listed mention.
    latest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Results reporting (registry.reporting) as far as the record settles it: posted,
    # posted_late, not_applicable, unknown; or "due" for results not yet posted that fall due,
    # overdue once `reporting_due` (the due date and its grace month) has passed.
    reporting: Mapped[str | None] = mapped_column(String(16))
    reporting_due: Mapped[date | None] = mapped_column(Date)


class TrialFacet(Base):
    """One value of a many-valued Explorer filter for a trial: a phase, a condition, a kind of
    mention or a source that found something. Values lower-cased. The trial's attention,
    score and status are repeated here, so that one filter is counted and sorted by score on
    this table's index alone, and counted with a status."""

    __tablename__ = "trial_facets"
    __table_args__ = (Index("ix_trial_facets_trial", "nct_id"),
                      Index("ix_trial_facets_score", "facet", "value", "attention", "score"),
                      Index("ix_trial_facets_status", "facet", "value", "attention", "status"))

    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        primary_key=True)
    attention: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The trial's status, repeated: a status with one such filter is counted here.
    status: Mapped[str | None] = mapped_column(String(40))


# The partial indexes of mention_days' first rows: (name, columns before the day, the
# previous-day column that is NULL on them).
FIRST_ROWS = (("first", (), "previous"), ("first_kind", ("kind",), "previous_kind"),
              ("first_source", ("source",), "previous_source"),
              ("first_pair", ("kind", "source"), "previous_pair"))


class MentionDay(Base):
    """How many listed mentions (not duplicates) of a kind, from a source, a trial has on one
    day (UTC): what the Explorer's date window reads, kept in step with the trial's summary
    (see attention.index). Undated mentions have none.

    `previous`, `previous_kind`, `previous_source` and `previous_pair` let a window's trials
    be counted without gathering them: on the first row of the trial's day (of the kind, of
    the source, of the kind from the source) each is the trial's day before (of the kind, of
    the source, of both) with a row, None for its first; on the day's other rows it is the
    row's own day. A trial has mentions within [A, B) exactly when one of its rows there has
    no previous day or one before A; before B, exactly when its first row is."""

    __tablename__ = "mention_days"
    __table_args__ = (
        Index("ix_mention_days_window", "attention", "day", "kind", "source", "previous",
              "previous_kind", "previous_source", "previous_pair", "nct_id"),
        # Each trial's first rows: a window with no start is counted on one of these.
        *(Index(f"ix_mention_days_{name}", "attention", *columns, "day",
                sqlite_where=text(f"{column} IS NULL"),
                postgresql_where=text(f"{column} IS NULL"))
          for name, columns, column in FIRST_ROWS),
    )

    nct_id: Mapped[str] = mapped_column(ForeignKey("trials.nct_id", ondelete="CASCADE"),
                                        primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer, nullable=False)
    # The trial's attention, repeated: a window alone is counted on this table's index.
    attention: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    previous: Mapped[date | None] = mapped_column(Date)
    previous_kind: Mapped[date | None] = mapped_column(Date)
    previous_source: Mapped[date | None] = mapped_column(Date)
    previous_pair: Mapped[date | None] = mapped_column(Date)


class Sweep(Base):
    """Where the registry-wide sweep of one source (on one wiki, for Wikipedia) stands: how far
    it has covered, the run under way and how the last one ended.

    A sweep asks a source for every mention of any study since `watermark`; what it finds is
    filed under each NCT ID named. `complete` says the sweeps have covered the source's whole
    history without a gap, so that a trial's mentions from it need no per-trial call.
    """

    __tablename__ = "sweeps"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The wiki's language for Wikipedia; "" for the sources swept once for all.
    scope: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    # Everything indexed before this moment is covered (None: nothing yet).
    watermark: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complete: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # idle, queued or running; a running sweep's lease passes when its worker dies.
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="idle")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The run under way: its window and where its paging stands (resumed after a failure).
    run: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a run last reached the present: the sweep is current from then on.
    succeeded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # What the last run found: pages, mentions, trials, new trials.
    stats: Mapped[dict | None] = mapped_column(JSON)
    # What the source keeps from one run to the next (a feed's ETag and Last-Modified).
    kept: Mapped[dict | None] = mapped_column(JSON)
