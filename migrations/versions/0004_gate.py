"""gate: entrances, admissions, check-ins

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:36:43.908410

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entrances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_entrances_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entrances')),
    sa.UniqueConstraint('festival_id', 'code', name=op.f('uq_entrances_festival_id_code'))
    )
    with op.batch_alter_table('entrances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entrances_festival_id'), ['festival_id'], unique=False)

    op.create_table('entrance_stands',
    sa.Column('entrance_id', sa.Integer(), nullable=False),
    sa.Column('stand_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['entrance_id'], ['entrances.id'], name=op.f('fk_entrance_stands_entrance_id_entrances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entrance_id', 'stand_code', name=op.f('pk_entrance_stands'))
    )
    op.create_table('admissions',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=3), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('first_entrance_id', sa.Integer(), nullable=True),
    sa.Column('first_device', sa.String(length=60), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('in', 'out')", name=op.f('ck_admissions_state')),
    sa.ForeignKeyConstraint(['first_entrance_id'], ['entrances.id'], name=op.f('fk_admissions_first_entrance_id_entrances')),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_admissions_session_id_festival_sessions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_admissions_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_admissions'))
    )
    with op.batch_alter_table('admissions', schema=None) as batch_op:
        batch_op.create_index('ix_admissions_session_updated', ['session_id', 'updated_at'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.String(length=36), nullable=True),
    sa.Column('entrance_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=60), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=5), nullable=False),
    sa.Column('method', sa.String(length=6), nullable=False),
    sa.Column('result', sa.String(length=15), nullable=False),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('device_result', sa.String(length=15), nullable=True),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.CheckConstraint("mode IN ('entry', 'exit')", name=op.f('ck_checkins_mode')),
    sa.CheckConstraint("result IN ('ok', 'already_used', 'wrong_session', 'wrong_entrance', 'void', 'revoked', 'invalid', 'not_yet', 'not_inside')", name=op.f('ck_checkins_result')),
    sa.ForeignKeyConstraint(['entrance_id'], ['entrances.id'], name=op.f('fk_checkins_entrance_id_entrances')),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_checkins_session_id_festival_sessions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_checkins_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('device', 'nonce', name=op.f('uq_checkins_device_nonce'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_session_recorded', ['session_id', 'recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_ticket_id'), ['ticket_id'], unique=False)

    # Scans are append-only, like the ledger and the audit log (0003 made refuse_change()).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER checkins_append_only BEFORE UPDATE OR DELETE ON checkins "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
    else:
        op.execute("CREATE TRIGGER checkins_append_only BEFORE UPDATE ON checkins "
                   "BEGIN SELECT RAISE(ABORT, 'checkins is append-only'); END")

    with op.batch_alter_table('festival_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gate_opens_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reentry_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('festival_sessions', schema=None) as batch_op:
        batch_op.drop_column('reentry_allowed')
        batch_op.drop_column('gate_opens_at')

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_ticket_id'))
        batch_op.drop_index('ix_checkins_session_recorded')

    op.execute("DROP TRIGGER IF EXISTS checkins_append_only" + (" ON checkins" if op.get_bind().dialect.name == "postgresql" else ""))
    op.drop_table('checkins')
    with op.batch_alter_table('admissions', schema=None) as batch_op:
        batch_op.drop_index('ix_admissions_session_updated')

    op.drop_table('admissions')
    op.drop_table('entrance_stands')
    with op.batch_alter_table('entrances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entrances_festival_id'))

    op.drop_table('entrances')
