"""The hot path's statements run on the session's own psycopg connection, without SQLAlchemy's
per-execution work.

Every API request checks its token and a counter sale then claims and writes; through
``Connection.execute`` each of these statements cost about twice what psycopg itself costs (execution
context, result metadata, row objects: ``bench/onsale.py`` with py-spy). ``Statement`` compiles a Core
statement for psycopg once and hands the SQL text and the parameters straight to a cursor of the
connection the session already holds, inside its transaction; elsewhere (SQLite) it is an ordinary
``execute``. Parameters are bound through their types and times read come back as ``UTCDateTime``
gives them, and the driver's errors come out as SQLAlchemy's.

Statements sent this way do not pass through SQLAlchemy's ``before_cursor_execute`` event, so round
trips are counted at the driver (``StatementLog``, used by ``tests/test_sale_path.py`` and
``bench/onsale.py``).
"""
from collections import namedtuple

import psycopg
from sqlalchemy import TypeDecorator, event
from sqlalchemy.exc import DBAPIError

from .extensions import db


class Statement:
    """``Statement(core_statement).rows(params)``: its rows, each with its columns as attributes."""

    def __init__(self, statement):
        self.statement = statement
        #: the statement compiled for psycopg, on first use (``_Compiled``)
        self._compiled = None

    def rows(self, params: dict) -> list:
        """The rows, each with its columns as attributes. Parameters are given as to ``execute`` (an aware
        time for a ``UTCDateTime``): each is bound through its type, and a required one missing is an
        error, as in SQLAlchemy."""
        connection = db.session.connection()
        dialect = connection.dialect
        if dialect.driver != "psycopg":
            return connection.execute(self.statement, params).all()
        if self._compiled is None:
            self._compiled = _Compiled(self.statement, dialect)
        compiled = self._compiled
        missing = compiled.required - params.keys()
        if missing:
            raise ValueError(f"missing parameters: {', '.join(sorted(missing))}")
        values = {**compiled.fixed, **params}
        for key, process in compiled.binders:
            values[key] = process(values[key])
        with connection.connection.driver_connection.cursor(row_factory=compiled.row_maker) as cursor:
            try:
                cursor.execute(compiled.sql, values)
                rows = cursor.fetchall()
            except psycopg.Error as error:
                raise _as_sqlalchemy(connection, error, compiled.sql, values, cursor) from error
        if compiled.converters and rows:
            rows = [row._replace(**{row._fields[i]: convert(row[i]) for i, convert in compiled.converters})
                    for row in rows]
        return rows


class _Compiled:
    """A statement compiled for psycopg: its SQL text (``%(name)s`` placeholders), the values SQLAlchemy
    bound itself, the parameters a caller must give, each parameter's type processing (``UTCDateTime``
    makes a time naive UTC) and, by position, the result columns whose type changes what the database
    gives (``UTCDateTime``: an aware time)."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.fixed = dict(compiled.params)
        names = compiled.bind_names  # each bind parameter -> its name in the SQL text
        self.required = {names[bind] for bind in names if bind.required}
        self.binders = [(names[bind], process) for bind in names
                        if (process := bind.type.bind_processor(dialect)) is not None]
        self.converters = [(i, column.type.result_processor(dialect, None))
                           for i, column in enumerate(getattr(statement, "selected_columns", ()))
                           if isinstance(column.type, TypeDecorator)]
        #: the class of the rows, made from the first result's column names (psycopg's ``namedtuple_row``
        #: looks the class up again from every result's column names: a few per cent of a sale's CPU)
        self.row_class = None

    def row_maker(self, cursor):
        """psycopg's row factory: each row as ``row_class``."""
        if self.row_class is None:
            if cursor.description is None:  # no rows to make (and nothing to learn the columns from)
                return tuple
            self.row_class = namedtuple("Row", [column.name for column in cursor.description])
        return self.row_class._make


def execute(sql: str) -> None:
    """Run one statement without parameters or rows (``SET LOCAL …``) in the session's transaction,
    on psycopg's connection directly (errors as SQLAlchemy's), elsewhere through SQLAlchemy."""
    connection = db.session.connection()
    if connection.dialect.driver != "psycopg":
        connection.exec_driver_sql(sql)
        return
    with connection.connection.driver_connection.cursor() as cursor:
        try:
            cursor.execute(sql)
        except psycopg.Error as error:
            raise _as_sqlalchemy(connection, error, sql, {}, cursor) from error


