"""Selling seats: one transaction moves every seat to sold with a conditional update and writes the
order, its tickets, the payment, the ledger and the audit entry; if any seat was lost, nothing is written.

Two guards make a double sale impossible: the conditional update (a seat changes only from
available, from an expired hold or from one held by this seller), and the database's unique
index on live tickets per (session, seat).

A counter sale is a handful of round trips (issue 15): the token check, one statement that claims the
seats and reads everything the sale needs (after a ``SET LOCAL`` that keeps it planned once), one that
writes the order with its tickets, payment, ledger lines and audit entry (``sale_sql``), and the commit.
SQLite takes the same steps in a few more statements. The rare paths (no open shift yet, complimentary
seats, tables sold whole, a lost race, a retried request) cost their own queries.
"""
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.access import may_change_order
from ..accounts.models import Organization, central_fund_id
from ..errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from ..extensions import db, rollback_keeping
from ..festivals.models import FestivalSession
from ..i18n import localized
from ..inventory.models import SeatInventory, live_hold_of
from ..ledger.services import record_ticket_refund, sale_entries
from ..seating.models import PriceCategory, Seat
from ..timeutil import utcnow
from .buyers import clean_buyer
from .holds import check_whole_tables, free_for
from . import sale_sql
from .models import ComplimentaryQuota, Order, Payment, Refund, Ticket, new_id
from .shifts import claim_open_shift, current_shift_id

SALE_METHODS = ("cash", "transfer", "promptpay", "complimentary")
MAX_SEATS_PER_ORDER = 50


class SeatsTaken(Conflict):
    code = "seats_taken"


@dataclass
class PaymentInput:
    """What the seller typed about the money."""
    method: str
    #: cash handed over (None = exactly the total)
    received_satang: int | None = None
    #: bank transfer reference / PromptPay confirmation
    reference: str = ""
    #: why seats are given away (complimentary)
    reason: str = ""


def custodian_for(method: str, organization_id: int) -> int | None:
    """Who physically receives the money: cash stays at the selling counter; transfers and PromptPay
    go to the organization's own account or the central fund's, as the organization is set up."""
    if method in ("complimentary", "cash"):
        return _custodian(method, organization_id, None, None)
    custody, central_id = db.session.execute(
        select(Organization.transfer_custody, central_fund_id()).where(Organization.id == organization_id)).one()
    return _custodian(method, organization_id, custody, central_id)


def _custodian(method: str, organization_id: int, custody: str | None, central_id: int | None) -> int | None:
    """``custodian_for`` once the organization's ``transfer_custody`` and the central fund are known."""
    if method == "complimentary":
        return None
    if method == "cash":
        return organization_id
    return organization_id if custody == "own" else central_id


def check_seller(actor) -> None:
    if not actor.has_role("seller") or actor.organization_id is None:
        raise Forbidden(_("Only a seller of a member organization can sell seats."))


def _validate(session_id, seat_ids, payment: PaymentInput) -> list[int]:
    errors = {}
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        errors["session_id"] = _("No such session.")
    if payment.method not in SALE_METHODS:
        errors["payment_method"] = _("Choose cash, bank transfer, PromptPay or complimentary.")
    elif payment.method == "transfer" and not payment.reference.strip():
        errors["reference"] = _("Give the bank transfer reference.")
    elif payment.method == "complimentary" and not payment.reason.strip():
        errors["reason"] = _("Give the reason for the complimentary seats.")
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
    return ids


