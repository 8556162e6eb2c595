"""The hot path's statements run on the session's own psycopg connection, without SQLAlchemy's
per-execution work.

Every API request checks its token and a counter sale then claims and writes; through
``Connection.execute`` each of these statements cost about twice what psycopg itself costs (execution
context, result metadata, row objects: ``bench/onsale.py`` with py-spy). ``Statement`` compiles a Core
statement for psycopg once and hands the SQL text and the parameters straight to a cursor of the
connection the session already holds, inside its transaction; elsewhere (SQLite) it is an ordinary
``execute``. A caller binds a time through its column type itself (``bound``); times read come back as
``UTCDateTime`` gives them, and the driver's errors as SQLAlchemy's.

Statements sent this way do not pass through SQLAlchemy's ``before_cursor_execute`` event, so round
trips are counted at the driver (``StatementLog``, used by ``tests/test_sale_path.py`` and
``bench/onsale.py``).
"""
from functools import cached_property

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import TypeDecorator, event
from sqlalchemy.exc import DBAPIError

from .extensions import db


class Statement:
    """``Statement(core_statement).rows(params)``: its rows, each with its columns as attributes."""

    def __init__(self, statement):
        self.statement = statement
        #: (SQL text with ``%(name)s`` placeholders, the values SQLAlchemy bound itself), on first use
        self._compiled = None

    @cached_property
    def _converted(self) -> list:
        """(name, type) of the columns whose type makes the value the database gives into another
        (``UTCDateTime``: an aware time), as SQLAlchemy would."""
        return [(c.name, c.type) for c in self.statement.selected_columns if isinstance(c.type, TypeDecorator)]

    def rows(self, params: dict) -> list:
        """The rows, each with its columns as attributes."""
        connection = db.session.connection()
        dialect = connection.dialect
        if dialect.driver != "psycopg":
            return connection.execute(self.statement, params).all()
        if self._compiled is None:
            compiled = self.statement.compile(dialect=dialect)
            self._compiled = compiled.string, dict(compiled.params)
        sql, fixed = self._compiled
        values = {**fixed, **params}
        with connection.connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
            try:
                cursor.execute(sql, values)
            except psycopg.Error as error:
                raise _as_sqlalchemy(connection, error, sql, values, cursor) from error
            rows = cursor.fetchall()
        if self._converted and rows:
            rows = [row._replace(**{name: kind.process_result_value(getattr(row, name), dialect)
                                    for name, kind in self._converted}) for row in rows]
        return rows


def _as_sqlalchemy(connection, error, sql, values, cursor) -> DBAPIError:
    """The error SQLAlchemy would have raised (``IntegrityError`` for a unique index, say), the
    connection invalidated as SQLAlchemy would when the server went away."""
    gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if gone:
        connection.invalidate(error)
    return DBAPIError.instance(sql, values, error, psycopg.Error, connection_invalidated=gone,
                               dialect=connection.dialect)


def bound(column, value):
    """``value`` as ``column``'s type binds it (``UTCDateTime`` makes a time naive UTC)."""
    process = getattr(column.type, "process_bind_param", None)
    return process(value, db.session.get_bind().dialect) if process else value


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
        if hasattr(dbapi_connection, "cursor_factory"):
            dbapi_connection.cursor_factory = _counting_cursor(self)
            self._touched.append(dbapi_connection)

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
        for connection in self._touched:
            connection.cursor_factory = psycopg.Cursor


def _counting_cursor(log: StatementLog):
    class CountingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            log.sent.append(query.decode() if isinstance(query, bytes) else str(query))
            return super().execute(query, params, **kwargs)

        def executemany(self, query, params_seq, **kwargs):
            log.sent.append(query.decode() if isinstance(query, bytes) else str(query))
            return super().executemany(query, params_seq, **kwargs)
    return CountingCursor
