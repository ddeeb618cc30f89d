"""explorer: trial_index and trial_facets, what the Explorer filters and sorts on, filled from
the stored records and summaries; mentions indexed by date

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from trialbuzz.attention.index import record_facts, summary_facts

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.create_table(
        "trial_index",
        sa.Column("nct_id", sa.String(11), sa.ForeignKey("trials.nct_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("search", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(40)),
        sa.Column("study_type", sa.String(40)),
        sa.Column("sponsor", sa.String(255)),
        sa.Column("phase", sa.String(16), nullable=False, server_default="none"),
        sa.Column("start_year", sa.Integer()),
        sa.Column("attention", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("score", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("trend", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("latest_at", sa.DateTime(timezone=True)),
        sa.Column("reporting", sa.String(16)),
        sa.Column("reporting_due", sa.Date()),
    )
    op.create_table(
        "trial_facets",
        sa.Column("facet", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(255), primary_key=True),
        sa.Column("nct_id", sa.String(11), sa.ForeignKey("trials.nct_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("attention", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("score", sa.Integer(), nullable=False, server_default="0"),
    )
    _backfill(op.get_bind())
    op.create_index("ix_trial_facets_trial", "trial_facets", ["nct_id"])
    op.create_index("ix_trial_facets_score", "trial_facets",
                    ["facet", "value", "attention", "score"])
    for name, columns in INDEXES.items():
        op.create_index(name, "trial_index", columns)
    op.create_index("ix_mentions_published", "mentions", ["published_at"])


INDEXES = {
    "ix_trial_index_score": ["attention", "score"],
    "ix_trial_index_latest": ["attention", "latest_at"],
    "ix_trial_index_trend": ["attention", "trend", "score"],
    "ix_trial_index_cohort": ["attention", "phase", "start_year", "score"],
    "ix_trial_index_status": ["status", "attention", "score"],
    "ix_trial_index_study_type": ["study_type", "attention", "score"],
    "ix_trial_index_sponsor": ["sponsor", "attention", "score"],
    "ix_trial_index_reporting": ["reporting", "attention", "reporting_due"],
}


def _backfill(connection):
    """Index every stored trial from its record and summary, a batch at a time."""
    trials = sa.table("trials", sa.column("nct_id"), sa.column("record", sa.JSON),
                      sa.column("summary", sa.JSON))
    mentions = sa.table("mentions", sa.column("nct_id"), sa.column("published_at"),
                        sa.column("duplicate_of"))
    index = sa.table("trial_index", *(sa.column(name) for name in (
        "nct_id", "search", "status", "study_type", "sponsor", "phase", "start_year",
        "attention", "score", "trend", "latest_at", "reporting", "reporting_due")))
    facets = sa.table("trial_facets", sa.column("facet"), sa.column("value"),
                      sa.column("nct_id"), sa.column("attention"), sa.column("score"))
    after = ""
    while True:
        rows = connection.execute(
            sa.select(trials.c.nct_id, trials.c.record, trials.c.summary)
            .where(trials.c.nct_id > after).order_by(trials.c.nct_id).limit(BATCH)).all()
        if not rows:
            return
        ids = [row.nct_id for row in rows]
        latest = dict(connection.execute(
            sa.select(mentions.c.nct_id, sa.func.max(mentions.c.published_at))
            .where(mentions.c.nct_id.in_(ids), mentions.c.duplicate_of.is_(None))
            .group_by(mentions.c.nct_id)).all())
        index_rows, facet_rows = [], []
        for row in rows:
            columns, found = record_facts(row.nct_id, row.record)
            attention, more = summary_facts(row.summary)
            index_rows.append({"nct_id": row.nct_id, **columns, **attention,
                               "latest_at": latest.get(row.nct_id)})
            facet_rows += [{"facet": facet, "value": value, "nct_id": row.nct_id,
                            "attention": attention["attention"], "score": attention["score"]}
                           for facet, value in sorted(found | more)]
        connection.execute(index.insert(), index_rows)
        if facet_rows:
            connection.execute(facets.insert(), facet_rows)
        after = ids[-1]


def downgrade():
    op.drop_index("ix_mentions_published", "mentions")
    op.drop_table("trial_facets")
    op.drop_table("trial_index")
