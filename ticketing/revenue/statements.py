"""Settlement statements: per organization and for the central fund, over a period, from the ledger.

A period is [starts_at, ends_at) in UTC; every figure comes from ledger entries written in it, so a
refund made after a period was closed lands in the period it was made in, never in the closed one.
"""
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select

from ..accounts.models import Organization
from ..extensions import db
from ..festivals.models import Festival, FestivalSession
from ..ledger.models import LedgerEntry
from ..ledger.split import SHARE_KINDS
from ..sales.models import Order, Refund, Ticket
from ..seating.models import PriceCategory
from ..timeutil import BANGKOK, utcnow
from .models import ClosedPeriod, Expense


@dataclass
class CategoryLine:
    code: str
    name_th: str
    name_en: str
    tickets: int = 0
    gross_satang: int = 0


@dataclass
class ShareLine:
    """A part of a share, by kind (``ledger.split.SHARE_KINDS``), with the rule version and the rate
    that produced it (basis points or a fixed amount per ticket; both None for the central fund's
    remainder and for entries written before the kinds were recorded)."""
    kind: str
    rule_version: int | None
    basis_points: int | None
    fixed_satang: int | None
    amount_satang: int = 0
    #: the entries (source ``fee``) that move a payment processor's fee out of the central fund's share
    #: into its ``processor_fee`` line (``ledger.fees``), rather than the split of a sale
    fee: bool = False


@dataclass
class OrganizationStatement:
    organization_id: int
    code: str
    name_th: str
    name_en: str
    categories: list[CategoryLine] = field(default_factory=list)
    #: tickets paid for in the period, and what was paid
    tickets_sold: int = 0
    gross_satang: int = 0
    #: complimentary seats given in the period and not voided
    complimentary_tickets: int = 0
    #: tickets voided and money refunded in the period (positive numbers)
    tickets_voided: int = 0
    refunds_satang: int = 0
    #: what the organization earned (commission, operator fees), net of reversals
    share_satang: int = 0
    #: gross - refunds
    net_sales_satang: int = 0
    #: its own by-product revenue by kind (they add up to share_satang): as a seller, as an operator
    commission_satang: int = 0
    operator_fee_satang: int = 0
    #: the same, line by line with the rule version and rate
    shares: list[ShareLine] = field(default_factory=list)
    #: money it physically holds (cash and transfers taken at its counter), net of refunds
    custody_satang: int = 0
    #: custody - share: positive = to remit to the central fund; negative = to receive from it
    net_to_central_satang: int = 0


ONLINE = "online"


@dataclass
class OnlineSales:
    """The online shop's line: orders of channel ``online`` have no selling organization; the buyer paid
    the central fund's account (Stripe), their split goes to the central fund and the operators, and the
    payment processor's fee is the central fund's cost (already in ``CentralSummary.fees_satang``)."""
    code: str = ONLINE
    categories: list[CategoryLine] = field(default_factory=list)
    #: tickets paid for in the period, and what was paid
    tickets_sold: int = 0
    gross_satang: int = 0
    #: tickets voided and money refunded (through Stripe) in the period (positive numbers)
    tickets_voided: int = 0
    refunds_satang: int = 0
    #: gross - refunds
    net_sales_satang: int = 0
    #: the payment processor's fees on these orders (a refund does not give them back)
    fees_satang: int = 0


@dataclass
class CentralSummary:
    gross_satang: int = 0
    refunds_satang: int = 0
    #: shares earned by the member organizations
    shares_to_organizations_satang: int = 0
    central_share_satang: int = 0
    #: payment processor fees (Stripe's, on online orders), charged to the central fund: part of its
    #: share (``processor_fee`` lines), taken off in ``net_satang``
    fees_satang: int = 0
    expenses_satang: int = 0
    #: money held in the central fund's own accounts
    custody_satang: int = 0
    #: central share - fees - expenses
    net_satang: int = 0
    #: gross - refunds
    net_sales_satang: int = 0
    #: what members are to remit to it in total (their positive nets) and what it owes members (the
    #: negative nets, as a positive amount)
    receivable_satang: int = 0
    payable_satang: int = 0
    #: held + receivable - payable: always equal to central_share_satang (the reconciliation line)
    reconciled_satang: int = 0
    #: the central share (and any payment-processor fee) line by line with the rule version
    shares: list[ShareLine] = field(default_factory=list)