def _as_sqlalchemy(connection, error, sql, values, cursor) -> DBAPIError:
    """The error SQLAlchemy would have raised (``IntegrityError`` for a unique index, say), with what
    SQLAlchemy does when the server went away: this connection invalidated, and every other connection
    the pool opened before it too (a restarted server has dropped them all; each would otherwise fail
    one request before the pool replaced it)."""
    gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if gone and not connection.invalidated:
        connection.engine.pool._invalidate(connection.connection, error)  # as Connection does for its own statements
        connection.invalidate(error)
    return DBAPIError.instance(sql, values, error, psycopg.Error, connection_invalidated=gone,
                               dialect=connection.dialect)


class KeepsPrepared(psycopg.Connection):
    """A psycopg connection that keeps its prepared statements through a ROLLBACK.

    psycopg forgets every prepared statement of a connection at each ROLLBACK and sends ``DEALLOCATE ALL``,
    in case the transaction had created what they refer to. Here only migrations change the schema, on
    connections of their own, and a statement the server prepared stays prepared after a rollback (it
    is not part of the transaction), so forgetting them only costs: every read-only request (a map poll,
    a page) ends with a ROLLBACK, and so does a seat lost to another counter, and the next sale on that
    pooled connection had its claim and write parsed and planned again. A DROP, ALTER or DISCARD still
    makes psycopg forget them (it reads those in a command's status), and so does a statement that failed
    (its server copy then stays until the connection closes: a few, from rare failures). Every psycopg
    connection gets this class when it opens (``ticketing._connection_settings``, an Engine ``connect``
    hook); ``tests/test_rawsql.py`` checks the behaviour on the pinned psycopg."""

    def rollback(self) -> None:
        prepared = self._prepared
        prepared.clear = _keep  # for this call only: the manager's own ``clear`` is back afterwards
        try:
            super().rollback()
        finally:
            del prepared.clear


def _keep() -> bool:
    """``PrepareManager.clear`` that clears nothing (and so asks for no ``DEALLOCATE ALL``)."""
    return False


class StatementLog:
    """What an engine's connections send, for tests and benchmarks: ``sent`` (each statement's text) and
    ``commits``. On psycopg it counts at the driver (every cursor's ``execute``: SQLAlchemy's statements
    and ``Statement``'s alike), elsewhere through SQLAlchemy's ``before_cursor_execute``."""

    def __init__(self, engine):
        self.engine, self.sent, self.commits, self._touched = engine, [], 0, []
        self._listeners = [("checkout", self._checkout), ("commit", self._commit),
                           ("before_cursor_execute", self._sqlalchemy_sent)]
        for name, listener in self._listeners:
            event.listen(engine, name, listener)

    def _checkout(self, dbapi_connection, _record, _proxy):
        """Count on each connection once, however often the pool hands it out."""
        if hasattr(dbapi_connection, "cursor_factory") and all(c is not dbapi_connection for c, _ in self._touched):
            self._touched.append((dbapi_connection, dbapi_connection.cursor_factory))
            dbapi_connection.cursor_factory = _counting_cursor(self, dbapi_connection.cursor_factory)

    def _sqlalchemy_sent(self, conn, _cursor, statement, *_args):
        if conn.dialect.driver != "psycopg":
            self.sent.append(statement)

    def _commit(self, _conn):
        self.commits += 1

    def reset(self) -> None:
        self.sent, self.commits = [], 0

    def close(self) -> None:
        for name, listener in self._listeners:
            event.remove(self.engine, name, listener)
        for connection, factory in self._touched:
            connection.cursor_factory = factory


def _counting_cursor(log: StatementLog, base):
    class CountingCursor(base):
        def execute(self, query, params=None, **kwargs):
            log.sent.append(query.decode() if isinstance(query, bytes) else str(query))
            return super().execute(query, params, **kwargs)

        def executemany(self, query, params_seq, **kwargs):
            log.sent.append(query.decode() if isinstance(query, bytes) else str(query))
            return super().executemany(query, params_seq, **kwargs)
    return CountingCursor
