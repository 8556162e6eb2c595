"""counter sales

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 18:38:03.929167

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complimentary_quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.CheckConstraint('seats >= 0', name=op.f('ck_complimentary_quotas_seats_not_negative')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_complimentary_quotas_festival_id_festivals')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_complimentary_quotas_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complimentary_quotas')),
    sa.UniqueConstraint('festival_id', 'organization_id', name=op.f('uq_complimentary_quotas_festival_id_organization_id'))
    )
    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('expected_cash_satang', sa.Integer(), nullable=True),
    sa.Column('counted_cash_satang', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_shifts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shifts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('uq_shifts_open_per_user', ['user_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('orders',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=15), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('buyer_name', sa.String(length=200), nullable=False),
    sa.Column('buyer_phone', sa.String(length=40), nullable=False),
    sa.Column('buyer_email', sa.String(length=200), nullable=False),
    sa.Column('payment_method', sa.String(length=15), nullable=False),
    sa.Column('total_satang', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('complimentary_reason', sa.String(length=300), nullable=True),
    sa.Column('access_token', sa.String(length=43), nullable=False),
    sa.CheckConstraint("channel IN ('counter', 'online', 'complimentary')", name=op.f('ck_orders_channel')),
    sa.CheckConstraint("status IN ('paid', 'void')", name=op.f('ck_orders_status')),
    sa.CheckConstraint('total_satang >= 0', name=op.f('ck_orders_total_not_negative')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_orders_organization_id_organizations')),
    sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_orders_seller_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_orders_session_id_festival_sessions')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_orders_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('access_token', name=op.f('uq_orders_access_token')),
    sa.UniqueConstraint('seller_id', 'idempotency_key', name=op.f('uq_orders_seller_id_idempotency_key'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shift_id'), ['shift_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('method', sa.String(length=15), nullable=False),
    sa.Column('amount_satang', sa.Integer(), nullable=False),
    sa.Column('custodian_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('received_satang', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'transfer', 'promptpay', 'card', 'complimentary')", name=op.f('ck_payments_method')),
    sa.CheckConstraint('amount_satang >= 0', name=op.f('ck_payments_amount_not_negative')),
    sa.ForeignKeyConstraint(['custodian_id'], ['organizations.id'], name=op.f('fk_payments_custodian_id_organizations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_order_id'), ['order_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('method', sa.String(length=15), nullable=False),
    sa.Column('amount_satang', sa.Integer(), nullable=False),
    sa.Column('custodian_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_satang >= 0', name=op.f('ck_refunds_amount_not_negative')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_refunds_by_id_users')),
    sa.ForeignKeyConstraint(['custodian_id'], ['organizations.id'], name=op.f('fk_refunds_custodian_id_organizations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refunds_order_id_orders')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_refunds_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('order_id', name=op.f('uq_refunds_order_id'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('price_satang', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('issue_no', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('valid', 'void')", name=op.f('ck_tickets_status')),
    sa.CheckConstraint('price_satang >= 0', name=op.f('ck_tickets_price_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['price_categories.id'], name=op.f('fk_tickets_category_id_price_categories')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tickets_order_id_orders')),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_tickets_seat_id_seats')),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_tickets_session_id_festival_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_order_id'), ['order_id'], unique=False)
        batch_op.create_index('uq_tickets_live_seat', ['session_id', 'seat_id'], unique=True, sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promptpay_id', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('transfer_custody', sa.String(length=10), nullable=False, server_default='central'))
        batch_op.create_check_constraint(op.f('ck_organizations_transfer_custody'), "transfer_custody IN ('own', 'central')")



def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organizations_transfer_custody'), type_='check')
        batch_op.drop_column('transfer_custody')
        batch_op.drop_column('promptpay_id')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('uq_tickets_live_seat', sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))
        batch_op.drop_index(batch_op.f('ix_tickets_order_id'))

    op.drop_table('tickets')
    op.drop_table('refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_order_id'))

    op.drop_table('payments')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_shift_id'))
        batch_op.drop_index(batch_op.f('ix_orders_session_id'))
        batch_op.drop_index(batch_op.f('ix_orders_organization_id'))

    op.drop_table('orders')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('uq_shifts_open_per_user', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.drop_table('shifts')
    op.drop_table('complimentary_quotas')
