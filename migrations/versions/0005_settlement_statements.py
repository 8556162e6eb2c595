"""settlement statements: the kind of each share in the ledger, with the rate that produced it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:25:00

Ledger entries get ``share_kind`` (seller_commission | operator_fee | central_share | processor_fee;
None for custody), ``basis_points`` and ``fixed_satang`` (the rule's rate). Entries written before this
revision are backfilled: a share of the central fund is its central share, a share of the order's
selling organization its commission, any other organization's share an operator fee. (An organization
that both sold and operated under one rule version had one merged entry; it is counted as commission.)
Their rates stay empty: one old entry may add up several rates. The table is append-only, so the
backfill lifts the trigger that refuses UPDATE for the duration of this migration only.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KINDS = "('seller_commission', 'operator_fee', 'central_share', 'processor_fee')"
CHECK = f"(kind = 'custody' AND share_kind IS NULL) OR (kind = 'share' AND share_kind IS NOT NULL AND share_kind IN {KINDS})"
BACKFILL = """
UPDATE ledger_entries SET share_kind = CASE
    WHEN organization_id IN (SELECT id FROM organizations WHERE kind = 'central') THEN 'central_share'
    WHEN organization_id = (SELECT organization_id FROM orders WHERE orders.id = ledger_entries.order_id)
        THEN 'seller_commission'
    ELSE 'operator_fee' END
WHERE kind = 'share'
"""
SQLITE_TRIGGER = ("CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE ON ledger_entries "
                  "BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('ledger_entries', sa.Column('share_kind', sa.String(length=20), nullable=True))
        op.add_column('ledger_entries', sa.Column('basis_points', sa.Integer(), nullable=True))
        op.add_column('ledger_entries', sa.Column('fixed_satang', sa.Integer(), nullable=True))
        op.execute("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
        op.execute(BACKFILL)
        op.execute("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only")
        op.create_check_constraint('ck_ledger_entries_share_kind', 'ledger_entries', CHECK)
    else:
        # SQLite adds a column with its CHECK in place (no table copy, so the triggers stay).
        op.execute("ALTER TABLE ledger_entries ADD COLUMN share_kind VARCHAR(20) "
                   f"CONSTRAINT ck_ledger_entries_share_kind CHECK (share_kind IS NULL OR share_kind IN {KINDS})")
        op.execute("ALTER TABLE ledger_entries ADD COLUMN basis_points INTEGER")
        op.execute("ALTER TABLE ledger_entries ADD COLUMN fixed_satang INTEGER")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only")
        op.execute(BACKFILL)
        op.execute(SQLITE_TRIGGER)
        # the whole rule (custody has no kind, a share has one) is a table constraint: the same in a
        # trigger, since SQLite cannot add a table CHECK without copying the table
        op.execute("CREATE TRIGGER ledger_entries_share_kind BEFORE INSERT ON ledger_entries "
                   f"WHEN NOT COALESCE({CHECK.replace('kind', 'NEW.kind').replace('share_NEW.kind', 'NEW.share_kind')}, 0) "
                   "BEGIN SELECT RAISE(ABORT, 'ledger_entries: a share has a kind, custody has none'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('ck_ledger_entries_share_kind', 'ledger_entries', type_='check')
        op.drop_column('ledger_entries', 'fixed_satang')
        op.drop_column('ledger_entries', 'basis_points')
        op.drop_column('ledger_entries', 'share_kind')
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_share_kind")
        # SQLite drops a column only if no constraint names it: copy the table without the three
        with op.batch_alter_table('ledger_entries', schema=None, recreate="always") as batch_op:
            batch_op.drop_column('fixed_satang')
            batch_op.drop_column('basis_points')
            batch_op.drop_column('share_kind')
        op.execute(SQLITE_TRIGGER)
