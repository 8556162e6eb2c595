"""speed: the audit chain's field function in PL/pgSQL

``audit_field`` (0010) was an SQL function. PostgreSQL inlines such a function only when each argument
is used once or is cheap; ``audit_field`` uses its argument three times and is given expressions
(``NEW.before::text``, ``to_char(NEW.at, …)``), so it ran as a real call, and an SQL function's body is
planned afresh on each call inside a query run from a trigger: the ten calls of every audited commit
were about a twentieth of the database's CPU per sale (perf, ``bench/onsale.py``). PL/pgSQL keeps its
expression's plan for the session. The text it returns is the same, so the chain's hashes are too.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:30:00

"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PLPGSQL = """CREATE OR REPLACE FUNCTION audit_field(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8')) || ':' || v END;
END $$"""

SQL = """CREATE OR REPLACE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8')) || ':' || v END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLPGSQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL)
