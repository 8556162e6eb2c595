"""``rawsql.Statement`` runs a statement on psycopg's connection directly (the hot path: token check,
claim, write). It must give what SQLAlchemy's ``execute`` gives: the same rows, parameters bound through
their types (an aware time stored as naive UTC), times read back aware, SQLAlchemy's errors, and an
error for a missing parameter instead of a NULL."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from ticketing.accounts.models import ApiToken, User
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.rawsql import Statement, StatementLog
from ticketing.timeutil import UTCDateTime


def test_rows_are_what_execute_gives(make):
    seller = make.user("seller1", roles=["seller"])
    issue_token(None, seller)
    db.session.commit()
    users, tokens = User.__table__, ApiToken.__table__
    # two columns named created_at: SQLAlchemy labels the second created_at_1; both must come back aware
    query = (select(users.c.id, users.c.created_at, tokens.c.created_at, tokens.c.expires_at)
             .join(tokens, tokens.c.user_id == users.c.id)
             .where(users.c.id == bindparam("user_id"), tokens.c.created_at > bindparam("after", type_=UTCDateTime)))
    params = {"user_id": seller.id, "after": datetime.now(timezone.utc) - timedelta(days=1)}
    expected = [tuple(row) for row in db.session.execute(query, params).all()]
    got = [tuple(row) for row in Statement(query).rows(params)]
    db.session.rollback()
    assert got == expected and len(got) == 1
    assert all(value.tzinfo == timezone.utc for value in got[0][1:3])


def test_a_missing_parameter_is_an_error_not_a_null(app):
    statement = Statement(select(User.__table__.c.id).where(User.__table__.c.id == bindparam("user_id")))
    with pytest.raises((ValueError, StatementError), match="user_id"):  # ours on psycopg, SQLAlchemy's elsewhere
        statement.rows({})
    db.session.rollback()


def test_driver_errors_come_out_as_sqlalchemys(make):
    seller = make.user("seller1", roles=["seller"])
    db.session.commit()
    copy = Statement(text("INSERT INTO users SELECT * FROM users WHERE id = :user_id RETURNING id"))
    with pytest.raises(IntegrityError):
        copy.rows({"user_id": seller.id})
    db.session.rollback()
    assert db.session.scalar(select(User.id).where(User.id == seller.id)) == seller.id


def test_the_statement_log_counts_each_statement_once(app):
    """The pool hands the same connection out again and again: each statement is still counted once."""
    log = StatementLog(db.engine)
    try:
        for _ in range(3):
            db.session.execute(text("SELECT 1"))
            db.session.commit()
            db.session.remove()
    finally:
        log.close()
    assert [" ".join(s.split()) for s in log.sent] == ["SELECT 1"] * 3 and log.commits == 3


def test_prepared_statements_outlive_a_rollback(app):
    """A read-only request (a map poll) ends with ROLLBACK, and so does a lost seat: the connection's prepared
    statements stay prepared (``rawsql.KeepsPrepared``; psycopg alone drops them all), in psycopg's books
    and on the server, and the next use runs the prepared statement without preparing it again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's and PostgreSQL's")
    statement = Statement(select(User.__table__.c.id).where(User.__table__.c.id == bindparam("user_id")))
    prepared = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT users.id %'")
    for _ in range(2):  # prepared the second time (``PREPARE_THRESHOLD``)
        statement.rows({"user_id": 1})
    connection = db.session.connection().connection.driver_connection
    assert db.session.execute(prepared).scalar() == 1 and connection._prepared._names
    db.session.rollback()
    assert db.session.connection().connection.driver_connection is connection
    assert db.session.execute(prepared).scalar() == 1 and connection._prepared._names
    statement.rows({"user_id": 1})
    assert db.session.execute(prepared).scalar() == 1  # used again, not prepared a second time
    db.session.rollback()


def test_a_lost_server_replaces_every_pooled_connection(app):
    """When the server goes away under a ``Statement`` (here: its backend is ended), every connection the
    pool opened before is replaced at its next checkout, as SQLAlchemy does for its own statements: after
    a database restart each pooled connection would otherwise fail one request (a sign-in, a sale)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg only")
    backend = text("SELECT pg_backend_pid()")
    pooled = [db.engine.connect() for _ in range(2)]  # two connections the pool keeps afterwards
    for connection in pooled:
        connection.exec_driver_sql("SELECT 1")
        connection.close()
    victim = db.session.execute(backend).scalar()
    admin = create_engine(db.engine.url, poolclass=NullPool)
    with admin.connect() as conn:
        before = set(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
                     .scalars())
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    admin.dispose()
    with pytest.raises(DBAPIError) as lost:
        Statement(select(User.__table__.c.id)).rows({})
    assert lost.value.connection_invalidated
    db.session.rollback()
    db.session.remove()
    fresh = [db.engine.connect() for _ in range(2)]
    try:
        assert not {c.execute(backend).scalar() for c in fresh} & before
    finally:
        for connection in fresh:
            connection.close()