def _seat_lines(actor, session_id, ids) -> list[tuple[int, int, int, str]]:
    """(seat id, category id, price, category code) in seat-map order; refuses unknown sessions and seats,
    and other organizations' seats."""
    rows = db.session.execute(
        select(Seat.id, Seat.category_id, PriceCategory.price_satang, SeatInventory.organization_id,
               PriceCategory.code, SeatInventory.online)
        .join(SeatInventory, SeatInventory.seat_id == Seat.id).join(PriceCategory, PriceCategory.id == Seat.category_id)
        .where(SeatInventory.session_id == session_id, Seat.id.in_(ids)).order_by(Seat.position)).all()
    if not rows and db.session.get(FestivalSession, session_id) is None:
        raise Invalid(_("Some values are wrong."), details={"session_id": _("No such session.")})
    unknown = sorted(set(ids) - {r[0] for r in rows})
    if unknown:
        raise Invalid(_("These seats are not part of this session: %(ids)s", ids=", ".join(map(str, unknown[:20]))),
                      code="unknown_seats", details={"seat_ids": unknown})
    foreign = sorted(r[0] for r in rows if r[3] is not None and r[3] != actor.organization_id)
    if foreign:
        raise Forbidden(_("These seats are allocated to another organization."), code="not_your_allocation",
                        details={"seats": foreign})
    online = sorted(r[0] for r in rows if r[5])
    if online:
        raise Forbidden(_("These seats are sold by the online shop only."), code="online_only",
                        details={"seats": online})
    return [(r[0], r[1], r[2], r[4]) for r in rows]


def complimentary_left(organization_id: int, festival_id: int) -> int:
    granted = db.session.scalar(select(ComplimentaryQuota.seats).where(
        ComplimentaryQuota.festival_id == festival_id, ComplimentaryQuota.organization_id == organization_id)) or 0
    used = db.session.scalar(select(func.count()).select_from(Ticket).join(Order, Order.id == Ticket.order_id)
                             .join(FestivalSession, FestivalSession.id == Order.session_id)
                             .where(Order.channel == "complimentary", Order.organization_id == organization_id,
                                    FestivalSession.festival_id == festival_id, Ticket.status == "valid"))
    return granted - used


def _check_quota(actor, festival_id: int, seats: int) -> None:
    """Complimentary seats stay within the organization's quota, also when two counters give seats
    away at once: the quota row is claimed (locked until commit) before the seats given are counted."""
    db.session.execute(update(ComplimentaryQuota).where(
        ComplimentaryQuota.festival_id == festival_id, ComplimentaryQuota.organization_id == actor.organization_id)
        .values(seats=ComplimentaryQuota.seats))
    if complimentary_left(actor.organization_id, festival_id) < seats:
        db.session.rollback()
        raise Invalid(_("Your organization's complimentary quota does not cover %(n)d more seats.", n=seats),
                      code="quota_exceeded", details={"seat_ids": _("Over the complimentary quota.")})


def existing_order(actor, idempotency_key: str | None, session_id, method: str, *, seat_ids=None,
                   count: int | None = None) -> Order | None:
    """The order an earlier request with this Idempotency-Key made (a retry after a dropped connection
    gets it back instead of a second order), or None. A key sent again with another request (other
    session, seats, number of seats or payment method) is refused: it is a client's mistake, and
    answering with the first order would hide it."""
    if not idempotency_key:
        return None
    order = db.session.scalar(select(Order).where(Order.seller_id == actor.id,
                                                  Order.idempotency_key == idempotency_key))
    if order is None:
        return None
    seats = sorted(t.seat_id for t in order.tickets)
    same = (order.session_id == session_id and order.payment_method == method
            and (seat_ids is None or (isinstance(seat_ids, list) and sorted(seat_ids) == seats))
            and (count is None or count == len(seats)))
    if not same:
        raise Conflict(_("This sale form was already used for order %(id)s. Reload the page (or, through the "
                         "API, send a new Idempotency-Key) to make a new sale.", id=order.id[:8].upper()),
                       code="idempotency_key_reused", details={"order_id": order.id})
    return order