@dataclass
class Statement:
    festival_id: int
    festival_th: str
    festival_en: str
    starts_at: str
    ends_at: str
    generated_at: str
    #: the whole period lies inside closed periods (its figures can no longer change)
    closed: bool
    organizations: list[OrganizationStatement]
    #: None in one organization's statement: the festival-wide figures are the treasurer's
    central: CentralSummary | None
    #: the parts of the period outside every closed period, [start, end) in ISO 8601: figures there
    #: may still change (empty when the statement is closed)
    open_parts: list[list[str]] = field(default_factory=list)
    #: the online shop's line (no selling organization); None in one organization's statement
    online: OnlineSales | None = None

    @property
    def partly_closed(self) -> bool:
        """Some of the period is closed, some may still change (``open_parts``)."""
        return not self.closed and self.open_parts != [[self.starts_at, self.ends_at]]

    def open_periods(self) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in self.open_parts]

    def to_dict(self) -> dict:
        return asdict(self)


def _period(festival_id, starts_at, ends_at):
    return and_(LedgerEntry.festival_id == festival_id, LedgerEntry.at >= starts_at, LedgerEntry.at < ends_at)


def build(festival_id: int, starts_at: datetime, ends_at: datetime, organization_id: int | None = None) -> Statement:
    """The statement of one festival over [starts_at, ends_at), for every organization (or one)."""
    festival = db.session.get(Festival, festival_id)
    in_period = _period(festival_id, starts_at, ends_at)
    central = db.session.scalar(select(Organization).where(Organization.kind == "central"))
    orgs = db.session.scalars(select(Organization).where(Organization.kind == "member")
                              .order_by(Organization.position, Organization.id)).all()
    lines = {o.id: OrganizationStatement(o.id, o.code, o.name_th, o.name_en) for o in orgs
             if organization_id in (None, o.id)}
    summary = CentralSummary()
    # Shares (by kind, rule version and rate) and custody per party.
    moved_fee = case((LedgerEntry.source == "fee", 1), else_=0)
    detail = (LedgerEntry.share_kind, LedgerEntry.rule_version, LedgerEntry.basis_points, LedgerEntry.fixed_satang,
              moved_fee)
    for org_id, kind, share_kind, version, bps, fixed, fee, amount in db.session.execute(
            select(LedgerEntry.organization_id, LedgerEntry.kind, *detail, func.sum(LedgerEntry.amount_satang))
            .where(in_period).group_by(LedgerEntry.organization_id, LedgerEntry.kind, *detail)
            .order_by(LedgerEntry.organization_id, LedgerEntry.share_kind, LedgerEntry.rule_version,
                      LedgerEntry.basis_points, LedgerEntry.fixed_satang, moved_fee)):
        amount = int(amount)
        if kind == "share":
            _add_share(summary if central and org_id == central.id else lines.get(org_id),
                       ShareLine(share_kind, version, bps, fixed, amount, bool(fee)))
        if share_kind == "processor_fee":
            summary.fees_satang += amount
        if central and org_id == central.id:
            if kind == "share":
                summary.central_share_satang += amount
            else:
                summary.custody_satang += amount
        elif org_id in lines:
            setattr(lines[org_id], f"{kind}_satang", getattr(lines[org_id], f"{kind}_satang") + amount)
        if kind == "share" and (not central or org_id != central.id):
            summary.shares_to_organizations_satang += amount
    online = OnlineSales() if organization_id is None else None
    # Gross and refunds per selling organization, and the online shop's (custody entries are exactly the
    # money paid / returned).
    for seller, channel, source, amount in db.session.execute(
            select(Order.organization_id, Order.channel, LedgerEntry.source, func.sum(LedgerEntry.amount_satang))
            .join(Order, Order.id == LedgerEntry.order_id).where(in_period, LedgerEntry.kind == "custody")
            .group_by(Order.organization_id, Order.channel, LedgerEntry.source)):
        amount = int(amount)
        if source == "sale":
            summary.gross_satang += amount
        else:
            summary.refunds_satang -= amount
        line = lines.get(seller) if channel != ONLINE else online
        if line is not None:
            if source == "sale":
                line.gross_satang += amount
            else:
                line.refunds_satang -= amount
    if online is not None:
        online.fees_satang = int(db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_satang), 0)).join(Order, Order.id == LedgerEntry.order_id)
            .where(in_period, Order.channel == ONLINE, LedgerEntry.source == "fee",
                   LedgerEntry.share_kind == "processor_fee")))
        online.net_sales_satang = online.gross_satang - online.refunds_satang
    _ticket_counts(festival_id, in_period, starts_at, ends_at, lines, online)
    summary.expenses_satang = expenses_total(festival_id, starts_at, ends_at)
    summary.net_satang = summary.central_share_satang - summary.fees_satang - summary.expenses_satang
    for line in lines.values():
        line.net_to_central_satang = line.custody_satang - line.share_satang
        line.net_sales_satang = line.gross_satang - line.refunds_satang
    summary.net_sales_satang = summary.gross_satang - summary.refunds_satang
    for owner in [*lines.values(), summary]:  # as a seller first, then as an operator
        owner.shares.sort(key=lambda share: (SHARE_KINDS.index(share.kind) if share.kind in SHARE_KINDS else 9,
                                             share.fee, share.rule_version or 0))
    summary.receivable_satang = sum(line.net_to_central_satang for line in lines.values()
                                    if line.net_to_central_satang > 0)
    summary.payable_satang = -sum(line.net_to_central_satang for line in lines.values()
                                  if line.net_to_central_satang < 0)
    summary.reconciled_satang = summary.custody_satang + summary.receivable_satang - summary.payable_satang
    still_open = open_parts(festival_id, starts_at, ends_at)
    return Statement(festival_id, festival.name_th, festival.name_en, starts_at.isoformat(), ends_at.isoformat(),
                     utcnow().isoformat(), not still_open, list(lines.values()),
                     summary if organization_id is None else None,
                     [[a.isoformat(), b.isoformat()] for a, b in still_open], online)


