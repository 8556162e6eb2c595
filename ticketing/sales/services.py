"""Selling seats: one transaction moves every seat to sold with a conditional update and writes the
order, its tickets, the payment and the audit entry; if any seat was lost, nothing is written.

Two guards make a double sale impossible: the conditional update (a seat changes only from
available, or from an expired hold or one held by this seller), and the database's unique index
on live tickets per (session, seat).
"""
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.models import Organization
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory
from ..seating.models import PriceCategory, Seat
from ..timeutil import utcnow
from .models import Order, Payment, Ticket

SALE_METHODS = ("cash", "transfer", "promptpay")
MAX_SEATS_PER_ORDER = 50


class SeatsTaken(Conflict):
    code = "seats_taken"


def _central_fund_id() -> int | None:
    return db.session.scalar(select(Organization.id).where(Organization.kind == "central"))


def custodian_for(method: str, organization_id: int) -> int | None:
    """Who holds the money: cash stays at the selling counter; transfers and PromptPay go to the
    central fund's account (the per-organization account settings come with the payments work)."""
    return organization_id if method == "cash" else _central_fund_id()


def _validate(actor, session_id, seat_ids, payment_method) -> tuple[FestivalSession, list[int]]:
    if not actor.has_role("seller") or actor.organization_id is None:
        raise Forbidden(_("Only a seller of a member organization can sell seats."))
    errors = {}
    session = db.session.get(FestivalSession, session_id) if isinstance(session_id, int) else None
    if session is None:
        errors["session_id"] = _("No such session.")
    if payment_method not in SALE_METHODS:
        errors["payment_method"] = _("Choose cash, bank transfer or PromptPay.")
    ids = []
    if not isinstance(seat_ids, list) or not seat_ids:
        errors["seat_ids"] = _("Select at least one seat.")
    elif len(seat_ids) > MAX_SEATS_PER_ORDER:
        errors["seat_ids"] = _("At most %(n)d seats in one order.", n=MAX_SEATS_PER_ORDER)
    elif not all(isinstance(i, int) and not isinstance(i, bool) for i in seat_ids) or len(set(seat_ids)) != len(seat_ids):
        errors["seat_ids"] = _("Seat numbers must be whole numbers, each once.")
    else:
        ids = sorted(seat_ids)
    if errors:
        raise Invalid(_("Some values are wrong."), details=errors)
    known = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise Invalid(_("These seats are not part of this session: %(ids)s", ids=", ".join(map(str, unknown[:20]))),
                      code="unknown_seats", details={"seat_ids": unknown})
    return session, ids


def _refuse_other_allocations(actor, session, ids) -> None:
    foreign = list(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids),
        SeatInventory.organization_id.is_not(None), SeatInventory.organization_id != actor.organization_id)))
    if foreign:
        raise Forbidden(_("These seats are allocated to another organization."), code="not_your_allocation",
                        details={"seats": sorted(foreign)})


def existing_order(actor, idempotency_key: str | None) -> Order | None:
    if not idempotency_key:
        return None
    return db.session.scalar(select(Order).where(Order.seller_id == actor.id, Order.idempotency_key == idempotency_key))


def sell(actor, session_id, seat_ids, payment_method, buyer: dict | None = None, *,
         idempotency_key: str | None = None) -> Order:
    """Sell seats at a counter. Raises SeatsTaken (409) listing lost seats; nothing is written then."""
    earlier = existing_order(actor, idempotency_key)
    if earlier is not None:
        return earlier
    session, ids = _validate(actor, session_id, seat_ids, payment_method)
    _refuse_other_allocations(actor, session, ids)
    now = utcnow()
    free = or_(SeatInventory.state == "available",
               and_(SeatInventory.state == "held",
                    or_(SeatInventory.held_by_id == actor.id, SeatInventory.hold_expires_at <= now)))
    mine = or_(SeatInventory.organization_id.is_(None), SeatInventory.organization_id == actor.organization_id)
    result = db.session.execute(
        update(SeatInventory)
        .where(SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), free, mine)
        .values(state="sold", held_by_id=None, hold_expires_at=None, updated_at=now))
    if result.rowcount != len(ids):
        db.session.rollback()
        earlier = existing_order(actor, idempotency_key)  # the same request, retried, won the race
        if earlier is not None:
            return earlier
        taken = sorted(db.session.scalars(select(SeatInventory.seat_id).where(
            SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), ~and_(free, mine))))
        raise SeatsTaken(_("Someone else has just taken some of these seats."), details={"seats": taken})
    prices = db.session.execute(select(Seat.id, Seat.category_id, PriceCategory.price_satang, Seat.position)
                                .join(PriceCategory, PriceCategory.id == Seat.category_id)
                                .where(Seat.id.in_(ids)).order_by(Seat.position)).all()
    buyer = buyer or {}
    order = Order(session_id=session.id, channel="counter", organization_id=actor.organization_id, seller_id=actor.id,
                  buyer_name=str(buyer.get("name") or "")[:200], buyer_phone=str(buyer.get("phone") or "")[:40],
                  buyer_email=str(buyer.get("email") or "")[:200], payment_method=payment_method,
                  total_satang=sum(p[2] for p in prices), idempotency_key=idempotency_key)
    db.session.add(order)
    db.session.flush()
    db.session.add_all([Ticket(order_id=order.id, session_id=session.id, seat_id=seat_id, category_id=category_id,
                               price_satang=price, position=i) for i, (seat_id, category_id, price, _p) in enumerate(prices)])
    db.session.add(Payment(order_id=order.id, method=payment_method, amount_satang=order.total_satang,
                           custodian_id=custodian_for(payment_method, actor.organization_id)))
    audit.record(actor, "order.sell", "order", order.id, None,
                 {"seats": ids, "total_satang": order.total_satang, "method": payment_method})
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        earlier = existing_order(actor, idempotency_key)
        if earlier is not None:
            return earlier
        raise SeatsTaken(_("Someone else has just taken some of these seats."), details={"seats": ids})
    return order


def void_order(actor, order_id: str, reason: str) -> Order:
    """Void a paid order: its seats return to available and its tickets become void."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(_("No such order."))
    if not actor.has_role("admin") and not (actor.has_role("seller") and actor.organization_id == order.organization_id):
        raise Forbidden(_("You may only void your own organization's orders."))
    if not reason or not reason.strip():
        raise Invalid(_("Give a reason for voiding."), details={"reason": _("Required.")})
    if order.status == "void":
        raise Conflict(_("This order is already void."), code="already_void")
    seat_ids = [t.seat_id for t in order.tickets]
    db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == order.session_id, SeatInventory.seat_id.in_(seat_ids),
        SeatInventory.state == "sold").values(state="available", updated_at=utcnow()))
    for ticket in order.tickets:
        ticket.status = "void"
    order.status, order.voided_at, order.void_reason = "void", utcnow(), reason.strip()[:300]
    audit.record(actor, "order.void", "order", order.id, {"status": "paid"}, {"status": "void", "reason": order.void_reason})
    return order
