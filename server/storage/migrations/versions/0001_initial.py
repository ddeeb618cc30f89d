"""trials, aliases, mentions and source checks

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 21:10:41.767723
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trials',
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('harvested_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('nct_id')
    )
    op.create_table('mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('author', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snippet', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['nct_id'], ['trials.nct_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nct_id', 'source', 'external_id', name='uq_mentions_source_item')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_trial_published', ['nct_id', 'published_at'], unique=False)

    op.create_table('source_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['nct_id'], ['trials.nct_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('source_checks', schema=None) as batch_op:
        batch_op.create_index('ix_source_checks_trial_source', ['nct_id', 'source', 'checked_at'], unique=False)

    op.create_table('trial_aliases',
    sa.Column('alias', sa.String(length=11), nullable=False),
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.ForeignKeyConstraint(['nct_id'], ['trials.nct_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alias')
    )
    with op.batch_alter_table('trial_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_aliases_nct_id'), ['nct_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trial_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_aliases_nct_id'))

    op.drop_table('trial_aliases')
    with op.batch_alter_table('source_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_source_checks_trial_source')

    op.drop_table('source_checks')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_trial_published')

    op.drop_table('mentions')
    op.drop_table('trials')
