"""The counter sale's SQL (``services.sell``): the claim and the write, each one statement on PostgreSQL.

- ``claim``: first ``SET LOCAL plan_cache_mode`` (``GENERIC_PLANS``: the claim is planned once each
  time psycopg prepares it, not at each sale), then a data-modifying CTE moves the seats to sold with
  the conditional update (``holds.free_for``) and returns them; the same statement locks the seller's open shift
  (``FOR NO KEY UPDATE``, the lock ``shifts.claim_open_shift``'s no-op update takes, so a shift being
  closed waits for the sale, and the other way round) and reads the seats' prices and categories, the
  organization's custody setting, the festival, the central fund and the newest split rules
  (``ledger.services.rules_json``).
- ``write``: the order, its tickets, its ledger lines and its audit entry (data-modifying CTEs) and its
  payment, each table's rows as one JSON parameter (the audit entry's as plain parameters, so that its
  empty ``before`` stays JSON null as ``audit.record`` writes it); the foreign keys are checked at the end
  of the statement, the audit chain's link is made at commit.

SQLite has no data-modifying CTEs: there the claim is the update, the shift claim and a read, and the
write one INSERT per table (the audit entry's too). Both build their statements once (Core, bound
parameters) and run them on the session's connection without the ORM's unit of work (on PostgreSQL
through ``rawsql.Statement``, without SQLAlchemy's per-execution work either); the objects written are
then made what a query would have loaded, so the caller and the API's answer use them without another
round trip.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import ARRAY, JSON, Integer, TypeDecorator, any_, bindparam, insert, inspect, select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import Organization, central_fund_id
from ..audit.models import AuditEntry
from ..extensions import as_loaded, db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory
from ..ledger.models import LedgerEntry
from ..ledger.services import SaleFacts, latest_version, rules_from_json, rules_json
from .. import rawsql
from ..seating.models import PriceCategory, Seat
from .holds import free_for
from .models import Order, Payment, Shift, Ticket
from .shifts import claim_open_shift


@dataclass
class Claimed:
    """What the claim statement read about the seats it moved to sold and about the sale."""
    #: (seat id, category id, price, category code) in seat-map order
    lines: list[tuple[int, int, int, str]]
    #: some seat belongs to a table sold whole
    tables: bool
    #: the seller's open shift, locked until commit (None: none is open)
    shift_id: int | None
    #: the selling organization's ``transfer_custody``
    custody: str | None
    facts: SaleFacts


@dataclass(frozen=True)
class _Bound:
    """An actor whose id and organization are bound parameters: the claim statement is built once."""
    id: object
    organization_id: object


@cache
def _claim_statements(dialect: str) -> tuple:
    """The claim, built once with bound parameters (b_session, b_ids, b_user, b_organization, b_now):
    on PostgreSQL one statement that moves the seats to sold (``free_for``), locks the seller's open
    shift and reads the seats' prices and the sale's facts; elsewhere the update, then the read.
    ``free_for`` gets an actor whose id and organization are parameters, so it must stay what it is: an
    SQL expression of them (no Python decision on the actor's values)."""
    inventory = SeatInventory.__table__
    now = bindparam("b_now", type_=inventory.c.updated_at.type)
    session_id = bindparam("b_session", type_=Integer)
    actor = _Bound(bindparam("b_user", type_=Integer), bindparam("b_organization", type_=Integer))
    if dialect == "postgresql":  # one text for any number of seats: prepared once, planned once
        ids = bindparam("b_ids", type_=ARRAY(Integer))
        wanted = inventory.c.seat_id == any_(ids)
    else:
        ids = bindparam("b_ids", expanding=True)
        wanted = inventory.c.seat_id.in_(ids)
    claim = (update(inventory).where(inventory.c.session_id == session_id, wanted, free_for(actor, now))
             .values(state="sold", held_by_id=None, cart_id=None, hold_expires_at=None, updated_at=now))
    festival = select(FestivalSession.festival_id).where(FestivalSession.id == session_id).scalar_subquery()
    version = latest_version(festival)
    custody = select(Organization.transfer_custody).where(Organization.id == actor.organization_id)
    columns = [Seat.id, Seat.category_id, PriceCategory.price_satang, PriceCategory.code, Seat.sold_whole,
               festival.label("festival_id"), central_fund_id().label("central_id"), version.label("version"),
               rules_json(festival, version, dialect).label("rules"), custody.scalar_subquery().label("custody")]
    if dialect == "postgresql":
        claimed = claim.returning(inventory.c.seat_id).cte("claimed")
        shift = (select(Shift.id).where(Shift.user_id == actor.id, Shift.closed_at.is_(None))
                 .with_for_update(key_share=True).cte("open_shift"))  # FOR NO KEY UPDATE, as an UPDATE takes
        read_claimed = (select(*columns, select(shift.c.id).scalar_subquery().label("shift_id"))
                        .select_from(claimed).join(Seat, Seat.id == claimed.c.seat_id)
                        .join(PriceCategory, PriceCategory.id == Seat.category_id).order_by(Seat.position))
        return rawsql.Statement(read_claimed), None
    return claim, (select(*columns).join(PriceCategory, PriceCategory.id == Seat.category_id)
                   .where(Seat.id.in_(ids)).order_by(Seat.position))


def claim(actor, session_id: int, ids: list[int], now) -> Claimed | None:
    """Move the seats to sold (the conditional update, ``free_for``) and read what the sale needs; None
    when some seat could not be claimed (the caller rolls back). One statement on PostgreSQL."""
    db.session.flush()  # what the caller added first (new split rules, say) is read as a query would read it
    connection = db.session.connection()  # Core: none of the ORM's per-statement work
    claim, read = _claim_statements(connection.dialect.name)
    params = {"b_session": session_id, "b_ids": ids, "b_user": actor.id, "b_organization": actor.organization_id,
              "b_now": now}
    if read is None:
        rawsql.execute(GENERIC_PLANS)
        rows = claim.rows(params)
        if len(rows) != len(ids):
            return None
        shift_id = rows[0].shift_id
    else:
        if connection.execute(claim, params).rowcount != len(ids):
            return None
        shift_id = claim_open_shift(actor)
        rows = connection.execute(read, params).all()
    first = rows[0]
    return Claimed(lines=[(r.id, r.category_id, r.price_satang, r.code) for r in rows],
                   tables=any(r.sold_whole for r in rows), shift_id=shift_id, custody=first.custody,
                   facts=SaleFacts(first.festival_id, first.central_id, first.version, rules_from_json(first.rules)))


#: PostgreSQL plans a prepared statement afresh for each execution ("custom plans") while it believes
#: that beats its one "generic" plan. For the claim it always did: the generic plan assumes a seat
#: array of 10 where a sale has 1-4, so it looks three times dearer, and planning that statement (a
#: dozen tables) was a fifth of the database's CPU per sale (perf, bench/onsale.py); the generic plan
#: is the same index scan. Forced for the rest of the sale's transaction only (the write, a shift opened
#: on the way, the audit chain's trigger at commit: key look-ups whose generic plans are as good); every
#: other transaction keeps the server's choice, which a partial index or a skewed column may need.
GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"


@cache
def _columns(model) -> tuple:
    """(attribute, column key, column) of each of ``model``'s columns, read from its mapper once."""
    return tuple((attr.key, attr.columns[0].key, attr.columns[0]) for attr in inspect(model).column_attrs)


def _row(obj) -> dict:
    """``obj``'s columns as an INSERT row, filling what was not set with the column's Python default (as
    a flush would) and setting it on ``obj`` too; an autoincrement key left unset is left out."""
    row, given = {}, obj.__dict__
    for key, column_key, column in _columns(type(obj)):
        if key in given:
            row[column_key] = given[key]
            continue
        if column.primary_key and column.autoincrement in (True, "auto") and column.type.python_type is int:
            continue
        if column.default is not None and column.default.is_scalar:
            value = column.default.arg
        elif column.default is not None and column.default.is_callable:
            value = column.default.arg(None)
        elif column.server_default is not None:
            continue
        else:
            value = None
        setattr(obj, key, value)
        row[column_key] = value
    return row


@cache
def _decorated(table) -> dict:
    """The columns of ``table`` whose type processes values before binding (``UTCDateTime``), by key."""
    return {c.key: c.type for c in table.c if isinstance(c.type, TypeDecorator)}


def _json_rows(table, rows: list[dict], dialect) -> str:
    """``rows`` as a JSON array for ``json_populate_recordset``, each value as its column would bind it
    (a ``TypeDecorator`` such as ``UTCDateTime`` processes it first; times in ISO form)."""
    decorated = _decorated(table)

    def bound(key, value):
        if key in decorated:
            value = decorated[key].process_bind_param(value, dialect)
        return value.isoformat(sep=" ") if isinstance(value, (datetime, date)) else value
    return json.dumps([{k: bound(k, v) for k, v in row.items()} for row in rows], separators=(",", ":"))


def _json_columns(table) -> set:
    """Keys of ``table``'s JSON columns (the audit entry's ``before`` and ``after``)."""
    return {c.key for c in table.c if isinstance(c.type, JSON)}


def _audit_params(row: dict, dialect) -> dict:
    """The audit entry's values as the write statement's parameters ``audit_<column>``: bound as their
    columns would bind them, JSON as its text (so that an empty ``before`` stays JSON null)."""
    table = AuditEntry.__table__
    decorated, as_json = _decorated(table), _json_columns(table)
    return {f"audit_{key}": decorated[key].process_bind_param(value, dialect) if key in decorated
            else json.dumps(value) if key in as_json else value for key, value in row.items()}


@cache
def _write_statement(order_keys: tuple, ticket_keys: tuple, payment_keys: tuple, entry_keys: tuple,
                     audit_keys: tuple):
    """PostgreSQL: the order, its tickets, its ledger lines, the audit entry (data-modifying CTEs) and its
    payment (the statement itself, returning the payment's id) in one INSERT, built once for each set of
    columns.
    Each table's rows come as one JSON parameter (``json_populate_recordset``), so the statement is the
    same for any number of tickets and ledger lines and psycopg reuses its parsed and prepared form;
    SQLAlchemy would compile a multi-row VALUES inside a CTE again for every sale."""
    def insert_from(table, keys: tuple, param: str) -> str:
        columns = ", ".join(keys)
        return (f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
                f"FROM json_populate_recordset(NULL::{table.name}, CAST(:{param} AS json))")
    ctes = [f"new_order AS ({insert_from(Order.__table__, order_keys, 'orders')})",
            f"new_tickets AS ({insert_from(Ticket.__table__, ticket_keys, 'tickets')})"]
    if entry_keys:
        ctes.append(f"new_entries AS ({insert_from(LedgerEntry.__table__, entry_keys, 'entries')})")
    as_json = _json_columns(AuditEntry.__table__)
    values = ", ".join(f"CAST(:audit_{k} AS json)" if k in as_json else f":audit_{k}" for k in audit_keys)
    ctes.append(f"new_audit AS (INSERT INTO {AuditEntry.__tablename__} ({', '.join(audit_keys)}) VALUES ({values}))")
    sql = f"WITH {', '.join(ctes)} {insert_from(Payment.__table__, payment_keys, 'payments')} RETURNING id"
    return rawsql.Statement(text(sql).columns(id=Integer))


def write(order: Order, tickets: list[Ticket], payment: Payment, entries: list[dict], audit_row: dict) -> None:
    """Insert the order, its tickets, its payment, its ledger lines and its audit entry (``audit.entry``):
    one statement on PostgreSQL (the foreign keys are checked at its end), one INSERT each elsewhere; then
    make the objects what a query would have loaded (persistent, nothing left to flush or to load again)."""
    order_row, ticket_rows, payment_row = _row(order), [_row(t) for t in tickets], _row(payment)
    payments = Payment.__table__
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        statement = _write_statement(tuple(order_row), tuple(ticket_rows[0]), tuple(payment_row),
                                     tuple(entries[0]) if entries else (), tuple(audit_row))
        params = {"orders": _json_rows(Order.__table__, [order_row], dialect),
                  "tickets": _json_rows(Ticket.__table__, ticket_rows, dialect),
                  "payments": _json_rows(payments, [payment_row], dialect)}
        if entries:
            params["entries"] = _json_rows(LedgerEntry.__table__, entries, dialect)
        params.update(_audit_params(audit_row, dialect))
        payment.id = statement.rows(params)[0].id
    else:
        db.session.execute(insert(Order.__table__), [order_row])
        db.session.execute(insert(Ticket.__table__), ticket_rows)
        payment.id = db.session.execute(insert(payments).returning(payments.c.id), [payment_row]).scalar_one()
        if entries:
            db.session.execute(insert(LedgerEntry.__table__), entries)
        db.session.execute(insert(AuditEntry.__table__), [audit_row])
    as_loaded(order, *tickets, payment)
    # Both sides of the relationships as a load would leave them (an ordinary assignment would fire the
    # ORM's change events and backrefs for every ticket: a few per cent of a sale's CPU).
    for name, value in (("tickets", tickets), ("payments", [payment]), ("refunds", [])):
        set_committed_value(order, name, value)
    for child in (*tickets, payment):
        set_committed_value(child, "order", order)
