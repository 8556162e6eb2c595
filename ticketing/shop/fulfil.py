"""Turning a paid Checkout Session into an order, from a webhook or from the buyer's return page.

Both ways end in :func:`settle`, under a lock on the cart's row (a no-op update, held until commit),
so a webhook racing the success redirect, two deliveries of one event, or events in any order come to
one result:

- paid, and the seats are still the cart's or free again: one order (``sales.online``);
- paid, but a seat went to someone else after the hold expired: the whole payment is refunded
  through Stripe (one idempotency key per cart, so never twice) and the cart says so;
- a delayed payment (PromptPay) that failed, or a Checkout Session that expired unpaid: the seats go
  back; if the money still arrives later, it is the first case again.
"""
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from .. import audit
from ..extensions import db
from ..inventory.models import SeatInventory, seat_is_free
from ..sales.models import Order
from ..sales.online import Line, record_online_sale
from ..timeutil import utcnow
from . import stripe_gateway
from .carts import _release_seats, sold_online
from .models import Cart


def lock(cart: Cart) -> Cart:
    """Claim the cart's row until commit (webhooks and the return page then run one after the other)."""
    db.session.execute(update(Cart).where(Cart.id == cart.id).values(status=Cart.status)
                       .execution_options(synchronize_session=False))
    db.session.refresh(cart)
    return cart


def settle(cart: Cart, checkout) -> str:
    """Act on what Stripe says of the cart's Checkout Session (``checkout``: the session object from an
    event or from the API). Returns what it came to: completed, refunded, awaiting, already, mismatch."""
    lock(cart)
    if cart.status in ("completed", "refunded"):
        return "already"
    if checkout.get("payment_status") != "paid":
        return "awaiting"
    intent = checkout.get("payment_intent")
    intent = intent if isinstance(intent, str) else (intent or {}).get("id")
    cart.payment_intent_id = intent
    if checkout.get("amount_total") != cart.total_satang or (checkout.get("currency") or "").lower() != "thb":
        return _refund(cart, intent, int(checkout.get("amount_total") or 0),
                       _("The amount paid does not match the cart: refunded."), "mismatch")
    details = stripe_gateway.payment_details(intent) if intent else stripe_gateway.PaymentDetails("card", 0, "")
    now = utcnow()
    ids = [s.seat_id for s in cart.seats]
    claim = db.session.begin_nested()
    claimed = db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == cart.session_id, SeatInventory.seat_id.in_(ids),
        or_(and_(SeatInventory.cart_id == cart.id, SeatInventory.state == "held"),
            and_(seat_is_free(now), sold_online(cart.session))))
        .values(state="sold", held_by_id=None, cart_id=None, hold_expires_at=None, updated_at=now)).rowcount
    if claimed != len(ids):
        claim.rollback()
        return _refund(cart, intent, cart.total_satang,
                       _("Paid after the hold ran out, and some seats had been sold: refunded in full."), "refunded")
    claim.commit()
    order = record_online_sale(cart.session_id, [Line(s.seat_id, s.category_id, s.price_satang) for s in cart.seats],
                               {"name": cart.buyer_name, "phone": cart.buyer_phone, "email": cart.buyer_email},
                               details.method, intent or "", details.fee_satang, idempotency_key=f"cart-{cart.id}")
    cart.status, cart.order_id = "completed", order.id
    return "completed"


def _refund(cart: Cart, intent: str | None, amount: int, note: str, outcome: str) -> str:
    _release_seats(cart)
    if intent and amount:
        cart.refund_id = stripe_gateway.refund(intent, amount, f"cart-refund-{cart.id}", {"cart_id": cart.id})
    cart.status, cart.note = "refunded", note[:300]
    audit.record(None, "shop.refund_late", "cart", cart.id, None,
                 {"payment_intent": intent, "refund": cart.refund_id, "amount_satang": amount})
    return outcome


def give_back(cart: Cart, status: str) -> str:
    """An unpaid end (expired, failed): the seats go back; a cart already paid stays as it is."""
    lock(cart)
    if cart.status not in ("open", "checkout"):
        return "already"
    _release_seats(cart)
    cart.status = status
    return status


def confirm(cart: Cart) -> str:
    """The buyer came back from Stripe: ask Stripe about the Checkout Session instead of waiting for
    the webhook (which then finds the work done)."""
    if cart.status != "checkout" or not cart.checkout_session_id:
        return cart.status
    return settle(cart, stripe_gateway.retrieve_checkout(cart.checkout_session_id))


def order_of(cart: Cart) -> Order | None:
    return db.session.get(Order, cart.order_id) if cart.order_id else None


def cart_for_checkout(checkout) -> Cart | None:
    metadata = checkout.get("metadata") or {}
    cart_id = metadata.get("cart_id") or checkout.get("client_reference_id")
    cart = db.session.get(Cart, cart_id) if isinstance(cart_id, str) and len(cart_id) <= 36 else None
    if cart is None and checkout.get("id"):
        cart = db.session.scalar(select(Cart).where(Cart.checkout_session_id == checkout.get("id")))
    return cart
