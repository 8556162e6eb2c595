"""The live map's changes: the seats of a session that changed after a cursor, read from the index
``(session_id, change_seq)`` (migration 0013), never by reading the whole session.

A database trigger stamps ``change_seq`` on every change of a seat's state, allocation or hold. A page
takes a cursor (:func:`cursor_now`) *before* it reads the seats it draws, and each poll answers the rows
stamped after it, with the next cursor (:func:`changes_since`). A cursor is opaque to the browser:

- PostgreSQL stamps the writing transaction's id, and transactions commit in any order. A cursor is the
  poll's own snapshot: the first id that had not started (``xmax``) and the ids still running then
  (``xip``), written ``xmax`` or ``xmax.id,id,…``. The next poll answers the rows stamped at or after
  ``xmax`` or by one of those ids: a sale that began before a poll and committed after it is answered by
  the next poll, and every change is answered once.
- SQLite has one writer at a time, so stamps follow commit order: a cursor is one above the highest
  stamp answered.

With nothing changed, the cursor stays as it was (still exact: whatever was running then and commits
later is in it), so an unchanged answer is the same answer: the view gives it an ETag, and a poll that
sends that back gets 304.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import ARRAY, BigInteger, Select, and_, any_, bindparam, func, literal_column, or_, select

from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..rawsql import Statement
from ..timeutil import UTCDateTime, utcnow
from .models import SeatInventory, effective_state

#: a cursor's numbers are non-negative BIGINTs; a snapshot lists at most the server's connections
MAX_STAMP = 2**63 - 1
MAX_RUNNING = 10_000

#: PostgreSQL: this statement's snapshot, as 'xmin:xmax:xip,xip,…'
_PG_SNAPSHOT = literal_column("pg_current_snapshot()::text")


@dataclass(frozen=True)
class SeatChange:
    """One changed seat as the live map shows it at ``now`` (an expired hold is ``available``)."""
    seat_id: int
    state: str
    organization_id: int | None
    held_by_id: int | None
    hold_expires_at: datetime | None


@dataclass(frozen=True)
class Changes:
    seats: list[SeatChange]
    #: give it back with the next poll
    cursor: str
    #: the server's time of the answer (the map ends holds shown as held when their expiry passes)
    now: datetime


@dataclass(frozen=True)
class Cursor:
    #: rows stamped at or after this are new
    after: int
    #: so are rows stamped by these (transactions that were running when the cursor was taken)
    running: tuple[int, ...] = ()

    def __str__(self) -> str:
        return str(self.after) + ("." + ",".join(map(str, self.running)) if self.running else "")


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_STAMP):
        raise ValueError(text)
    return int(text)


def parse_cursor(text: str | None) -> Cursor:
    """A cursor as the previous answer (or the page) gave it; anything else is a clear error."""
    try:
        after, _dot, running = (text or "").partition(".")
        ids = running.split(",") if _dot else []
        if len(ids) > MAX_RUNNING:
            raise ValueError(text)
        return Cursor(_number(after), tuple(_number(i) for i in ids))
    except ValueError:
        message = _("Give the cursor of the previous answer, as it was sent.")
        raise Invalid(message, code="bad_cursor", details={"cursor": message})


def _snapshot_cursor(snapshot: str) -> Cursor:
    """PostgreSQL's 'xmin:xmax:xip,…' as a cursor."""
    _xmin, xmax, running = snapshot.split(":")
    return Cursor(int(xmax), tuple(sorted(int(i) for i in running.split(",") if i)))


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def cursor_now(session_id: int) -> str:
    """The cursor for a page about to read the session's seats: every change it does not show comes with
    the first poll (a change it shows as well may come again; the map applies it twice, to the same end)."""
    if _postgresql():
        return str(_snapshot_cursor(db.session.scalar(select(_PG_SNAPSHOT))))
    return str(Cursor(db.session.scalar(select(func.coalesce(func.max(SeatInventory.change_seq), 0) + 1)
                                        .where(SeatInventory.session_id == session_id))))


@lru_cache(maxsize=4)
def _statement(postgresql: bool, running: bool) -> Select:
    """The poll's statement, built once (per dialect, and with or without running transactions) and run with
    parameters: the session (so that an unknown one is told apart) and its seats stamped after the cursor,
    through the index ``(session_id, change_seq)``; on PostgreSQL the snapshot as well."""
    now = bindparam("now", type_=UTCDateTime)
    columns = [FestivalSession.id, SeatInventory.seat_id, effective_state(now), SeatInventory.organization_id,
               SeatInventory.held_by_id, SeatInventory.hold_expires_at, SeatInventory.change_seq]
    if postgresql:
        columns.append(_PG_SNAPSHOT)  # the snapshot the rows were read in
    newer = SeatInventory.change_seq >= bindparam("after", type_=BigInteger)
    if running and postgresql:  # one text for any number of running transactions, prepared once
        newer = or_(newer, SeatInventory.change_seq == any_(bindparam("running", type_=ARRAY(BigInteger))))
    elif running:
        newer = or_(newer, SeatInventory.change_seq.in_(bindparam("running", expanding=True, type_=BigInteger)))
    return (select(*columns).select_from(FestivalSession)
            .outerjoin(SeatInventory, and_(SeatInventory.session_id == FestivalSession.id, newer))
            .where(FestivalSession.id == bindparam("session_id"))
            .order_by(SeatInventory.change_seq, SeatInventory.seat_id))


@lru_cache(maxsize=4)
def _prepared(postgresql: bool, running: bool) -> Statement:
    """``_statement`` as run by each poll: on psycopg without SQLAlchemy's per-execution work (``rawsql``)."""
    return Statement(_statement(postgresql, running))


def _parameters(session_id: int, cursor: Cursor, now: datetime) -> dict:
    return {"session_id": session_id, "after": cursor.after, "now": now,
            **({"running": list(cursor.running)} if cursor.running else {})}


def changes_query(session_id: int, cursor: Cursor, now: datetime, postgresql: bool) -> Select:
    """The poll's statement with its values in it (for EXPLAIN in a test or a benchmark)."""
    return _statement(postgresql, bool(cursor.running)).params(_parameters(session_id, cursor, now))


def changes_since(session_id: int, cursor: Cursor) -> Changes | None:
    """The seats of the session stamped after ``cursor`` and the cursor for the next poll; None if there is
    no such session. One prebuilt statement on the connection, without the ORM or SQLAlchemy's execution
    (``rawsql``): nine tablets ask every second."""
    now = utcnow()
    postgresql = _postgresql()
    rows = _prepared(postgresql, bool(cursor.running)).rows(_parameters(session_id, cursor, now))
    if not rows:
        return None
    changed = [r for r in rows if r[1] is not None]
    seats = [SeatChange(r[1], r[2], r[3], r[4], r[5] if r[2] == "held" else None) for r in changed]
    if not changed:
        following = cursor
    elif postgresql:
        following = _snapshot_cursor(changed[0][7])
    else:
        following = Cursor(max(r[6] for r in changed) + 1)
    return Changes(seats, str(following), now)
