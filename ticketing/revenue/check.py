"""`flask revenue check`: every money invariant, recomputed from scratch. Returns the mismatches."""
from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..festivals.models import Festival
from ..ledger.models import LedgerEntry
from ..sales.models import Order, Payment, Refund
from . import statements
from .models import ClosedPeriod


def _sums(query) -> dict:
    return {k: int(v) for k, v in db.session.execute(query).all()}


def problems() -> list[str]:
    found = []
    paid = _sums(select(Payment.order_id, func.sum(Payment.amount_satang)).group_by(Payment.order_id))
    refunded = _sums(select(Refund.order_id, func.sum(Refund.amount_satang)).group_by(Refund.order_id))
    for kind in ("share", "custody"):
        ledger = _sums(select(LedgerEntry.order_id, func.sum(LedgerEntry.amount_satang))
                       .where(LedgerEntry.kind == kind).group_by(LedgerEntry.order_id))
        for order_id in sorted(set(paid) | set(ledger)):
            expected = paid.get(order_id, 0) - refunded.get(order_id, 0)
            if ledger.get(order_id, 0) != expected:
                found.append(f"order {order_id}: ledger {kind} {ledger.get(order_id, 0)} != payments - refunds {expected}")
    # Custody per organization equals the money it took in minus what it gave back.
    taken = _sums(select(Payment.custodian_id, func.sum(Payment.amount_satang)).where(Payment.amount_satang > 0)
                  .group_by(Payment.custodian_id))
    returned = _sums(select(Refund.custodian_id, func.sum(Refund.amount_satang)).group_by(Refund.custodian_id))
    held = _sums(select(LedgerEntry.organization_id, func.sum(LedgerEntry.amount_satang))
                 .where(LedgerEntry.kind == "custody").group_by(LedgerEntry.organization_id))
    for org in sorted(set(taken) | set(held) | set(returned), key=str):
        if org is None:
            continue
        if held.get(org, 0) != taken.get(org, 0) - returned.get(org, 0):
            found.append(f"organization {org}: custody in ledger {held.get(org, 0)} != "
                         f"payments - refunds held {taken.get(org, 0) - returned.get(org, 0)}")
    total_paid = sum(paid.values()) - sum(refunded.values())
    for kind in ("share", "custody"):
        total = int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_satang), 0))
                                      .where(LedgerEntry.kind == kind)))
        if total != total_paid:
            found.append(f"ledger {kind} total {total} != payments - refunds {total_paid}")
    voided_unrefunded = db.session.scalars(select(Order.id).outerjoin(Refund, Refund.order_id == Order.id)
                                           .where(Order.status == "void", Refund.id.is_(None))).all()
    found += [f"order {o}: void without a refund record" for o in voided_unrefunded]
    found += _statement_problems()
    return found


def _statement_problems() -> list[str]:
    found = []
    for festival in db.session.scalars(select(Festival)):
        bounds = db.session.execute(select(func.min(LedgerEntry.at), func.max(LedgerEntry.at))
                                    .where(LedgerEntry.festival_id == festival.id)).one()
        if bounds[0] is not None:
            found += statement_problems(statements.build(festival.id, bounds[0], bounds[1] + timedelta(seconds=1)))
    for period in db.session.scalars(select(ClosedPeriod)):
        now = statements.build(period.festival_id, period.starts_at, period.ends_at).to_dict()
        if figures(now) != figures(period.snapshot):
            found.append(f"closed period {period.id} ({period.starts_at:%Y-%m-%d %H:%M}): the ledger no longer "
                         "matches the statement as closed")
    return found


def figures(statement: dict) -> dict:
    """The numbers of a statement (as a dict), keyed by organization id: what must not change once its
    period is closed. Names and organizations with nothing in the period are left out, so renaming or
    adding an organization later is not a change of the figures."""
    organizations = {}
    for line in statement["organizations"]:
        numbers = {k: v for k, v in line.items() if k.endswith(("_satang", "tickets_sold", "_tickets", "_voided"))}
        categories = sorted((c["code"], c["tickets"], c["gross_satang"]) for c in line["categories"])
        if any(numbers.values()) or categories:
            organizations[line["organization_id"]] = (numbers, categories)
    central = statement.get("central") or {}
    return {"organizations": organizations, "central": central}


def statement_problems(statement) -> list[str]:
    """A statement's lines add up to its totals; shares + central = gross - refunds."""
    found = []
    c = statement.central
    for line in statement.organizations:
        if sum(cat.tickets for cat in line.categories) != line.tickets_sold:
            found.append(f"{line.code}: category tickets do not add up to tickets sold")
        if line.net_to_central_satang != line.custody_satang - line.share_satang:
            found.append(f"{line.code}: net != custody - share")
    if c is None:  # one organization's statement: no festival-wide totals to compare with
        return found
    if c.shares_to_organizations_satang + c.central_share_satang != c.gross_satang - c.refunds_satang:
        found.append(f"festival {statement.festival_id}: shares + central share != gross - refunds")
    held = sum(line.custody_satang for line in statement.organizations) + c.custody_satang
    if held != c.gross_satang - c.refunds_satang:
        found.append(f"festival {statement.festival_id}: money held != gross - refunds")
    if sum(line.share_satang for line in statement.organizations) != c.shares_to_organizations_satang:
        found.append(f"festival {statement.festival_id}: organization shares do not add up")
    return found
