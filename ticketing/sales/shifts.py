"""A seller's shift: opened by the first sale, closed with a cash count; a closed shift never changes."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import Conflict, Invalid
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, Payment, Refund, Shift


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


@dataclass
class ShiftReport:
    shift: Shift
    #: method -> [number of orders, amount in satang]
    sales: dict = field(default_factory=dict)
    #: method -> [number of refunds, amount in satang]
    refunds: dict = field(default_factory=dict)
    expected_cash: int = 0


def shift_report(shift: Shift) -> ShiftReport:
    report = ShiftReport(shift)
    for method, count, amount in db.session.execute(
            select(Payment.method, func.count(), func.coalesce(func.sum(Payment.amount_satang), 0))
            .join(Order, Order.id == Payment.order_id).where(Order.shift_id == shift.id).group_by(Payment.method)):
        report.sales[method] = [count, int(amount)]
    for method, count, amount in db.session.execute(
            select(Refund.method, func.count(), func.coalesce(func.sum(Refund.amount_satang), 0))
            .where(Refund.shift_id == shift.id).group_by(Refund.method)):
        report.refunds[method] = [count, int(amount)]
    report.expected_cash = report.sales.get("cash", [0, 0])[1] - report.refunds.get("cash", [0, 0])[1]
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
