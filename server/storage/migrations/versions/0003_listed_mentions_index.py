"""listed mentions index: counting a trial's listed mentions reads the index alone

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_mentions_trial_listed", "mentions", ["nct_id", "duplicate_of"])


def downgrade():
    op.drop_index("ix_mentions_trial_listed", table_name="mentions")
