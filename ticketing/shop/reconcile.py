"""Online orders against Stripe's own record, over a period: every payment and refund on one side
must be on the other, for the same amount. Each difference is listed with what we hold and what
Stripe holds, so the treasurer can follow it up."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..sales.models import Order, Payment, Refund
from . import stripe_gateway
from .models import Cart


@dataclass(frozen=True)
class Difference:
    kind: str
    reference: str
    order_id: str | None
    ours_satang: int | None
    stripe_satang: int | None
    what: str


@dataclass
class Reconciliation:
    starts_at: datetime
    ends_at: datetime
    payments: int
    refunds: int
    differences: list[Difference]


def reconcile(starts_at: datetime, ends_at: datetime) -> Reconciliation:
    charges = stripe_gateway.charges_between(starts_at, ends_at)
    stripe_refunds = stripe_gateway.refunds_between(starts_at, ends_at)
    ours = {p.reference: (p, o) for p, o in db.session.execute(
        select(Payment, Order).join(Order, Order.id == Payment.order_id)
        .where(Order.channel == "online", Payment.created_at >= starts_at, Payment.created_at < ends_at))}
    late = {c.payment_intent_id: c for c in db.session.scalars(select(Cart).where(
        Cart.status == "refunded", Cart.payment_intent_id.is_not(None),
        Cart.updated_at >= starts_at, Cart.updated_at < ends_at))}
    our_refunds = {r.reference: r for r in db.session.scalars(
        select(Refund).join(Order, Order.id == Refund.order_id)
        .where(Order.channel == "online", Refund.created_at >= starts_at, Refund.created_at < ends_at))}
    found = []
    seen = set()
    for charge in charges:
        intent = charge.get("payment_intent") or ""
        if charge.get("status") not in (None, "succeeded"):
            continue
        seen.add(intent)
        amount = int(charge.get("amount") or 0)
        if intent in ours:
            payment, order = ours[intent]
            if payment.amount_satang != amount:
                found.append(Difference("amount", intent, order.id, payment.amount_satang, amount,
                                        _("The order was paid %(ours)s, Stripe charged another amount.",
                                          ours=payment.amount_satang)))
        elif intent in late:
            pass  # paid after its seats were sold: refunded automatically, listed with the refunds
        else:
            found.append(Difference("missing_order", intent, None, None, amount,
                                    _("Stripe took a payment that no online order records.")))
    for intent, (payment, order) in ours.items():
        if intent not in seen:
            found.append(Difference("missing_payment", intent, order.id, payment.amount_satang, None,
                                    _("An online order records a payment that Stripe does not list.")))
    auto = {c.refund_id: c for c in late.values() if c.refund_id}
    stripe_ids = set()
    for refund in stripe_refunds:
        stripe_ids.add(refund["id"])
        amount = int(refund.get("amount") or 0)
        if refund["id"] in our_refunds:
            if our_refunds[refund["id"]].amount_satang != amount:
                found.append(Difference("refund_amount", refund["id"], our_refunds[refund["id"]].order_id,
                                        our_refunds[refund["id"]].amount_satang, amount,
                                        _("A refund's amount differs from Stripe's.")))
        elif refund["id"] not in auto:
            found.append(Difference("missing_refund", refund["id"], None, None, amount,
                                    _("Stripe made a refund that no order records.")))
    for reference, refund in our_refunds.items():
        if refund.amount_satang and reference not in stripe_ids:
            found.append(Difference("refund_not_at_stripe", reference or "-", refund.order_id, refund.amount_satang,
                                    None, _("A refund is recorded here but Stripe does not list it.")))
    return Reconciliation(starts_at, ends_at, len(charges), len(stripe_refunds), found)
