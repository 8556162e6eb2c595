"""revenue: split rules, ledger, expenses, closed periods

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 18:44:55.384312

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


APPEND_ONLY = ("ledger_entries", "audit_entries")


def _append_only():
    """The database itself refuses to change the ledger and the audit log (PostgreSQL: no UPDATE or
    DELETE; SQLite: no UPDATE, since the test suite empties tables between tests with DELETE)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION refuse_change() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def upgrade():

    op.create_table('closed_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_closed_periods_ends_after_start')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_closed_periods_closed_by_id_users')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_closed_periods_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_periods'))
    )
    with op.batch_alter_table('closed_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_periods_festival_id'), ['festival_id'], unique=False)

    op.create_table('expenses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('amount_satang', sa.Integer(), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('receipt_path', sa.String(length=300), nullable=True),
    sa.Column('receipt_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_satang > 0', name=op.f('ck_expenses_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_expenses_created_by_id_users')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_expenses_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenses'))
    )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expenses_festival_id'), ['festival_id'], unique=False)

    op.create_table('split_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('category_code', sa.String(length=40), nullable=True),
    sa.Column('basis_points', sa.Integer(), nullable=True),
    sa.Column('fixed_satang', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind <> 'operator_fee' OR organization_id IS NOT NULL", name=op.f('ck_split_rules_operator_named')),
    sa.CheckConstraint("kind IN ('commission', 'operator_fee')", name=op.f('ck_split_rules_kind')),
    sa.CheckConstraint('(basis_points IS NULL) <> (fixed_satang IS NULL)', name=op.f('ck_split_rules_one_amount')),
    sa.CheckConstraint('basis_points IS NULL OR (basis_points >= 0 AND basis_points <= 10000)', name=op.f('ck_split_rules_bps_range')),
    sa.CheckConstraint('fixed_satang IS NULL OR fixed_satang >= 0', name=op.f('ck_split_rules_fixed_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_split_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_split_rules_festival_id_festivals')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_split_rules_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_split_rules'))
    )
    with op.batch_alter_table('split_rules', schema=None) as batch_op:
        batch_op.create_index('ix_split_rules_festival_version', ['festival_id', 'version'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('amount_satang', sa.Integer(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('share', 'custody')", name=op.f('ck_ledger_entries_kind')),
    sa.CheckConstraint("source IN ('sale', 'refund')", name=op.f('ck_ledger_entries_source')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_ledger_entries_festival_id_festivals')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_ledger_entries_organization_id_organizations')),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_ledger_entries_session_id_festival_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_ledger_festival_at', ['festival_id', 'at'], unique=False)
    _append_only()


def downgrade():
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only" +
                   (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS refuse_change()")

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_festival_at')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_organization_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_order_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('split_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_split_rules_festival_version')

    op.drop_table('split_rules')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expenses_festival_id'))

    op.drop_table('expenses')
    with op.batch_alter_table('closed_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_periods_festival_id'))

    op.drop_table('closed_periods')

