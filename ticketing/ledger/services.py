"""Writing the ledger in the same transaction as each sale and refund."""
import json
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..accounts.models import central_fund_id
from ..errors import Conflict
from ..extensions import db
from ..festivals.models import FestivalSession
from ..seating.models import PriceCategory
from ..timeutil import utcnow
from .models import LedgerEntry, SplitRule, SplitRuleSet
from .split import Rule, split_order, split_parts


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


def rules_json(festival_id, version, dialect: str):
    """SQL: the rules of (festival, version) as one JSON array of [kind, organization_id, category_code,
    basis_points, fixed_satang] (NULL or empty when there are none), so that a sale reads them in its
    own statement. ``dialect``: the database's (PostgreSQL's json_agg, SQLite's json_group_array)."""
    row = (SplitRule.kind, SplitRule.organization_id, SplitRule.category_code, SplitRule.basis_points,
           SplitRule.fixed_satang)
    if dialect == "postgresql":
        rules = func.json_agg(func.json_build_array(*row))
    else:
        rules = func.json_group_array(func.json_array(*row))
    return (select(rules).where(SplitRule.festival_id == festival_id, SplitRule.version == version)
            .scalar_subquery())


def rules_from_json(value) -> list[Rule]:
    """The rules ``rules_json`` read (JSON text on SQLite, already parsed on PostgreSQL)."""
    if isinstance(value, str):
        value = json.loads(value)
    return [Rule(*row) for row in value or []]


@dataclass
class SaleFacts:
    """What the ledger needs to know about a sale's festival: read once, in the sale's own statement."""
    festival_id: int
    central_id: int | None
    rule_version: int | None
    rules: list[Rule]


def sale_facts(session_id: int) -> SaleFacts:
    """The festival of the session, the central fund, the newest rule version and its rules (one query)."""
    festival_id, central, version = db.session.execute(
        select(FestivalSession.festival_id, central_fund_id(), latest_version(FestivalSession.festival_id))
        .where(FestivalSession.id == session_id)).one()
    return SaleFacts(festival_id, central, version, _rules(festival_id, version))


def sale_entries(facts: SaleFacts, *, order_id: str, session_id: int, seller_organization_id: int | None,
                 lines: list[tuple[str, int]], paid: int, custodian_id: int | None, at) -> list[dict]:
    """The ledger rows of a paid order: its split (who earns what, per party, kind and rate, adding up to
    ``paid`` exactly) and its custody (who holds the money). ``lines``: (category code, price) per
    ticket. Refuses a sale while the central fund's account is missing."""
    if facts.central_id is None:
        raise Conflict(_("Set up the central fund's account (an organization of kind central) before selling."),
                       code="no_central_fund")
    common = {"festival_id": facts.festival_id, "session_id": session_id, "order_id": order_id, "source": "sale",
              "at": at}
    rows = [dict(kind="share", share_kind=part.kind, organization_id=part.organization_id,
                 amount_satang=part.amount_satang, rule_version=facts.rule_version, basis_points=part.basis_points,
                 fixed_satang=part.fixed_satang, **common)
            for part in split_parts(lines, seller_organization_id, facts.rules, facts.central_id, paid)]
    if paid:
        rows.append(dict(kind="custody", organization_id=custodian_id or facts.central_id, amount_satang=paid,
                         rule_version=None, share_kind=None, basis_points=None, fixed_satang=None, **common))
    return rows


def record_sale(order, payment, category_codes: dict[int, str]) -> None:
    """Shares (who earns what) and custody (who holds the money) of a paid order, inserted in one
    statement after the order itself. The festival, the central fund and the newest rule version come
    in one query. (The counter's sale path reads these facts in its own claim statement and writes the
    rows of ``sale_entries`` together with the order.)"""
    facts = sale_facts(order.session_id)
    rows = sale_entries(facts, order_id=order.id, session_id=order.session_id,
                        seller_organization_id=order.organization_id,
                        lines=[(category_codes[t.category_id], t.price_satang) for t in order.tickets],
                        paid=payment.amount_satang, custodian_id=payment.custodian_id, at=utcnow())
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
                                   amount_satang=-entry.amount_satang, rule_version=entry.rule_version,
                                   share_kind=entry.share_kind, basis_points=entry.basis_points,
                                   fixed_satang=entry.fixed_satang))


