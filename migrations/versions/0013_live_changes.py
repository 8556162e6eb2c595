"""speed: seat changes read by cursor

Every change of a seat's row (state, allocation to an organization or the online shop, holder, hold
expiry) stamps ``seat_inventory.change_seq`` in the database itself, by a trigger, so that no write path
(the ORM, a Core update, the sale path's one-statement claim) can forget it. The live map asks for the
rows of its session stamped after its cursor through the index ``(session_id, change_seq)``, instead of
reading the whole session (``ticketing/inventory/changes.py``).

- PostgreSQL: the stamp is the writing transaction's id (``pg_current_xact_id()``); a cursor is a
  snapshot (the first id not yet started and the ids still running), so a sale that began before a poll
  and commits after it is answered by the next poll.
- SQLite: one writer at a time, so the stamp is the session's highest stamp plus one, taken inside the
  writing transaction; commit order and stamp order agree.

A later migration that rebuilds ``seat_inventory`` on SQLite (``batch_alter_table`` copies the table)
must create the two triggers again: ``tests/test_map_network.py`` fails if they are missing.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 14:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None

#: the columns whose change the live map must see
WATCHED = "state, organization_id, online, held_by_id, hold_expires_at"

PG_FUNCTION = """CREATE FUNCTION seat_inventory_stamp_change() RETURNS trigger AS $$
BEGIN
    NEW.change_seq := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$ LANGUAGE plpgsql"""

SQLITE_STAMP = ("UPDATE seat_inventory SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM seat_inventory "
                "WHERE session_id = NEW.session_id) WHERE id = NEW.id")


def upgrade():
    op.add_column('seat_inventory', sa.Column('change_seq', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_index('ix_seat_inventory_session_change', 'seat_inventory', ['session_id', 'change_seq'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER seat_inventory_changed BEFORE INSERT OR UPDATE OF " + WATCHED +
                   " ON seat_inventory FOR EACH ROW EXECUTE FUNCTION seat_inventory_stamp_change()")
    else:
        op.execute("CREATE TRIGGER seat_inventory_inserted AFTER INSERT ON seat_inventory "
                   f"BEGIN {SQLITE_STAMP}; END")
        op.execute(f"CREATE TRIGGER seat_inventory_changed AFTER UPDATE OF {WATCHED} ON seat_inventory "
                   f"BEGIN {SQLITE_STAMP}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS seat_inventory_changed ON seat_inventory")
        op.execute("DROP FUNCTION IF EXISTS seat_inventory_stamp_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS seat_inventory_changed")
        op.execute("DROP TRIGGER IF EXISTS seat_inventory_inserted")
    op.drop_index('ix_seat_inventory_session_change', table_name='seat_inventory')
    op.drop_column('seat_inventory', 'change_seq')
