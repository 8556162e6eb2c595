"""online shop: carts holding seats, Stripe checkouts and webhook events, the online channel's allocation

- ``shop_carts``, ``shop_cart_seats``, ``stripe_events``;
- ``seat_inventory.online`` (allocated to the shop) and ``seat_inventory.cart_id`` (held by a cart); a
  hold names a seller or a cart;
- ``festival_sessions.pool_online`` (the shop also sells the shared pool);
- ledger entries of source ``fee`` (a payment processor's fee, moved out of the central share).

SQLite cannot change a CHECK constraint in place: the two tables are copied (``recreate="always"``)
and the triggers on them (or naming them), which a copy loses or breaks, are created again from their
saved definitions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

HOLD_NEW = "state <> 'held' OR (hold_expires_at IS NOT NULL AND (held_by_id IS NOT NULL OR cart_id IS NOT NULL))"
HOLD_OLD = "state <> 'held' OR (hold_expires_at IS NOT NULL AND held_by_id IS NOT NULL)"
SOURCE_NEW = "source IN ('sale', 'refund', 'fee')"
SOURCE_OLD = "source IN ('sale', 'refund')"


def _triggers(table):
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [r[0] for r in op.get_bind().execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = :t OR sql LIKE :like)"),
        {"t": table, "like": f"%{table}%"})]


def _swap_check(table, name, old, new, extra=None):
    """Replace a named CHECK constraint (and run ``extra(batch_op)`` in the same copy on SQLite)."""
    saved = _triggers(table)
    for sql in saved:
        op.execute("DROP TRIGGER IF EXISTS " + sql.split()[2])
    with op.batch_alter_table(table, recreate="always" if saved else "auto") as batch_op:
        if extra:
            extra(batch_op)
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), new)
    for sql in saved:
        op.execute(sql)


def upgrade():
    op.create_table(
        'shop_carts',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('browser_key', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('buyer_phone', sa.String(length=40), nullable=False),
        sa.Column('buyer_email', sa.String(length=200), nullable=False),
        sa.Column('total_satang', sa.Integer(), nullable=False),
        sa.Column('checkout_session_id', sa.String(length=100), nullable=True),
        sa.Column('checkout_url', sa.String(length=1000), nullable=True),
        sa.Column('payment_intent_id', sa.String(length=100), nullable=True),
        sa.Column('order_id', sa.String(length=36), nullable=True),
        sa.Column('refund_id', sa.String(length=100), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'checkout', 'completed', 'expired', 'released', 'failed', 'refunded')",
                           name=op.f('ck_shop_carts_status')),
        sa.CheckConstraint('total_satang >= 0', name=op.f('ck_shop_carts_total_not_negative')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shop_carts_order_id_orders')),
        sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'],
                                name=op.f('fk_shop_carts_session_id_festival_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_carts')),
        sa.UniqueConstraint('checkout_session_id', name=op.f('uq_shop_carts_checkout_session_id')),
        sa.UniqueConstraint('order_id', name=op.f('uq_shop_carts_order_id')),
    )
    op.create_index('ix_shop_carts_browser_status', 'shop_carts', ['browser_key', 'status'])
    op.create_index(op.f('ix_shop_carts_session_id'), 'shop_carts', ['session_id'])
    op.create_index(op.f('ix_shop_carts_payment_intent_id'), 'shop_carts', ['payment_intent_id'])
    op.create_table(
        'shop_cart_seats',
        sa.Column('cart_id', sa.String(length=36), nullable=False),
        sa.Column('seat_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('price_satang', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cart_id'], ['shop_carts.id'], name=op.f('fk_shop_cart_seats_cart_id_shop_carts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['category_id'], ['price_categories.id'],
                                name=op.f('fk_shop_cart_seats_category_id_price_categories')),
        sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_shop_cart_seats_seat_id_seats')),
        sa.PrimaryKeyConstraint('cart_id', 'seat_id', name=op.f('pk_shop_cart_seats')),
    )
    op.create_table(
        'stripe_events',
        sa.Column('id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=80), nullable=False),
        sa.Column('checkout_session_id', sa.String(length=100), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    )
    op.create_index(op.f('ix_stripe_events_checkout_session_id'), 'stripe_events', ['checkout_session_id'])
    with op.batch_alter_table('festival_sessions') as batch_op:
        batch_op.add_column(sa.Column('pool_online', sa.Boolean(), nullable=False, server_default=sa.false()))

    def inventory_columns(batch_op):
        batch_op.add_column(sa.Column('online', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('cart_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(op.f('fk_seat_inventory_cart_id_shop_carts'), 'shop_carts', ['cart_id'], ['id'])
        batch_op.create_index(op.f('ix_seat_inventory_cart_id'), ['cart_id'])
        batch_op.create_check_constraint(op.f('ck_seat_inventory_online_not_organization'),
                                         'NOT online OR organization_id IS NULL')
    _swap_check('seat_inventory', 'hold_has_expiry', HOLD_OLD, HOLD_NEW, inventory_columns)
    _swap_check('ledger_entries', 'source', SOURCE_OLD, SOURCE_NEW)


def downgrade():
    _swap_check('ledger_entries', 'source', SOURCE_NEW, SOURCE_OLD)

    def drop_columns(batch_op):
        batch_op.drop_constraint(op.f('ck_seat_inventory_online_not_organization'), type_='check')
        batch_op.drop_index(op.f('ix_seat_inventory_cart_id'))
        batch_op.drop_constraint(op.f('fk_seat_inventory_cart_id_shop_carts'), type_='foreignkey')
        batch_op.drop_column('cart_id')
        batch_op.drop_column('online')
    _swap_check('seat_inventory', 'hold_has_expiry', HOLD_NEW, HOLD_OLD, drop_columns)
    with op.batch_alter_table('festival_sessions') as batch_op:
        batch_op.drop_column('pool_online')
    op.drop_index(op.f('ix_stripe_events_checkout_session_id'), table_name='stripe_events')
    op.drop_table('stripe_events')
    op.drop_table('shop_cart_seats')
    op.drop_index(op.f('ix_shop_carts_payment_intent_id'), table_name='shop_carts')
    op.drop_index(op.f('ix_shop_carts_session_id'), table_name='shop_carts')
    op.drop_index('ix_shop_carts_browser_status', table_name='shop_carts')
    op.drop_table('shop_carts')
