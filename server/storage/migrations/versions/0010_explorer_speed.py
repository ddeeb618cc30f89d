"""explorer speed: a trigram index of what `q` searches (SQLite FTS5 kept in step by triggers,
PostgreSQL pg_trgm); mention_days, each trial's listed mentions by UTC day, kind and source,
filled from the stored mentions

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# SQLite: a contentless FTS5 table of trial_index.search, split in trigrams (a phrase query is
# then a substring search), keyed on the NCT ID's number; the triggers keep it in step with
# every write of trial_index, whoever makes it.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE trial_search USING fts5(search, content='', tokenize='trigram')",
    """CREATE TRIGGER trial_search_insert AFTER INSERT ON trial_index BEGIN
         INSERT INTO trial_search (rowid, search)
         VALUES (CAST(substr(new.nct_id, 4) AS INTEGER), new.search);
       END""",
    """CREATE TRIGGER trial_search_delete AFTER DELETE ON trial_index BEGIN
         INSERT INTO trial_search (trial_search, rowid, search)
         VALUES ('delete', CAST(substr(old.nct_id, 4) AS INTEGER), old.search);
       END""",
    """CREATE TRIGGER trial_search_update AFTER UPDATE OF search ON trial_index BEGIN
         INSERT INTO trial_search (trial_search, rowid, search)
         VALUES ('delete', CAST(substr(old.nct_id, 4) AS INTEGER), old.search);
         INSERT INTO trial_search (rowid, search)
         VALUES (CAST(substr(new.nct_id, 4) AS INTEGER), new.search);
       END""",
    "INSERT INTO trial_search (rowid, search) "
    "SELECT CAST(substr(nct_id, 4) AS INTEGER), search FROM trial_index",
]
POSTGRESQL_SEARCH = [
    # A trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_trial_index_search ON trial_index USING gin (search gin_trgm_ops)",
]

# The UTC day of a mention's date, in each database's words.
DAYS_FROM_MENTIONS = {
    "sqlite": "date(published_at)",
    "postgresql": "(published_at AT TIME ZONE 'UTC')::date",
}


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRESQL_SEARCH:
        op.execute(statement)
    _days(dialect)


def _days(dialect):
    """mention_days, filled in one grouped pass over the stored mentions."""
    op.create_table(
        "mention_days",
        sa.Column("nct_id", sa.String(11), sa.ForeignKey("trials.nct_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
    )
    day = DAYS_FROM_MENTIONS[dialect]
    op.execute(
        f"INSERT INTO mention_days (nct_id, day, kind, source, mentions) "
        f"SELECT nct_id, {day}, kind, source, count(*) FROM mentions "
        f"WHERE duplicate_of IS NULL AND published_at IS NOT NULL "
        f"GROUP BY nct_id, {day}, kind, source")
    op.create_index("ix_mention_days_window", "mention_days",
                    ["day", "nct_id", "kind", "source"])


def downgrade():
    connection = op.get_bind()
    op.drop_index("ix_mention_days_window", "mention_days")
    op.drop_table("mention_days")
    if connection.dialect.name == "sqlite":
        for name in ("trial_search_insert", "trial_search_delete", "trial_search_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE trial_search")
    else:
        op.drop_index("ix_trial_index_search", "trial_index")
