"""collections: named lists of trials, each with the hash of its edit token

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collections",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_collections_viewed_at", "collections", ["viewed_at"])
    op.create_table(
        "collection_trials",
        sa.Column("collection_id", sa.String(32),
                  sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("nct_id", sa.String(11), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_collection_trials_nct_id", "collection_trials", ["nct_id"])


def downgrade():
    op.drop_index("ix_collection_trials_nct_id", "collection_trials")
    op.drop_table("collection_trials")
    op.drop_index("ix_collections_viewed_at", "collections")
    op.drop_table("collections")
