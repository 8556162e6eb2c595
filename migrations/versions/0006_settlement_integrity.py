"""settlement integrity: no hole in the ledger, rule versions frozen once used, expenses at a moment

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:25:00

- The ledger, the audit log and the gate's check-ins refuse DELETE on SQLite too (0003/0004 left it
  out there because the tests emptied tables with DELETE; each test now starts from a fresh database),
  and TRUNCATE on PostgreSQL (a statement-level trigger: row triggers do not see a TRUNCATE).
- ``split_rule_sets``: one row per (festival, version), unique, so two treasurers saving at the same
  moment cannot both make version N. Filled from the versions already in ``split_rules``.
- A rule version that a ledger entry names is frozen: its rules (and its ``split_rule_sets`` row)
  cannot be updated or deleted, and no rule can be added to it.
- ``expenses.spent_at``: the moment an expense counts in statements (statements over adjacent periods
  then add up exactly); filled with 00:00 in Ubon of ``spent_on`` for expenses entered before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_entries", "audit_entries", "checkins")
#: a rule version is in use when a ledger entry names it
IN_USE = ("EXISTS (SELECT 1 FROM ledger_entries WHERE ledger_entries.festival_id = {row}.festival_id "
          "AND ledger_entries.rule_version = {row}.version)")
FROZEN = ("split_rules", "split_rule_sets")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table('split_rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_split_rule_sets_created_by_id_users')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_split_rule_sets_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_split_rule_sets')),
    sa.UniqueConstraint('festival_id', 'version', name=op.f('uq_split_rule_sets_festival_id_version'))
    )
    op.execute("INSERT INTO split_rule_sets (festival_id, version, created_at, created_by_id) "
               "SELECT festival_id, version, MIN(created_at), MIN(created_by_id) FROM split_rules "
               "GROUP BY festival_id, version")

    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spent_at', sa.DateTime(), nullable=True))
    if _pg():
        op.execute("UPDATE expenses SET spent_at = spent_on::timestamp - interval '7 hours'")
    else:  # the format SQLAlchemy writes, so text comparison orders it with every other time
        op.execute("UPDATE expenses SET spent_at = strftime('%Y-%m-%d %H:%M:%S.000000', spent_on, '-7 hours')")
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.alter_column('spent_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index('ix_expenses_festival_spent_at', ['festival_id', 'spent_at'], unique=False)

    if _pg():
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()")
        op.execute(f"""CREATE FUNCTION refuse_rule_change() RETURNS trigger AS $$ BEGIN
            IF TG_OP <> 'INSERT' AND {IN_USE.format(row='OLD')} THEN
                RAISE EXCEPTION '% version % is in use by the ledger and cannot change', TG_TABLE_NAME, OLD.version;
            END IF;
            IF TG_OP <> 'DELETE' AND {IN_USE.format(row='NEW')} THEN
                RAISE EXCEPTION '% version % is in use by the ledger and cannot change', TG_TABLE_NAME, NEW.version;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
        for table in FROZEN:
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_rule_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        for table in FROZEN:
            message = f"{table}: this version is in use by the ledger and cannot change"
            op.execute(f"CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table} "
                       f"WHEN {IN_USE.format(row='NEW')} BEGIN SELECT RAISE(ABORT, '{message}'); END")
            op.execute(f"CREATE TRIGGER {table}_frozen_update BEFORE UPDATE ON {table} "
                       f"WHEN {IN_USE.format(row='OLD')} OR {IN_USE.format(row='NEW')} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
            op.execute(f"CREATE TRIGGER {table}_frozen_delete BEFORE DELETE ON {table} "
                       f"WHEN {IN_USE.format(row='OLD')} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade():
    if _pg():
        for table in FROZEN:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_rule_change()")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        for table in FROZEN:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_{when}")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")

    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_festival_spent_at')
        batch_op.drop_column('spent_at')
    op.drop_table('split_rule_sets')
