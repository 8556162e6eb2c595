"""Finding any order: one search for the orders page and `GET /api/v1/orders`.

A seller finds its own organization's orders, treasurers and admins every order
(``accounts.access.organization_scope``). Newest first, paged by a cursor (the last order's time
and id), so a page costs the same at order 50 and at order 50,000. Every filter rides an index
(migration 0007): the order number is a prefix of the id (a range on the primary key), a phone
number is matched by its last digits on ``buyer_phone_key`` (the digits reversed, so "ends with" is
a prefix), an e-mail on ``buyer_email_key``, a seat ("A1 2 4": section, row, seat) through the seats
and the tickets' seat index; organization, session and day ride (organization|session, created_at).
Only a buyer's name is matched anywhere inside it, by scanning newest first until the page is full.
"""
import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.access import organization_scope
from ..errors import Forbidden, Invalid
from ..extensions import db
from ..seating.models import Seat, Section
from ..timeutil import BANGKOK
from .models import PAYMENT_METHODS, Order, Ticket, phone_key

STATUSES = ("paid", "partly_void", "void")
PAGE_SIZE = 50
#: a seat is sold once per session: more orders than this on one seat label is not a seat search
MAX_SEAT_ORDERS = 1000
MAX_PAGE_SIZE = 200
_HEX = "0123456789abcdef"
_ORDER_NO = re.compile(r"^[0-9a-f]{4,8}(-[0-9a-f-]{0,27})?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{3,}$")
_SEAT_SPLIT = re.compile(r"[\s\-/·,]+")


@dataclass
class OrderFilter:
    """What to look for; every field optional. ``q``: an order or receipt number (or its first
    characters), a buyer's name or part of it, a phone number (or its last digits), an e-mail, or a
    seat as "section row seat" (e.g. "A1 2 4")."""
    q: str = ""
    phone: str = ""
    email: str = ""
    session_id: int | None = None
    status: str | None = None
    method: str | None = None
    #: days in Ubon, both included
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class OrderPage:
    orders: list
    #: give it back as ``cursor`` for the next page; None on the last page
    next_cursor: str | None


def _prefix_range(column, prefix: str):
    """``column`` starts with ``prefix`` (lower-case hex and '-'), as a range the index can answer
    (true under any collation: the upper bound is the next hex digit), checked exactly by LIKE."""
    head = prefix.split("-")[0]  # collations may ignore '-': the range covers the hex head only
    upper = head[:-1] + (_HEX[_HEX.index(head[-1]) + 1] if head[-1] != "f" else "g")
    return and_(column >= head, column < upper, column.like(prefix + "%"))


def _digits_prefix(column, key: str):
    """``column`` (a reversed phone number: digits only) starts with ``key``."""
    upper = key[:-1] + (chr(ord(key[-1]) + 1))  # digits: '9' + 1 is ':', past every digit
    return and_(column >= key, column < upper)


def _seat_orders(tokens: list[str]):
    """Order ids with a ticket on seat "section row seat"."""
    section, row, label = tokens
    seats = select(Seat.id).join(Section, Section.id == Seat.section_id).where(
        func.upper(Section.code) == section.upper(), Seat.row_label == row, Seat.label == label)
    return select(Ticket.order_id).where(Ticket.seat_id.in_(seats))


def _q_condition(q: str):
    q = q.strip().lstrip("#").strip()
    if not q:
        return None
    low = q.lower()
    ways = []
    is_number = bool(_ORDER_NO.match(low)) and any(c.isdigit() for c in low)
    is_phone = bool(_PHONE.match(q)) and len(phone_key(q)) >= 4
    if is_number:
        ways.append(_prefix_range(Order.id, low))
    if is_phone:
        ways.append(_digits_prefix(Order.buyer_phone_key, phone_key(q)))
    if "@" in q:
        ways.append(Order.buyer_email_key == low)
    tokens = [t for t in _SEAT_SPLIT.split(q) if t]
    seat_orders = []
    if len(tokens) == 3 and all(len(t) <= 20 for t in tokens):
        # looked up first: a short list of ids is a few primary-key reads, where a subquery would make
        # the database walk the newest orders testing each one
        seat_orders = list(db.session.scalars(_seat_orders(tokens).limit(MAX_SEAT_ORDERS)))
        if seat_orders:
            ways.append(Order.id.in_(seat_orders))
    if not (is_number or is_phone or "@" in q or seat_orders):  # else a name, or part of one
        escaped = low.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ways.append(func.lower(Order.buyer_name).like(f"%{escaped}%", escape="\\"))
    return or_(*ways) if len(ways) > 1 else ways[0]


def _utc_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=BANGKOK).astimezone(timezone.utc)


def encode_cursor(order: Order) -> str:
    raw = f"{order.created_at.astimezone(timezone.utc).isoformat()}|{order.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, order_id = raw.split("|", 1)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or len(order_id) > 36:
            raise ValueError
        return when, order_id
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        message = _("This page link is no longer valid; start again from the first page.")
        raise Invalid(message, code="bad_cursor", details={"cursor": message})


def _check(f: OrderFilter) -> None:
    errors = {}
    if f.status is not None and f.status not in STATUSES:
        errors["status"] = _("Choose paid, partly void or void.")
    if f.method is not None and f.method not in PAYMENT_METHODS:
        errors["method"] = _("Choose a payment method.")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["to"] = _("The last day comes before the first day.")
    for name, value in (("q", f.q), ("phone", f.phone), ("email", f.email)):
        if value and len(value) > 200:
            errors[name] = _("At most 200 characters.")
    if f.phone and len(phone_key(f.phone)) < 3:
        errors["phone"] = _("Give at least the last three digits of the phone number.")
    if errors:
        raise Invalid(_("Some values are wrong."), details=errors)


def search_orders(actor, f: OrderFilter, cursor: str | None = None, limit: int = PAGE_SIZE) -> OrderPage:
    """One page of the orders ``actor`` may see that match ``f``, newest first."""
    try:
        scope = organization_scope(actor)
    except PermissionError:
        raise Forbidden(_("You may not see orders."))
    _check(f)
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    query = select(Order)
    if scope is not None:
        query = query.where(Order.organization_id == scope)
    condition = _q_condition(f.q)
    if condition is not None:
        query = query.where(condition)
    if f.phone:
        query = query.where(_digits_prefix(Order.buyer_phone_key, phone_key(f.phone)))
    if f.email:
        query = query.where(Order.buyer_email_key == f.email.strip().lower())
    if f.session_id is not None:
        query = query.where(Order.session_id == f.session_id)
    if f.status:
        query = query.where(Order.status == f.status)
    if f.method:
        query = query.where(Order.payment_method == f.method)
    if f.date_from:
        query = query.where(Order.created_at >= _utc_day_start(f.date_from))
    if f.date_to:
        query = query.where(Order.created_at < _utc_day_start(f.date_to + timedelta(days=1)))
    if cursor:
        at, order_id = _decode_cursor(cursor)
        query = query.where(or_(Order.created_at < at, and_(Order.created_at == at, Order.id < order_id)))
    rows = list(db.session.scalars(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)
        .options(selectinload(Order.tickets), selectinload(Order.payments), selectinload(Order.session),
                 selectinload(Order.organization))))
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(rows, encode_cursor(rows[-1]) if more and rows else None)