def sell(actor, session_id, seat_ids, payment: PaymentInput, buyer: dict | None = None, *,
         idempotency_key: str | None = None, best_count: int | None = None) -> Order:
    """Sell seats at a counter. Raises SeatsTaken (409) naming the lost seats; nothing is written then.

    With an ``idempotency_key``, a retried request gets the first request's order back, and the key sent
    with another request is refused (``existing_order``). The unique (seller, key) index decides: the
    sale is written, and if the key was used already, the write fails and the earlier order is looked
    up, so a sale with a fresh key costs no look-up. ``best_count``: the seats were chosen as "the best N"
    (the API's best_available), so a twin request with the same key is the same request when it asked for
    as many seats, wherever they are."""
    check_seller(actor)
    ids = _validate(session_id, seat_ids, payment)
    buyer = clean_buyer(buyer)
    now = utcnow()
    claimed = sale_sql.claim(actor, session_id, ids, now)
    if claimed is None:
        return _lost_race(actor, session_id, ids, now, idempotency_key, payment, best_count)
    complimentary = payment.method == "complimentary"
    total = 0 if complimentary else sum(line[2] for line in claimed.lines)
    try:
        if claimed.tables:
            check_whole_tables(ids)
        _check_cash(payment, total)
    except ServiceError:
        db.session.rollback()
        raise
    if complimentary:
        _check_quota(actor, claimed.facts.festival_id, len(ids))
    shift_id = claimed.shift_id if claimed.shift_id is not None else current_shift_id(actor)
    order = Order(id=new_id(), session_id=session_id, channel="complimentary" if complimentary else "counter",
                  organization_id=actor.organization_id, seller_id=actor.id, shift_id=shift_id,
                  buyer_name=buyer["name"][:200], buyer_phone=buyer["phone"][:40], buyer_email=buyer["email"][:200],
                  payment_method=payment.method, total_satang=total, status="paid", created_at=now, voided_at=None,
                  void_reason=None, idempotency_key=idempotency_key, access_token=secrets.token_urlsafe(24),
                  complimentary_reason=payment.reason.strip()[:300] if complimentary else None)
    tickets = [Ticket(id=new_id(), order_id=order.id, session_id=session_id, seat_id=seat_id, category_id=category_id,
                      price_satang=0 if complimentary else price, status="valid", position=i, issue_no=1,
                      refund_id=None)
               for i, (seat_id, category_id, price, _code) in enumerate(claimed.lines)]
    custodian_id = _custodian(payment.method, actor.organization_id, claimed.custody, claimed.facts.central_id)
    paid = Payment(order_id=order.id, method=payment.method, amount_satang=total, custodian_id=custodian_id,
                   reference=payment.reference.strip()[:100], created_at=now,
                   received_satang=payment.received_satang if payment.method == "cash" else None)
    try:
        entries = sale_entries(claimed.facts, order_id=order.id, session_id=session_id,
                               seller_organization_id=actor.organization_id,
                               lines=[(code, t.price_satang) for t, (_s, _c, _p, code) in zip(tickets, claimed.lines)],
                               paid=total, custodian_id=custodian_id, at=now)
    except ServiceError:
        db.session.rollback()
        raise
    audit_row = audit.entry(actor, "order.sell", "order", order.id, None,
                            {"seats": ids, "total_satang": total, "method": payment.method})
    try:
        sale_sql.write(order, tickets, paid, entries, audit_row)
    except IntegrityError:  # the key was used already, or (never, while the claim holds) a live ticket exists
        return _lost_race(actor, session_id, ids, now, idempotency_key, payment, best_count)
    return order


def _check_cash(payment: PaymentInput, total: int) -> None:
    if payment.method == "cash" and payment.received_satang is not None and payment.received_satang < total:
        raise Invalid(_("The cash received is less than the total."),
                      details={"received": _("The cash received is less than the total.")})


