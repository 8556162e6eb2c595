"""orders desk: find any order (search keys and indexes), refunds of single tickets, e-mails sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _phone_key(phone):
    # the same rule as ticketing.sales.models.phone_key (a migration does not import the app)
    digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
    if digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits[::-1][:20]


def upgrade():
    op.create_table('order_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('to_address', sa.String(length=200), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_order_emails_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_emails_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_emails'))
    )
    with op.batch_alter_table('order_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_emails_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_phone_key', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('buyer_email_key', sa.String(length=200), nullable=False, server_default=''))
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=12),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'),
                                         sa.text("status IN ('paid', 'partly_void', 'void')"))
        batch_op.create_index(batch_op.f('ix_orders_buyer_phone_key'), ['buyer_phone_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_buyer_email_key'), ['buyer_email_key'], unique=False)
        batch_op.create_index('ix_orders_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_organization_created', ['organization_id', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_session_created', ['session_id', 'created_at'], unique=False)

    orders = sa.table('orders', sa.column('id', sa.String), sa.column('buyer_phone', sa.String),
                      sa.column('buyer_phone_key', sa.String), sa.column('buyer_email', sa.String),
                      sa.column('buyer_email_key', sa.String))
    conn = op.get_bind()
    conn.execute(orders.update().values(buyer_email_key=sa.func.lower(sa.func.trim(orders.c.buyer_email))))
    for order_id, phone in conn.execute(sa.select(orders.c.id, orders.c.buyer_phone)
                                        .where(orders.c.buyer_phone != '')).all():
        conn.execute(orders.update().where(orders.c.id == order_id).values(buyer_phone_key=_phone_key(phone)))

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('uq_refunds_order_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_refunds_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_refund_id_refunds'), 'refunds', ['refund_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_tickets_refund_id'), ['refund_id'], unique=False)
        batch_op.create_index('ix_tickets_seat_id', ['seat_id'], unique=False)

    # Tickets voided before this revision belong to their order's (only) refund.
    refunds = sa.table('refunds', sa.column('id', sa.Integer), sa.column('order_id', sa.String))
    tickets = sa.table('tickets', sa.column('order_id', sa.String), sa.column('status', sa.String),
                       sa.column('refund_id', sa.Integer))
    conn.execute(tickets.update().where(tickets.c.status == 'void').values(
        refund_id=sa.select(refunds.c.id).where(refunds.c.order_id == tickets.c.order_id)
        .order_by(refunds.c.id).limit(1).scalar_subquery()))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_seat_id')
        batch_op.drop_index(batch_op.f('ix_tickets_refund_id'))
        batch_op.drop_constraint(batch_op.f('fk_tickets_refund_id_refunds'), type_='foreignkey')
        batch_op.drop_column('refund_id')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_order_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_refunds_order_id'), ['order_id'])
        batch_op.drop_column('reason')
        batch_op.drop_column('reference')

    op.execute("UPDATE orders SET status = 'paid' WHERE status = 'partly_void'")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_session_created')
        batch_op.drop_index('ix_orders_organization_created')
        batch_op.drop_index('ix_orders_created_at_id')
        batch_op.drop_index(batch_op.f('ix_orders_buyer_email_key'))
        batch_op.drop_index(batch_op.f('ix_orders_buyer_phone_key'))
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), sa.text("status IN ('paid', 'void')"))
        batch_op.alter_column('status', existing_type=sa.String(length=12), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.drop_column('buyer_email_key')
        batch_op.drop_column('buyer_phone_key')

    with op.batch_alter_table('order_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_emails_order_id'))
    op.drop_table('order_emails')
