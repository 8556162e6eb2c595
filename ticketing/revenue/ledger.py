"""Writing the ledger in the same transaction as each sale and refund."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import Organization
from ..errors import Conflict
from ..extensions import db
from ..festivals.models import FestivalSession
from ..seating.models import PriceCategory
from .models import LedgerEntry, SplitRule
from .split import Rule, split_order


def central_fund_id() -> int:
    central = db.session.scalar(select(Organization.id).where(Organization.kind == "central"))
    if central is None:
        raise Conflict(_("Set up the central fund's account (an organization of kind central) before selling."),
                       code="no_central_fund")
    return central


def current_rules(festival_id: int) -> tuple[int | None, list[Rule]]:
    """The newest rule-set version of the festival and its rules (None, [] before any rule)."""
    version = db.session.scalar(select(func.max(SplitRule.version)).where(SplitRule.festival_id == festival_id))
    if version is None:
        return None, []
    rows = db.session.scalars(select(SplitRule).where(SplitRule.festival_id == festival_id,
                                                      SplitRule.version == version))
    return version, [Rule(r.kind, r.organization_id, r.category_code, r.basis_points, r.fixed_satang) for r in rows]


def record_sale(order, payment) -> None:
    """Shares (who earns what) and custody (who holds the money) of a paid order."""
    festival_id = db.session.scalar(select(FestivalSession.festival_id).where(FestivalSession.id == order.session_id))
    central = central_fund_id()
    version, rules = current_rules(festival_id)
    codes = dict(db.session.execute(select(PriceCategory.id, PriceCategory.code).where(
        PriceCategory.id.in_({t.category_id for t in order.tickets}))).all())
    lines = [(codes[t.category_id], t.price_satang) for t in order.tickets]
    common = {"festival_id": festival_id, "session_id": order.session_id, "order_id": order.id, "source": "sale"}
    for party, amount in split_order(lines, order.organization_id, rules, central, payment.amount_satang).items():
        db.session.add(LedgerEntry(kind="share", organization_id=party, amount_satang=amount, rule_version=version,
                                   **common))
    if payment.amount_satang:
        db.session.add(LedgerEntry(kind="custody", organization_id=payment.custodian_id or central,
                                   amount_satang=payment.amount_satang, **common))


def record_refund(order) -> None:
    """Reverse every entry of the order's sale (same parties, same rule version, opposite sign)."""
    sale = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                        LedgerEntry.source == "sale")).all()
    for entry in sale:
        db.session.add(LedgerEntry(festival_id=entry.festival_id, session_id=entry.session_id, order_id=order.id,
                                   source="refund", kind=entry.kind, organization_id=entry.organization_id,
                                   amount_satang=-entry.amount_satang, rule_version=entry.rule_version))
