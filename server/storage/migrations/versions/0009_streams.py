"""stream_cursors: how far each stream of posts has been read, and by which process

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stream_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("cursor", sa.BigInteger()),
        sa.Column("owner", sa.String(128)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )


def downgrade():
    op.drop_table("stream_cursors")
