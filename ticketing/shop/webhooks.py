"""``POST /stripe/webhook``: verified, stored once, then acted on (see ``fulfil``).

A replayed or duplicated event (the same event id) is answered 200 and changes nothing; an event for
a cart we do not know is stored and answered 200 too (Stripe would otherwise retry it for days);
everything that is not a Checkout Session event is ignored."""
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import fulfil, stripe_gateway
from .models import Cart, StripeEvent

HANDLED = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
           "checkout.session.async_payment_failed", "checkout.session.expired")


def receive(payload: bytes, signature: str | None) -> tuple[str, Cart | None]:
    """Handle one delivery in the caller's transaction; returns the outcome (also stored) and the cart."""
    event = stripe_gateway.verified_event(payload, signature)
    kind = event.get("type") or ""
    obj = (event.get("data") or {}).get("object") or {}
    checkout_id = obj.get("id") if kind in HANDLED else None
    record = StripeEvent(id=str(event.get("id"))[:255], type=kind[:80], checkout_session_id=checkout_id)
    saved = db.session.begin_nested()
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        saved.rollback()
        return "duplicate", None
    saved.commit()
    cart = fulfil.cart_for_checkout(obj) if kind in HANDLED else None
    record.outcome = _act(kind, obj, cart)
    return record.outcome, cart


def _act(kind: str, checkout, cart: Cart | None) -> str:
    if kind not in HANDLED:
        return "ignored"
    if cart is None:
        return "unknown_cart"
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if kind == "checkout.session.async_payment_succeeded":
            checkout = {**checkout, "payment_status": "paid"}
        return fulfil.settle(cart, checkout)
    return fulfil.give_back(cart, "failed" if kind.endswith("failed") else "expired")