def _lost_race(actor, session_id, ids, now, idempotency_key, payment: PaymentInput,
               best_count: int | None = None) -> Order:
    """Some seat could not be claimed, or the write failed: undo everything, then return the order a
    retried request already made (or refuse a reused key), or say why: an unknown session or seat,
    another organization's seat, a table taken in part, too little cash, or the seats someone else took."""
    rollback_keeping(actor)
    same = {"count": best_count} if best_count else {"seat_ids": ids}
    earlier = existing_order(actor, idempotency_key, session_id, payment.method, **same)
    if earlier is not None:
        return earlier
    lines = _seat_lines(actor, session_id, ids)
    check_whole_tables(ids)
    _check_cash(payment, 0 if payment.method == "complimentary" else sum(line[2] for line in lines))
    taken = sorted(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session_id, SeatInventory.seat_id.in_(ids), ~free_for(actor, now))))
    raise SeatsTaken(_("Someone else has just taken some of these seats."), details={"seats": taken or ids})


#: how money goes back to a buyer: cash at the counter, or a bank transfer (with its reference)
REFUND_METHODS = ("cash", "transfer")


def _refund_custodian(order: Order, method: str | None) -> tuple[str, int | None]:
    """(method, custodian) of a refund: cash comes out of the selling organization's counter, a
    transfer back out of the account that receives its transfers; with no method named, the money
    goes back the way it came (the payment's method and custodian)."""
    payment = order.payments[0]
    if not payment.amount_satang:
        return payment.method, None
    if method is None:
        return payment.method, payment.custodian_id
    return method, custodian_for(method, order.organization_id)


def _check_void_input(reason, ticket_ids, method, reference) -> None:
    errors = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = _("Give a reason for voiding.")
    if method is not None and method not in REFUND_METHODS:
        errors["method"] = _("Choose how the money goes back: cash at the counter or a bank transfer.")
    elif method == "transfer" and not (reference or "").strip():
        errors["reference"] = _("Give the reference of the bank transfer back to the buyer.")
    if ticket_ids is not None and (not isinstance(ticket_ids, list) or not ticket_ids
                                   or not all(isinstance(i, str) for i in ticket_ids)
                                   or len(set(ticket_ids)) != len(ticket_ids)):
        errors["ticket_ids"] = _("Choose at least one ticket, each once.")
    if errors:
        raise Invalid(_("Some values are wrong."), details=errors)


