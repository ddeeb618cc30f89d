"""PostgreSQL: what `q` searches in a narrow table of its own (trial_search: the NCT ID and
search text of each trial with attention) with the trigram index, kept in step with
trial_index by triggers, instead of a partial index of trial_index: a common word's
candidates are checked on a table a third of the size. SQLite is left as it is (its
trial_search is the FTS5 table of migration 0010).

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The same rows whoever writes trial_index: a trial with attention has its row, others none.
STEP = """
CREATE FUNCTION trial_search_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM trial_search WHERE nct_id = OLD.nct_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.attention IS TRUE THEN
        INSERT INTO trial_search (nct_id, search) VALUES (NEW.nct_id, NEW.search);
    END IF;
    RETURN NULL;
END
$$
"""
UPGRADE = [
    "CREATE TABLE trial_search (nct_id varchar(11) PRIMARY KEY, search text NOT NULL)",
    "INSERT INTO trial_search (nct_id, search) "
    "SELECT nct_id, search FROM trial_index WHERE attention IS TRUE",
    "CREATE INDEX ix_trial_search_search ON trial_search USING gin (search gin_trgm_ops)",
    "DROP INDEX ix_trial_index_search",
    STEP,
    "CREATE TRIGGER trial_search_insert AFTER INSERT ON trial_index FOR EACH ROW "
    "EXECUTE FUNCTION trial_search_step()",
    "CREATE TRIGGER trial_search_update AFTER UPDATE OF search, attention ON trial_index "
    "FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search "
    "OR OLD.attention IS DISTINCT FROM NEW.attention) EXECUTE FUNCTION trial_search_step()",
    "CREATE TRIGGER trial_search_delete AFTER DELETE ON trial_index FOR EACH ROW "
    "EXECUTE FUNCTION trial_search_step()",
    "ANALYZE trial_search",
]
DOWNGRADE = [
    "DROP TRIGGER trial_search_insert ON trial_index",
    "DROP TRIGGER trial_search_update ON trial_index",
    "DROP TRIGGER trial_search_delete ON trial_index",
    "DROP FUNCTION trial_search_step()",
    "DROP TABLE trial_search",
    "CREATE INDEX ix_trial_index_search ON trial_index USING gin (search gin_trgm_ops) "
    "WHERE attention IS TRUE",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
