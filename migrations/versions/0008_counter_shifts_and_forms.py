"""counter shifts and forms: a shift's opening float and the treasurer's receipt of its cash; tables
sold whole (a map row flag)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:25:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # batch_alter_table copies the table on SQLite and is a plain ALTER TABLE on PostgreSQL
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_float_satang', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cash_received_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cash_received_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_shifts_cash_received_by_id_users'), 'users', ['cash_received_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_shifts_opening_float_not_negative'), 'opening_float_satang >= 0')
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sold_whole', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_column('sold_whole')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shifts_opening_float_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('fk_shifts_cash_received_by_id_users'), type_='foreignkey')
        batch_op.drop_column('cash_received_by_id')
        batch_op.drop_column('cash_received_at')
        batch_op.drop_column('opening_float_satang')
