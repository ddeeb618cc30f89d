"""attention: trial summaries, publication duplicates, source summaries

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("trials") as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    with op.batch_alter_table("mentions") as batch_op:
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
    with op.batch_alter_table("source_checks") as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("source_checks") as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("mentions") as batch_op:
        batch_op.drop_column("duplicate_of")
    with op.batch_alter_table("trials") as batch_op:
        batch_op.drop_column("summary")