def void_order(actor, order_id: str, reason: str, ticket_ids: list[str] | None = None, *,
               method: str | None = None, reference: str = "", through_stripe: bool = False) -> Order:
    """Void tickets of an order and refund them: the whole order (``ticket_ids`` None) or some of its
    tickets. Their seats return to sale, the money goes back by ``method`` (cash at the counter, a
    bank transfer with ``reference``; None: the way it was paid), recorded with its custodian, and the
    ledger reverses exactly those tickets' shares. The order becomes ``partly_void`` while some
    tickets stay valid, ``void`` when none does.

    A seller voids its own organization's orders; the refund books into the seller's shift, which is
    opened if it was closed. An admin voids any order (into its open shift, if it has one)."""
    order = db.session.get(Order, order_id) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound(_("No such order."))
    if not may_change_order(actor, order):
        raise Forbidden(_("You may only void your own organization's orders."))
    if order.channel == "online" and not through_stripe:  # the money went to Stripe: it goes back through Stripe
        raise Conflict(_("An online order is refunded through Stripe, from its page on the orders desk."),
                       code="online_order")
    _check_void_input(reason, ticket_ids, method, reference)
    # Claim the order (a no-op update locks its row until commit): two voids of one order run one
    # after the other, and the second sees the first one's tickets as void.
    if db.session.execute(update(Order).where(Order.id == order.id, Order.status.in_(("paid", "partly_void")))
                          .values(status=Order.status).execution_options(synchronize_session=False)).rowcount != 1:
        raise Conflict(_("This order is already void."), code="already_void")
    db.session.refresh(order)
    for ticket in order.tickets:
        db.session.refresh(ticket)
    by_id = {t.id: t for t in order.tickets}
    if ticket_ids is None:
        chosen = [t for t in order.tickets if t.status == "valid"]
    else:
        unknown = [i for i in ticket_ids if i not in by_id]
        if unknown:
            raise Invalid(_("These tickets are not part of this order: %(ids)s",
                            ids=", ".join(i[:8].upper() for i in unknown[:20])), code="unknown_tickets",
                          details={"ticket_ids": unknown})
        chosen = [by_id[i] for i in ticket_ids]
        void = [t.id for t in chosen if t.status != "valid"]
        if void:
            raise Conflict(_("These tickets are already void: %(ids)s", ids=", ".join(i[:8].upper() for i in void)),
                           code="already_void", details={"ticket_ids": void})
    before = [t for t in order.tickets if t.status != "valid"]
    if actor.has_role("seller") and actor.organization_id == order.organization_id:
        shift_id = current_shift_id(actor)  # opens the seller's shift if it was closed
    else:
        shift_id = claim_open_shift(actor)
    method, custodian_id = _refund_custodian(order, method)
    amount = sum(t.price_satang for t in chosen) if order.payments[0].amount_satang else 0
    now = utcnow()
    refund = Refund(order_id=order.id, method=method, amount_satang=amount, custodian_id=custodian_id,
                    reference=(reference or "").strip()[:100] if method == "transfer" else "",
                    reason=reason.strip()[:300], shift_id=shift_id, by_id=actor.id, created_at=now)
    db.session.add(refund)
    db.session.flush()
    for ticket in chosen:
        ticket.status, ticket.refund_id = "void", refund.id
    db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == order.session_id, SeatInventory.seat_id.in_([t.seat_id for t in chosen]),
        SeatInventory.state == "sold").values(state="available", updated_at=now))
    status_before = order.status
    order.status = "void" if len(before) + len(chosen) == len(order.tickets) else "partly_void"
    order.voided_at, order.void_reason = now, reason.strip()[:300]
    record_ticket_refund(order, chosen, before, amount, custodian_id, now)
    whole = ticket_ids is None or order.status == "void" and not before
    audit.record(actor, "order.void" if whole else "order.void_tickets", "order", order.id, {"status": status_before},
                 {"status": order.status, "reason": order.void_reason, "refund_satang": amount, "method": method,
                  "tickets": [t.id for t in chosen]}, organization_id=order.organization_id)
    return order


def held_total(actor, session_id: int) -> int:
    """What the seller's currently held seats cost."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(PriceCategory.price_satang), 0))
        .select_from(SeatInventory).join(Seat, Seat.id == SeatInventory.seat_id)
        .join(PriceCategory, PriceCategory.id == Seat.category_id)
        .where(SeatInventory.session_id == session_id, live_hold_of(actor.id, utcnow()))))


def set_quota(actor, festival, organization_id: int, seats) -> ComplimentaryQuota:
    """How many complimentary seats an organization may give away in the festival."""
    if not isinstance(seats, int) or isinstance(seats, bool) or not 0 <= seats <= 10_000:
        raise Invalid(_("Give a number of seats from 0 to 10,000."), details={"seats": _("From 0 to 10,000.")})
    org = db.session.get(Organization, organization_id)
    if org is None or org.kind != "member":
        raise Invalid(_("Choose an active member organization."))
    quota = db.session.scalar(select(ComplimentaryQuota).where(
        ComplimentaryQuota.festival_id == festival.id, ComplimentaryQuota.organization_id == organization_id))
    before = quota.seats if quota else None
    used = (before or 0) - complimentary_left(organization_id, festival.id)
    if seats < used:
        message = _("%(org)s has already given away %(used)d complimentary seats: the quota cannot be lower "
                    "than %(used)d.", org=localized(org), used=used)
        raise Invalid(message, code="quota_below_used", details={"seats": message, "used": used})
    if quota is None:
        quota = ComplimentaryQuota(festival_id=festival.id, organization_id=organization_id)
        db.session.add(quota)
    quota.seats = seats
    db.session.flush()
    audit.record(actor, "quota.set", "complimentary_quota", quota.id, {"seats": before}, {"seats": seats})
    return quota
