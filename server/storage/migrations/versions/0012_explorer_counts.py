"""explorer counts on one index range: mention_days.previous, previous_kind, previous_source
and previous_pair, each trial's day before, for the trials with mentions within a window,
with partial indexes of each trial's first rows for a window with no start (see MentionDay);
trial_index's (attention, nct_id), for the trials of an NCT ID prefix

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ("previous", "previous_kind", "previous_source", "previous_pair")
WINDOW_BEFORE = ["day", "nct_id", "kind", "source", "attention"]
WINDOW = ["attention", "day", "kind", "source", *COLUMNS, "nct_id"]
# (name, columns before the day, the column NULL on each trial's first rows)
FIRST_ROWS = (("first", [], "previous"), ("first_kind", ["kind"], "previous_kind"),
              ("first_source", ["source"], "previous_source"),
              ("first_pair", ["kind", "source"], "previous_pair"))

# For each row, the first of its trial's day (in order of kind and source), of its kind's day
# (by source) and of its source's day (by kind) carry the group's day before; the others
# their own day. Each row is the only one of its kind from its source on its day. The same
# rows attention.index.day_rows makes.
PREVIOUS = """
UPDATE mention_days SET previous = found.previous, previous_kind = found.previous_kind,
    previous_source = found.previous_source, previous_pair = found.previous_pair
FROM (
    SELECT nct_id, day, kind, source,
        CASE WHEN first_day = 1 THEN lag(day) OVER (
            PARTITION BY nct_id, first_day = 1 ORDER BY day) ELSE day END AS previous,
        CASE WHEN first_kind = 1 THEN lag(day) OVER (
            PARTITION BY nct_id, kind, first_kind = 1 ORDER BY day) ELSE day END
            AS previous_kind,
        CASE WHEN first_source = 1 THEN lag(day) OVER (
            PARTITION BY nct_id, source, first_source = 1 ORDER BY day) ELSE day END
            AS previous_source,
        lag(day) OVER (PARTITION BY nct_id, kind, source ORDER BY day) AS previous_pair
    FROM (
        SELECT nct_id, day, kind, source,
            row_number() OVER (PARTITION BY nct_id, day ORDER BY kind, source) AS first_day,
            row_number() OVER (PARTITION BY nct_id, day, kind ORDER BY source) AS first_kind,
            row_number() OVER (PARTITION BY nct_id, day, source ORDER BY kind)
                AS first_source
        FROM mention_days
    ) AS numbered
) AS found
WHERE mention_days.nct_id = found.nct_id AND mention_days.day = found.day
    AND mention_days.kind = found.kind AND mention_days.source = found.source
"""


def upgrade():
    for name in COLUMNS:
        op.add_column("mention_days", sa.Column(name, sa.Date()))
    op.execute(PREVIOUS)
    op.drop_index("ix_mention_days_window", "mention_days")
    op.create_index("ix_mention_days_window", "mention_days", WINDOW)
    for name, columns, column in FIRST_ROWS:
        where = sa.text(f"{column} IS NULL")
        op.create_index(f"ix_mention_days_{name}", "mention_days", ["attention", *columns, "day"],
                        sqlite_where=where, postgresql_where=where)
    op.create_index("ix_trial_index_id", "trial_index", ["attention", "nct_id"])


def downgrade():
    op.drop_index("ix_trial_index_id", "trial_index")
    for name, _, _ in FIRST_ROWS:
        op.drop_index(f"ix_mention_days_{name}", "mention_days")
    op.drop_index("ix_mention_days_window", "mention_days")
    for name in COLUMNS:
        op.drop_column("mention_days", name)
    op.create_index("ix_mention_days_window", "mention_days", WINDOW_BEFORE)
