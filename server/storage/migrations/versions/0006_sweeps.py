"""sweeps: where each source's registry-wide sweep stands (per wiki for Wikipedia)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sweeps",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(32), primary_key=True, server_default=""),
        sa.Column("watermark", sa.DateTime(timezone=True)),
        sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(8), nullable=False, server_default="idle"),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("run", sa.JSON()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("succeeded_at", sa.DateTime(timezone=True)),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text()),
        sa.Column("stats", sa.JSON()),
    )


def downgrade():
    op.drop_table("sweeps")