def _add_share(line, share: ShareLine) -> None:
    """One share line on an organization's statement (or the central fund's), merged with an equal one."""
    if line is None or not share.amount_satang:
        return
    for known in line.shares:
        if (known.kind, known.rule_version, known.basis_points, known.fixed_satang, known.fee) == \
                (share.kind, share.rule_version, share.basis_points, share.fixed_satang, share.fee):
            known.amount_satang += share.amount_satang
            break
    else:
        line.shares.append(share)
    if isinstance(line, OrganizationStatement):
        if share.kind == "seller_commission":
            line.commission_satang += share.amount_satang
        elif share.kind == "operator_fee":
            line.operator_fee_satang += share.amount_satang


def _ticket_counts(festival_id, in_period, starts_at, ends_at, lines, online: OnlineSales | None) -> None:
    """Tickets paid for (by category), voided and given away in the period, per selling organization
    and for the online shop."""
    def line_of(seller, channel):
        return online if channel == ONLINE else lines.get(seller)
    for seller, channel, code, th, en, count, gross in db.session.execute(
            select(Order.organization_id, Order.channel, PriceCategory.code, PriceCategory.name_th,
                   PriceCategory.name_en, func.count(Ticket.id), func.sum(Ticket.price_satang))
            .select_from(LedgerEntry).join(Order, Order.id == LedgerEntry.order_id)
            .join(Ticket, Ticket.order_id == Order.id).join(PriceCategory, PriceCategory.id == Ticket.category_id)
            .where(in_period, LedgerEntry.kind == "custody", LedgerEntry.source == "sale")
            .group_by(Order.organization_id, Order.channel, PriceCategory.code, PriceCategory.name_th,
                      PriceCategory.name_en).order_by(PriceCategory.code)):
        line = line_of(seller, channel)
        if line is None:
            continue
        line.tickets_sold += count
        line.categories.append(CategoryLine(code, th, en, count, int(gross)))
    # Tickets refunded in the period: each refund names its tickets (one refund may be one ticket of an
    # order); its ledger entries carry the refund's own time.
    for seller, channel, count in db.session.execute(
            select(Order.organization_id, Order.channel, func.count(Ticket.id)).select_from(Refund)
            .join(Ticket, Ticket.refund_id == Refund.id).join(Order, Order.id == Refund.order_id)
            .join(FestivalSession, FestivalSession.id == Order.session_id)
            .where(FestivalSession.festival_id == festival_id, Refund.amount_satang > 0,
                   Refund.created_at >= starts_at, Refund.created_at < ends_at)
            .group_by(Order.organization_id, Order.channel)):
        line = line_of(seller, channel)
        if line is not None:
            line.tickets_voided += count
    for seller, count in db.session.execute(
            select(Order.organization_id, func.count(Ticket.id)).join(Ticket, Ticket.order_id == Order.id)
            .join(FestivalSession, FestivalSession.id == Order.session_id)
            .where(FestivalSession.festival_id == festival_id, Order.channel == "complimentary",
                   # not voided by the end of the period (a later void leaves a closed period as it was)
                   or_(Ticket.status == "valid", and_(Order.voided_at.is_not(None), Order.voided_at >= ends_at)),
                   Order.created_at >= starts_at, Order.created_at < ends_at).group_by(Order.organization_id)):
        if seller in lines:
            lines[seller].complimentary_tickets = count


