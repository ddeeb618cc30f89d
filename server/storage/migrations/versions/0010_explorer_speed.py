"""explorer speed: a trigram index of what `q` searches (SQLite FTS5 kept in step by triggers,
PostgreSQL pg_trgm); mention_days, each trial's listed mentions by UTC day, kind and source
(with the trial's attention), filled from the stored mentions; trial_facets repeat the trial's
status; each order's index holds the whole order (NCT ID last)

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
# every write of trial_index, whoever makes it. Its text is the search text with U+017F
# (which FTS5 folds to "s") and U+E000 written U+E001, then, for a trial with attention, a
# line of three U+E000: the phrase of those finds the trials with attention (see
# attention.explore).
_NUMBER = "CAST(substr({row}.nct_id, 4) AS INTEGER)"
_TEXT = ("replace(replace({row}.search, char(57344), char(57345)), char(383), char(57345)) "
         "|| CASE WHEN {row}.attention THEN char(10, 57344, 57344, 57344) ELSE '' END")
_ADD = "INSERT INTO trial_search (rowid, search) VALUES ({number}, {text});"
_DROP = ("INSERT INTO trial_search (trial_search, rowid, search) "
         "VALUES ('delete', {number}, {text});")


def _of(statement, row):
    return statement.format(number=_NUMBER.format(row=row), text=_TEXT.format(row=row))


SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE trial_search USING fts5(search, content='', tokenize='trigram')",
    f"CREATE TRIGGER trial_search_insert AFTER INSERT ON trial_index BEGIN "
    f"{_of(_ADD, 'new')} END",
    f"CREATE TRIGGER trial_search_delete AFTER DELETE ON trial_index BEGIN "
    f"{_of(_DROP, 'old')} END",
    f"CREATE TRIGGER trial_search_update AFTER UPDATE OF search, attention ON trial_index "
    f"BEGIN {_of(_DROP, 'old')} {_of(_ADD, 'new')} END",
    f"INSERT INTO trial_search (rowid, search) SELECT {_NUMBER.format(row='trial_index')}, "
    f"{_TEXT.format(row='trial_index')} FROM trial_index",
]
POSTGRESQL_SEARCH = [
    # A trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Only the trials with attention: the Explorer lists no others.
    "CREATE INDEX ix_trial_index_search ON trial_index USING gin (search gin_trgm_ops) "
    "WHERE attention IS TRUE",
]

# The UTC day of a mention's date, in each database's words.
DAYS_FROM_MENTIONS = {
    "sqlite": "date(published_at)",
    "postgresql": "(published_at AT TIME ZONE 'UTC')::date",
}


# The orders of the Explorer, each an index in the order asked, ties by NCT ID included: a
# page, however deep, is read from the index alone. SQLite sorts NULLs last going down.
ORDERS = {
    "ix_trial_index_score": "attention, score DESC, nct_id",
    "ix_trial_index_latest": "attention, latest_at DESC{nulls}, score DESC, nct_id",
    "ix_trial_index_trend": "attention, trend DESC, score DESC, nct_id",
}
ORDERS_BEFORE = {
    "ix_trial_index_score": "attention, score",
    "ix_trial_index_latest": "attention, latest_at",
    "ix_trial_index_trend": "attention, trend, score",
}


def _orders(orders, dialect):
    nulls = " NULLS LAST" if dialect == "postgresql" else ""
    for name, columns in orders.items():
        op.drop_index(name, "trial_index")
        op.execute(f"CREATE INDEX {name} ON trial_index ({columns.format(nulls=nulls)})")


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRESQL_SEARCH:
        op.execute(statement)
    _orders(ORDERS, dialect)
    _days(dialect)
    op.add_column("trial_facets", sa.Column("status", sa.String(40)))
    op.execute("UPDATE trial_facets SET status = (SELECT status FROM trial_index "
               "WHERE trial_index.nct_id = trial_facets.nct_id)")
    op.create_index("ix_trial_facets_status", "trial_facets",
                    ["facet", "value", "attention", "status"])


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
        sa.Column("attention", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    day = DAYS_FROM_MENTIONS[dialect]
    op.execute(
        f"INSERT INTO mention_days (nct_id, day, kind, source, mentions, attention) "
        f"SELECT mentions.nct_id, {day}, kind, source, count(*), "
        f"coalesce(trial_index.attention, false) FROM mentions "
        f"LEFT JOIN trial_index ON trial_index.nct_id = mentions.nct_id "
        f"WHERE duplicate_of IS NULL AND published_at IS NOT NULL "
        f"GROUP BY mentions.nct_id, {day}, kind, source, trial_index.attention")
    op.create_index("ix_mention_days_window", "mention_days",
                    ["day", "nct_id", "kind", "source", "attention"])


def downgrade():
    connection = op.get_bind()
    _orders(ORDERS_BEFORE, connection.dialect.name)
    op.drop_index("ix_trial_facets_status", "trial_facets")
    with op.batch_alter_table("trial_facets") as table:
        table.drop_column("status")
    op.drop_index("ix_mention_days_window", "mention_days")
    op.drop_table("mention_days")
    if connection.dialect.name == "sqlite":
        for name in ("trial_search_insert", "trial_search_delete", "trial_search_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE trial_search")
    else:
        op.drop_index("ix_trial_index_search", "trial_index")
