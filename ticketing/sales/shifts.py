"""A seller's shift: opened with an opening float (or by the first sale, with none), closed with a cash
count; a closed shift never changes, except that a treasurer marks its cash as received.

Cash in a drawer: expected = opening float + cash sales - cash refunds. The float is the
organization's own change money; the shift's cash *takings* are what is expected beyond it.
``cash_handover`` says, per organization, how much of those takings the treasurer has received and
how much the organization still holds (the statements show both)."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.access import may_receive_shift_cash
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, Payment, Refund, Shift

#: the largest opening float accepted (1,000,000 baht): a typo, not a drawer, beyond that
MAX_FLOAT_SATANG = 100_000_000


def open_shift(actor) -> Shift | None:
    return db.session.scalar(select(Shift).where(Shift.user_id == actor.id, Shift.closed_at.is_(None)))


def claim_open_shift(actor) -> int | None:
    """The id of the seller's open shift, locked until this transaction ends (a no-op update of its
    row), or None. A sale or refund books into its shift this way, and closing a shift takes the same
    lock first: a close waits for the sales in flight, and a sale after the close finds no open shift
    (and opens the next one) instead of landing in a closed drawer."""
    return db.session.execute(update(Shift).where(Shift.user_id == actor.id, Shift.closed_at.is_(None))
                              .values(user_id=Shift.user_id).returning(Shift.id)).scalar()


def closed_shifts(actor, limit: int = 20) -> list[Shift]:
    """The seller's latest closed shifts, newest first (to reprint a report)."""
    return list(db.session.scalars(select(Shift).where(Shift.user_id == actor.id, Shift.closed_at.is_not(None))
                                   .order_by(Shift.closed_at.desc()).limit(limit)))


def current_shift_id(actor) -> int:
    """The seller's open shift (claimed, see ``claim_open_shift``), opened now if there is none."""
    shift_id = claim_open_shift(actor)
    if shift_id is not None:
        return shift_id
    shift = Shift(user_id=actor.id, organization_id=actor.organization_id)
    try:
        with db.session.begin_nested():  # one open shift per seller (a unique index says so)
            db.session.add(shift)
    except IntegrityError:  # the seller's other request opened it a moment ago: book into that one
        return claim_open_shift(actor)
    audit.record(actor, "shift.open", "shift", shift.id)
    return shift.id


def start_shift(actor, opening_float_satang) -> Shift:
    """Open the seller's shift with the change put in the drawer (``opening_float_satang``, may be 0)."""
    if not actor.has_role("seller") or actor.organization_id is None:
        raise Forbidden(_("Only a seller of a member organization can open a shift."))
    if not isinstance(opening_float_satang, int) or isinstance(opening_float_satang, bool) \
            or not 0 <= opening_float_satang <= MAX_FLOAT_SATANG:
        message = _("Give the opening float (the change in the drawer) in baht, like 2,000 or 0.")
        raise Invalid(message, details={"opening_float": message})
    if claim_open_shift(actor) is not None:
        raise Conflict(_("Your shift is already open; close it before opening the next one."), code="shift_open")
    shift = Shift(user_id=actor.id, organization_id=actor.organization_id, opening_float_satang=opening_float_satang)
    try:
        with db.session.begin_nested():
            db.session.add(shift)
    except IntegrityError:  # opened a moment ago by the seller's other request
        raise Conflict(_("Your shift is already open; close it before opening the next one."), code="shift_open")
    audit.record(actor, "shift.open", "shift", shift.id, None, {"opening_float_satang": opening_float_satang})
    return shift


@dataclass
class ShiftReport:
    shift: Shift
    #: method -> [number of orders, amount in satang]
    sales: dict = field(default_factory=dict)
    #: method -> [number of refunds, amount in satang]
    refunds: dict = field(default_factory=dict)
    #: opening float + cash sales - cash refunds
    expected_cash: int = 0
    #: the shift's orders, oldest first
    orders: list = field(default_factory=list)
    #: the refunds handed out during the shift (voids and refunds), oldest first
    refund_rows: list = field(default_factory=list)

    @property
    def cash_in(self) -> int:
        return self.sales.get("cash", [0, 0])[1]

    @property
    def cash_out(self) -> int:
        return self.refunds.get("cash", [0, 0])[1]

    @property
    def difference(self) -> int | None:
        """Counted minus expected (negative: the drawer is short); None while the shift is open."""
        shift = self.shift
        if shift.counted_cash_satang is None or shift.expected_cash_satang is None:
            return None
        return shift.counted_cash_satang - shift.expected_cash_satang


def shift_report(shift: Shift) -> ShiftReport:
    report = ShiftReport(shift)
    report.orders = list(db.session.scalars(select(Order).where(Order.shift_id == shift.id)
                                            .options(selectinload(Order.tickets)).order_by(Order.created_at)))
    report.refund_rows = list(db.session.execute(
        select(Refund, Order).join(Order, Order.id == Refund.order_id).where(Refund.shift_id == shift.id)
        .order_by(Refund.created_at)).all())
    for method, count, amount in db.session.execute(
            select(Payment.method, func.count(), func.coalesce(func.sum(Payment.amount_satang), 0))
            .join(Order, Order.id == Payment.order_id).where(Order.shift_id == shift.id).group_by(Payment.method)):
        report.sales[method] = [count, int(amount)]
    for method, count, amount in db.session.execute(
            select(Refund.method, func.count(), func.coalesce(func.sum(Refund.amount_satang), 0))
            .where(Refund.shift_id == shift.id).group_by(Refund.method)):
        report.refunds[method] = [count, int(amount)]
    report.expected_cash = (shift.opening_float_satang or 0) + report.cash_in - report.cash_out
    return report


