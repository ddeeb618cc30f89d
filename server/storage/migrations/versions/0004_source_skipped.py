"""source skipped: how many items of its answers a source could not read

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("source_checks") as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade():
    with op.batch_alter_table("source_checks") as batch_op:
        batch_op.drop_column("skipped")
