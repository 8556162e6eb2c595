"""Figures for the treasurer's dashboard: sales broken down several ways, and fairness of allocation."""
from collections import defaultdict
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import Organization
from ..extensions import db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory
from ..sales.models import Order, Payment, Refund, Ticket
from ..seating.models import PriceCategory
from ..ledger.models import LedgerEntry
from .statements import day_bounds


def _name(model, lang: str):
    return model.name_en if lang == "en" else model.name_th


def breakdowns(festival_id: int, starts_at: datetime, ends_at: datetime,
               lang: str = "th") -> dict[str, list[tuple[str, int]]]:
    """Money paid (net of refunds) per organization, session, category and payment method, with names
    in ``lang``."""
    org_name, session_name, category_name = _name(Organization, lang), _name(FestivalSession, lang), \
        _name(PriceCategory, lang)
    in_period = (LedgerEntry.festival_id == festival_id, LedgerEntry.at >= starts_at, LedgerEntry.at < ends_at,
                 LedgerEntry.kind == "custody")
    net = func.sum(LedgerEntry.amount_satang)

    def rows(query):
        return [(str(label if label is not None else "-"), int(amount)) for label, amount in db.session.execute(query)]
    by_org = rows(select(org_name, net).join(Order, Order.id == LedgerEntry.order_id)
                  .outerjoin(Organization, Organization.id == Order.organization_id).where(*in_period)
                  .group_by(org_name, Organization.position).order_by(Organization.position))
    # online orders have no selling organization: their bar is the online shop's
    by_org = [(_("Online shop") if label == "-" else label, amount) for label, amount in by_org]
    by_session = rows(select(session_name, net).join(FestivalSession, FestivalSession.id == LedgerEntry.session_id)
                      .where(*in_period).group_by(session_name, FestivalSession.starts_at)
                      .order_by(FestivalSession.starts_at))
    by_method = rows(select(Payment.method, net).join(Payment, Payment.order_id == LedgerEntry.order_id)
                     .where(*in_period).group_by(Payment.method).order_by(Payment.method))
    # Per category: the prices of the tickets of orders paid in the period, less the tickets refunded in it
    # (each refund names its own tickets: a refund of one ticket takes off that ticket only).
    price = func.sum(Ticket.price_satang)
    sold = db.session.execute(
        select(PriceCategory.id, category_name, price).select_from(LedgerEntry)
        .join(Ticket, Ticket.order_id == LedgerEntry.order_id)
        .join(PriceCategory, PriceCategory.id == Ticket.category_id)
        .where(*in_period, LedgerEntry.source == "sale").group_by(PriceCategory.id, category_name)).all()
    refunded = db.session.execute(
        select(PriceCategory.id, category_name, price).select_from(Refund)
        .join(Ticket, Ticket.refund_id == Refund.id).join(PriceCategory, PriceCategory.id == Ticket.category_id)
        .join(FestivalSession, FestivalSession.id == Ticket.session_id)
        .where(FestivalSession.festival_id == festival_id, Refund.amount_satang > 0, Refund.created_at >= starts_at,
               Refund.created_at < ends_at).group_by(PriceCategory.id, category_name)).all()
    categories = {}
    for category_id, label, amount in sold:
        categories[category_id] = [label, int(amount)]
    for category_id, label, amount in refunded:
        categories.setdefault(category_id, [label, 0])[1] -= int(amount)
    by_category = [(str(label), amount) for _id, (label, amount) in sorted(categories.items())]
    return {"organization": by_org, "session": by_session, "category": by_category, "method": by_method}


#: a day-by-day chart for periods up to this long (a festival's selling season); longer ones skip it
MAX_DAYS = 62


def by_day(festival_id: int, first: date, last: date) -> list[tuple[date, int]]:
    """Money paid (net of refunds) on each Ubon day from ``first`` to ``last``: sales over time."""
    if (last - first).days + 1 > MAX_DAYS:
        return []
    days = []
    day = first
    while day <= last:
        starts, ends = day_bounds(day)
        amount = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_satang), 0)).where(
            LedgerEntry.festival_id == festival_id, LedgerEntry.kind == "custody",
            LedgerEntry.at >= starts, LedgerEntry.at < ends))
        days.append((day, int(amount)))
        day += timedelta(days=1)
    return days


def fairness(festival_id: int, lang: str = "th") -> list[dict]:
    """Per session and organization: seats allocated, and how many of those are sold."""
    table = defaultdict(lambda: {"allocated": 0, "sold": 0})
    session_name, org_name = _name(FestivalSession, lang), _name(Organization, lang)
    for session_label, org_label, state, count in db.session.execute(
            select(session_name, org_name, SeatInventory.state, func.count())
            .join(FestivalSession, FestivalSession.id == SeatInventory.session_id)
            .join(Organization, Organization.id == SeatInventory.organization_id)
            .where(FestivalSession.festival_id == festival_id)
            .group_by(session_name, FestivalSession.starts_at, org_name, Organization.position, SeatInventory.state)
            .order_by(FestivalSession.starts_at, Organization.position)):
        row = table[(session_label, org_label)]
        row["allocated"] += count
        row["sold"] += count if state == "sold" else 0
    return [{"session": s, "organization": o, **v} for (s, o), v in table.items()]
