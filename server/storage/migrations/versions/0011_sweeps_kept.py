"""sweeps.kept: what a source keeps from one sweep run to the next (a feed's validators)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("kept", sa.JSON()))


def downgrade():
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("kept")