#: what makes two ledger lines "the same line" when one reverses the other
_KEY_COLUMNS = tuple(c for c in ("kind", "share_kind", "organization_id", "rule_version", "basis_points",
                                 "fixed_satang") if c in LedgerEntry.__table__.c)


def _entry_key(entry) -> tuple:
    return tuple(getattr(entry, c) for c in _KEY_COLUMNS)


def _spread(amount: int, weights: dict) -> dict:
    """``amount`` over ``weights``' keys in proportion, by largest remainder (ties: key order)."""
    total = sum(weights.values())
    if not total:
        first = next(iter(weights))
        return {first: amount}
    exact = {k: Fraction(amount * w, total) for k, w in weights.items()}
    whole = {k: v.numerator // v.denominator for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: -(exact[k] - whole[k]))[:amount - sum(whole.values())]:
        whole[k] += 1
    return whole


def record_ticket_refund(order, tickets, refunded_before, amount_satang: int, custodian_id: int | None,
                         at) -> None:
    """Reverse exactly the shares of ``tickets`` (some or all of the order's tickets still valid) and
    take ``amount_satang`` out of ``custodian_id``'s custody, at ``at`` (the refund's own time).

    Which shares are "those tickets'": each party's part of the order's split (same rule version,
    same largest-remainder rule, ``split_order``) of every ticket refunded so far (``refunded_before``
    and ``tickets``), minus what earlier refunds of the order already reversed; a party's part is
    reversed line by line as its sale was written (kind and rate), in proportion. Refunding the order's
    last valid tickets reverses whatever is left of the sale, so a fully refunded order nets to exactly
    zero for every party and line, however its tickets were refunded."""
    sale = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                        LedgerEntry.source == "sale")).all()
    done = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                        LedgerEntry.source == "refund",
                                                        LedgerEntry.kind == "share")).all()
    shares = [e for e in sale if e.kind == "share"]
    if not shares and not amount_satang:
        return  # complimentary seats: nothing was paid, nothing to reverse
    sold: dict[tuple, int] = {}
    for entry in shares:
        sold[_entry_key(entry)] = sold.get(_entry_key(entry), 0) + entry.amount_satang
    reversed_: dict[tuple, int] = {}
    for entry in done:
        reversed_[_entry_key(entry)] = reversed_.get(_entry_key(entry), 0) - entry.amount_satang
    gone = list(refunded_before) + list(tickets)
    party = _KEY_COLUMNS.index("organization_id")
    if len({t.id for t in gone}) >= len(order.tickets):  # the last tickets: everything that is left
        target = dict(sold)
    elif shares:
        first = shares[0]
        codes = dict(db.session.execute(select(PriceCategory.id, PriceCategory.code).where(
            PriceCategory.id.in_({t.category_id for t in gone}))).all())
        lines = [(codes[t.category_id], t.price_satang) for t in gone]
        central = db.session.scalar(select(central_fund_id()))
        per_party = split_order(lines, order.organization_id, _rules(first.festival_id, first.rule_version),
                                central, sum(price for _c, price in lines))
        target = {}
        for org, amount in per_party.items():
            target.update(_spread(amount, {k: v for k, v in sold.items() if k[party] == org}
                                  or {("share",) + tuple(org if c == "organization_id" else first.rule_version
                                                         if c == "rule_version" else None
                                                         for c in _KEY_COLUMNS[1:]): 0}))
    else:
        target = {}
    festival_id = sale[0].festival_id if sale else db.session.scalar(
        select(FestivalSession.festival_id).where(FestivalSession.id == order.session_id))
    common = {"festival_id": festival_id, "session_id": order.session_id, "order_id": order.id,
              "source": "refund", "at": at}
    rows = []
    for key in sorted(set(target) | set(reversed_), key=str):
        amount = target.get(key, 0) - reversed_.get(key, 0)
        if amount:
            rows.append(dict(zip(_KEY_COLUMNS, key), amount_satang=-amount, **common))
    if amount_satang:
        custody = dict.fromkeys(_KEY_COLUMNS)
        custody.update(kind="custody", organization_id=custodian_id or db.session.scalar(select(central_fund_id())))
        rows.append(dict(custody, amount_satang=-amount_satang, **common))
    if rows:
        db.session.flush()
        db.session.execute(insert(LedgerEntry), rows)