def close_shift(actor, counted_cash_satang, note: str = "") -> Shift:
    """Record the cash counted against what the shift should hold; the shift is then frozen. The
    shift is claimed first, so the report counts every sale and refund booked into it."""
    if not isinstance(counted_cash_satang, int) or isinstance(counted_cash_satang, bool) or counted_cash_satang < 0:
        raise Invalid(_("Give the cash counted in the drawer, in baht."),
                      details={"counted_cash": _("Give the cash counted in the drawer, in baht.")})
    shift_id = claim_open_shift(actor)
    if shift_id is None:
        raise Conflict(_("You have no open shift."), code="no_open_shift")
    shift = db.session.get(Shift, shift_id)
    report = shift_report(shift)
    shift.expected_cash_satang, shift.counted_cash_satang = report.expected_cash, counted_cash_satang
    shift.note, shift.closed_at = (note or "").strip()[:500], utcnow()
    audit.record(actor, "shift.close", "shift", shift.id, None,
                 {"expected_cash_satang": report.expected_cash, "counted_cash_satang": counted_cash_satang,
                  "difference_satang": counted_cash_satang - report.expected_cash})
    return shift


# --- the treasurer's side: every shift, its difference, its cash received ------------------------

def all_shifts(organization_id: int | None = None, *, waiting_only: bool = False, limit: int = 500) -> list[Shift]:
    """Shifts of every organization (or one), newest first; ``waiting_only``: closed, cash not yet received."""
    query = select(Shift).options(selectinload(Shift.user), selectinload(Shift.organization),
                                  selectinload(Shift.cash_received_by))
    if organization_id is not None:
        query = query.where(Shift.organization_id == organization_id)
    if waiting_only:
        query = query.where(Shift.closed_at.is_not(None), Shift.cash_received_at.is_(None))
    return list(db.session.scalars(query.order_by(Shift.opened_at.desc(), Shift.id.desc()).limit(limit)))


def mark_cash_received(actor, shift_id) -> Shift:
    """The treasurer took in a closed shift's cash. Once only; audit logged with the amounts."""
    if not may_receive_shift_cash(actor):
        raise Forbidden(_("Only a treasurer marks a shift's cash as received."))
    shift = db.session.get(Shift, shift_id) if isinstance(shift_id, int) else None
    if shift is None:
        raise NotFound(_("No such shift."))
    if shift.closed_at is None:
        raise Conflict(_("The shift is still open: its cash is received after the seller closes it."),
                       code="shift_open")
    now = utcnow()
    # Only one treasurer wins, whoever else clicks at the same moment.
    if db.session.execute(update(Shift).where(Shift.id == shift.id, Shift.cash_received_at.is_(None))
                          .values(cash_received_at=now, cash_received_by_id=actor.id)
                          .execution_options(synchronize_session=False)).rowcount != 1:
        raise Conflict(_("This shift's cash is already marked as received."), code="already_received")
    db.session.refresh(shift)
    audit.record(actor, "shift.cash_received", "shift", shift.id, None,
                 {"counted_cash_satang": shift.counted_cash_satang, "expected_cash_satang": shift.expected_cash_satang,
                  "opening_float_satang": shift.opening_float_satang,
                  "difference_satang": (shift.counted_cash_satang or 0) - (shift.expected_cash_satang or 0)})
    return shift


@dataclass
class CashHandover:
    """One organization's counter cash takings (cash beyond the opening floats), in satang."""
    organization_id: int
    #: takings of shifts whose cash the treasurer marked received (counted cash - opening float)
    received_satang: int = 0
    #: takings still held by the organization: closed shifts not yet received (counted - float) and open
    #: shifts (cash sales - cash refunds so far)
    held_satang: int = 0
    shifts_received: int = 0
    shifts_held: int = 0


def cash_handover(organization_id: int | None = None, *, since: datetime | None = None,
                  until: datetime | None = None) -> dict[int, CashHandover]:
    """Cash received by the treasurer vs cash still held, per organization, as things stood at ``until``
    (default now). ``received_satang`` counts shifts received in [since, until); ``held_satang`` counts
    every shift opened before ``until`` whose cash was not received by then. For statements
    (revenue) and the treasurer's shifts page."""
    until = until or utcnow()
    query = select(Shift).where(Shift.opened_at < until)
    if organization_id is not None:
        query = query.where(Shift.organization_id == organization_id)
    result: dict[int, CashHandover] = {}
    open_ids = []
    shifts = list(db.session.scalars(query))
    for shift in shifts:
        entry = result.setdefault(shift.organization_id, CashHandover(shift.organization_id))
        received = shift.cash_received_at is not None and shift.cash_received_at < until
        closed = shift.closed_at is not None and shift.closed_at < until
        if received:
            if since is None or shift.cash_received_at >= since:
                entry.received_satang += (shift.counted_cash_satang or 0) - shift.opening_float_satang
                entry.shifts_received += 1
        elif closed:
            entry.held_satang += (shift.counted_cash_satang or 0) - shift.opening_float_satang
            entry.shifts_held += 1
        else:
            open_ids.append(shift)
    for shift in open_ids:  # still open at ``until``: what its drawer should hold beyond the float
        entry = result[shift.organization_id]
        cash_in = db.session.scalar(select(func.coalesce(func.sum(Payment.amount_satang), 0))
                                    .join(Order, Order.id == Payment.order_id)
                                    .where(Order.shift_id == shift.id, Payment.method == "cash",
                                           Payment.created_at < until))
        cash_out = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_satang), 0))
                                     .where(Refund.shift_id == shift.id, Refund.method == "cash",
                                            Refund.created_at < until))
        entry.held_satang += int(cash_in) - int(cash_out)
        entry.shifts_held += 1
    return result
