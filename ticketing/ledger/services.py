"""Writing the ledger in the same transaction as each sale and refund."""
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..accounts.models import central_fund_id
from ..errors import Conflict
from ..extensions import db
from ..festivals.models import FestivalSession
from ..timeutil import utcnow
from .models import LedgerEntry, SplitRule, SplitRuleSet
from .split import Rule, split_order


def latest_version(festival_id):
    """The newest rule-set version of a festival, as a subquery (None before any rule). A version may
    have no rules at all (everything to the central fund): the versions are ``SplitRuleSet`` rows."""
    return select(func.max(SplitRuleSet.version)).where(SplitRuleSet.festival_id == festival_id).scalar_subquery()


def _rules(festival_id: int, version: int | None) -> list[Rule]:
    if version is None:
        return []
    rows = db.session.scalars(select(SplitRule).where(SplitRule.festival_id == festival_id,
                                                      SplitRule.version == version))
    return [Rule(r.kind, r.organization_id, r.category_code, r.basis_points, r.fixed_satang) for r in rows]


def current_rules(festival_id: int) -> tuple[int | None, list[Rule]]:
    """The newest rule-set version of the festival and its rules (None, [] before any rule)."""
    version = db.session.scalar(select(latest_version(festival_id)))
    return version, _rules(festival_id, version)


def record_sale(order, payment, category_codes: dict[int, str]) -> None:
    """Shares (who earns what) and custody (who holds the money) of a paid order, inserted in one
    statement after the order itself. The festival, the central fund and the newest rule version come
    in one query, so the sale path stays short."""
    festival_id, central, version = db.session.execute(
        select(FestivalSession.festival_id, central_fund_id(), latest_version(FestivalSession.festival_id))
        .where(FestivalSession.id == order.session_id)).one()
    if central is None:
        raise Conflict(_("Set up the central fund's account (an organization of kind central) before selling."),
                       code="no_central_fund")
    rules = _rules(festival_id, version)
    lines = [(category_codes[t.category_id], t.price_satang) for t in order.tickets]
    common = {"festival_id": festival_id, "session_id": order.session_id, "order_id": order.id, "source": "sale",
              "at": utcnow()}
    rows = [dict(kind="share", organization_id=party, amount_satang=amount, rule_version=version, **common)
            for party, amount in split_order(lines, order.organization_id, rules, central, payment.amount_satang).items()]
    if payment.amount_satang:
        rows.append(dict(kind="custody", organization_id=payment.custodian_id or central,
                         amount_satang=payment.amount_satang, rule_version=None, **common))
    if rows:
        db.session.flush()  # the order first: the entries refer to it
        db.session.execute(insert(LedgerEntry), rows)


def record_refund(order) -> None:
    """Reverse every entry of the order's sale (same parties, same rule version, opposite sign)."""
    sale = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                        LedgerEntry.source == "sale")).all()
    for entry in sale:
        db.session.add(LedgerEntry(festival_id=entry.festival_id, session_id=entry.session_id, order_id=order.id,
                                   source="refund", kind=entry.kind, organization_id=entry.organization_id,
                                   amount_satang=-entry.amount_satang, rule_version=entry.rule_version))
