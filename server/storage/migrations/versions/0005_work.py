"""work: the refresh of each trial ID, queued, running or ended, shared by every process

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "work",
        sa.Column("nct_id", sa.String(11), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("force", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_status", sa.Integer()),
        sa.Column("error_retry_after", sa.Integer()),
        sa.Column("viewed_at", sa.DateTime(timezone=True)),
        sa.Column("views", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_work_state_lease", "work", ["state", "lease_until"])


def downgrade():
    op.drop_index("ix_work_state_lease", "work")
    op.drop_table("work")