def expenses_total(festival_id: int, starts_at: datetime, ends_at: datetime) -> int:
    """Expenses whose moment (``Expense.spent_at``) falls in [starts_at, ends_at): each expense counts
    in exactly one of two adjacent periods, never in both halves of its day."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Expense.amount_satang), 0)).where(
        Expense.festival_id == festival_id, Expense.spent_at >= starts_at, Expense.spent_at < ends_at)))


def whole_festival(festival_id: int) -> tuple[datetime, datetime]:
    """The whole festival as a period: from its first sale or expense (now, when there is none) to now."""
    now = utcnow()
    firsts = [db.session.scalar(select(func.min(LedgerEntry.at)).where(LedgerEntry.festival_id == festival_id)),
              db.session.scalar(select(func.min(Expense.spent_at)).where(Expense.festival_id == festival_id))]
    return min([t for t in firsts if t is not None] + [now]), now


def open_parts(festival_id: int, starts_at: datetime, ends_at: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [starts_at, ends_at) that no closed period covers, in order (empty: all closed)."""
    parts, cursor = [], starts_at
    for start, end in db.session.execute(select(ClosedPeriod.starts_at, ClosedPeriod.ends_at).where(
            ClosedPeriod.festival_id == festival_id, ClosedPeriod.starts_at < ends_at,
            ClosedPeriod.ends_at > starts_at).order_by(ClosedPeriod.starts_at)):
        if start > cursor:
            parts.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < ends_at:
        parts.append((cursor, ends_at))
    return parts


def is_closed(festival_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """Some closed period overlaps [starts_at, ends_at) (nothing may be added there)."""
    return db.session.scalar(select(ClosedPeriod.id).where(
        ClosedPeriod.festival_id == festival_id, ClosedPeriod.starts_at < ends_at,
        ClosedPeriod.ends_at > starts_at)) is not None


def day_bounds(day) -> tuple[datetime, datetime]:
    """A festival day in Ubon, as a UTC period."""
    start = datetime.combine(day, time(0, 0), tzinfo=BANGKOK)
    return start.astimezone(utcnow().tzinfo), (start + timedelta(days=1)).astimezone(utcnow().tzinfo)
