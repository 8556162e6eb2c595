"""An admin refunds an online order, or some of its tickets, through Stripe.

The void is written first (it checks everything: who may, which tickets, already void) and the
refund at Stripe comes last, in the same transaction: if Stripe refuses or cannot be reached, the
void is rolled back and nothing changed. The Stripe refund carries an idempotency key made of the
order and the tickets, so a retried click never refunds twice."""
import hashlib

from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..sales.models import Order, Refund
from ..sales.services import void_order
from . import stripe_gateway


def refund_online(actor, order_id: str, reason: str, ticket_ids: list[str] | None = None) -> Order:
    order = db.session.get(Order, order_id) if isinstance(order_id, str) else None
    if order is not None and order.channel != "online":
        raise Invalid(_("Only online orders are refunded through Stripe."), code="not_online")
    # who may, which tickets, already void: refused here, before any money moves
    order = void_order(actor, order_id, reason, ticket_ids, through_stripe=True)
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc()).limit(1))
    intent = order.payments[0].reference
    if refund is None or not refund.amount_satang:
        return order
    if not intent.startswith("pi_"):
        raise Invalid(_("This order has no Stripe payment to refund."), code="no_stripe_payment")
    tickets = sorted(t.id for t in order.tickets if t.refund_id == refund.id)
    key = "refund-" + hashlib.sha256((order.id + ":" + ",".join(tickets)).encode()).hexdigest()[:40]
    refund.reference = stripe_gateway.refund(intent, refund.amount_satang, key,
                                             {"order_id": order.id, "tickets": ",".join(t[:8] for t in tickets)})
    return order
