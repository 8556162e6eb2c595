"""tamper-evident audit log: each entry carries the hash of the one before

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:20:00

- ``audit_entries.organization_id``: the organization an entry concerns (the audit page filters by it).
- ``audit_chain``: one link per entry, ``seq`` 1, 2, 3 … in commit order, each with the hash of the link
  before and its own (``ticketing/audit/chain.py`` says what is hashed and why the database writes the
  links at commit). Entries written before this migration are chained here, in id order.
- The links are append-only like the entries (no UPDATE, DELETE or TRUNCATE).
"""
from alembic import op
import sqlalchemy as sa

from ticketing.audit.chain import GENESIS, link_hash


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: the chain's one lock on PostgreSQL (a transaction-level advisory lock; no other code uses this key)
CHAIN_LOCK = 0x4155444954  # "AUDIT"

#: one field of the hashed text, as ``chain._field``: "<bytes>:<text>", or "-" for NULL
PG_FIELD = """CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8')) || ':' || v END $$"""

#: the link of a new entry, as ``chain.link_hash``; runs when the entry's transaction commits
PG_LINK = f"""CREATE FUNCTION audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_seq integer; last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT seq, hash INTO last_seq, last_hash FROM audit_chain ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0; last_hash := '{GENESIS}';
    END IF;
    INSERT INTO audit_chain (seq, entry_id, prev_hash, hash) VALUES (last_seq + 1, NEW.id, last_hash,
        encode(sha256(convert_to(concat_ws('|', 'audit/1', audit_field((last_seq + 1)::text), audit_field(last_hash),
            audit_field(NEW.id::text), audit_field(to_char(NEW.at, 'YYYY-MM-DD HH24:MI:SS.US')),
            audit_field(NEW.user_id::text), audit_field(NEW.organization_id::text), audit_field(NEW.action),
            audit_field(NEW.object_type), audit_field(NEW.object_id), audit_field(NEW.before::text),
            audit_field(NEW.after::text)), 'UTF8')), 'hex'));
    RETURN NULL;
END $$"""

SQLITE_LINK = f"""CREATE TRIGGER audit_entries_chain AFTER INSERT ON audit_entries BEGIN
    INSERT INTO audit_chain (seq, entry_id, prev_hash, hash)
    SELECT last.seq + 1, NEW.id, last.hash,
           audit_link_hash(last.seq + 1, last.hash, NEW.id, NEW.at, NEW.user_id, NEW.organization_id, NEW.action,
                           NEW.object_type, NEW.object_id, NEW.before, NEW.after)
    FROM (SELECT coalesce(max(seq), 0) AS seq,
                 coalesce((SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1), '{GENESIS}') AS hash
          FROM audit_chain) AS last;
END"""


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _chain_existing_entries() -> None:
    at = "to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')" if _pg() else "CAST(at AS TEXT)"
    rows = op.get_bind().execute(sa.text(
        f"SELECT id, {at}, user_id, organization_id, action, object_type, object_id, CAST(before AS TEXT), "
        "CAST(after AS TEXT) FROM audit_entries ORDER BY id")).all()
    links, last = [], GENESIS
    for seq, row in enumerate(rows, start=1):
        digest = link_hash(seq, last, *row)
        links.append({"seq": seq, "entry_id": row[0], "prev_hash": last, "hash": digest})
        last = digest
    if links:
        op.bulk_insert(sa.table("audit_chain", sa.column("seq"), sa.column("entry_id"), sa.column("prev_hash"),
                                sa.column("hash")), links)


def _keeping_sqlite_triggers(table: str):
    """SQLite's batch mode copies a table into a new one, which loses its triggers (the append-only
    ones): make them again afterwards."""
    if _pg():
        return []
    return op.get_bind().execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                                 {"t": table}).scalars().all()


def _restore_sqlite_triggers(table: str, triggers: list[str]) -> None:
    existing = set(_keeping_sqlite_triggers(table))
    for sql in triggers:
        if sql not in existing:
            op.execute(sql)


def upgrade():
    triggers = _keeping_sqlite_triggers('audit_entries')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_entries_organization_id_organizations'), 'organizations',
                                    ['organization_id'], ['id'])
        batch_op.create_index('ix_audit_entries_organization_id', ['organization_id', 'id'], unique=False)
    _restore_sqlite_triggers('audit_entries', triggers)

    op.create_table('audit_chain',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_entries.id'], name=op.f('fk_audit_chain_entry_id_audit_entries')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_chain')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_audit_chain_entry_id'))
    )
    _chain_existing_entries()

    if _pg():
        op.execute(PG_FIELD)
        op.execute(PG_LINK)
        op.execute("CREATE CONSTRAINT TRIGGER audit_entries_chain AFTER INSERT ON audit_entries "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_link()")
        op.execute("CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
        op.execute("CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()")
    else:
        op.execute(SQLITE_LINK)
        for when in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_chain_no_{when.lower()} BEFORE {when} ON audit_chain "
                       "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END")


def downgrade():
    if _pg():
        op.execute("DROP TRIGGER IF EXISTS audit_entries_chain ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_link()")
        op.execute("DROP FUNCTION IF EXISTS audit_field(text)")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_chain")
    op.drop_table('audit_chain')  # its own triggers go with it
    triggers = _keeping_sqlite_triggers('audit_entries')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_organization_id')
        batch_op.drop_constraint(batch_op.f('fk_audit_entries_organization_id_organizations'), type_='foreignkey')
        batch_op.drop_column('organization_id')
    _restore_sqlite_triggers('audit_entries', triggers)
