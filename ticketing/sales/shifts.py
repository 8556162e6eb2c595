"""A seller's shift: opened by the first sale, closed with a cash count; a closed shift never changes."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit
from ..errors import Conflict, Invalid
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, Payment, Refund, Shift


def open_shift(actor) -> Shift | None:
    return db.session.scalar(select(Shift).where(Shift.user_id == actor.id, Shift.closed_at.is_(None)))


def closed_shifts(actor, limit: int = 20) -> list[Shift]:
    """The seller's latest closed shifts, newest first (to reprint a report)."""
    return list(db.session.scalars(select(Shift).where(Shift.user_id == actor.id, Shift.closed_at.is_not(None))
                                   .order_by(Shift.closed_at.desc()).limit(limit)))


def current_shift(actor) -> Shift:
    """The seller's open shift, opened now if there is none."""
    shift = open_shift(actor)
    if shift is None:
        shift = Shift(user_id=actor.id, organization_id=actor.organization_id)
        db.session.add(shift)
        db.session.flush()
        audit.record(actor, "shift.open", "shift", shift.id)
    return shift


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
    """Record the cash counted against what the shift should hold; the shift is then frozen."""
    shift = open_shift(actor)
    if shift is None:
        raise Conflict(_("You have no open shift."), code="no_open_shift")
    if not isinstance(counted_cash_satang, int) or isinstance(counted_cash_satang, bool) or counted_cash_satang < 0:
        raise Invalid(_("Give the cash counted in the drawer, in baht."),
                      details={"counted_cash": _("Give the cash counted in the drawer, in baht.")})
    report = shift_report(shift)
    shift.expected_cash_satang, shift.counted_cash_satang = report.expected_cash, counted_cash_satang
    shift.note, shift.closed_at = (note or "").strip()[:500], utcnow()
    audit.record(actor, "shift.close", "shift", shift.id, None,
                 {"expected_cash_satang": report.expected_cash, "counted_cash_satang": counted_cash_satang,
                  "difference_satang": counted_cash_satang - report.expected_cash})
    return shift
