"""explorer speed: a trigram index of what `q` searches (SQLite FTS5 kept in step by triggers,
PostgreSQL pg_trgm)

Revision ID: 0010
Revises: 0009
"""
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


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRESQL_SEARCH:
        op.execute(statement)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for name in ("trial_search_insert", "trial_search_delete", "trial_search_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE trial_search")
    else:
        op.drop_index("ix_trial_index_search", "trial_index")
