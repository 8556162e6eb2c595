"""The online shop's own records: a buyer's cart (the seats it holds and the Stripe Checkout Session
that pays for them) and every Stripe event received, kept so that a replayed event changes nothing."""
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

#: open: seats held, buyer choosing or typing; checkout: a Checkout Session exists, waiting for the
#: payment; completed: paid and the order written; expired: the hold or the checkout ran out unpaid;
#: released: the buyer gave the seats back; failed: a delayed payment (PromptPay) failed;
#: refunded: paid after the seats were sold elsewhere, the money sent back automatically
CART_STATES = ("open", "checkout", "completed", "expired", "released", "failed", "refunded")


class Cart(db.Model):
    __tablename__ = "shop_carts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'checkout', 'completed', 'expired', 'released', 'failed', 'refunded')",
                        name="status"),
        CheckConstraint("total_satang >= 0", name="total_not_negative"),
        Index("ix_shop_carts_browser_status", "browser_key", "status"),
    )

    #: random (uuid4): the cart's page is reached by it, so it is the buyer's only key
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"), index=True)
    #: the browser session that made the cart (a random id in the signed session cookie)
    browser_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the hold ends here; set once when the cart is made, moved once to the Checkout Session's expiry
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_phone: Mapped[str] = mapped_column(String(40), default="")
    buyer_email: Mapped[str] = mapped_column(String(200), default="")
    total_satang: Mapped[int] = mapped_column(default=0)
    checkout_session_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), index=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    #: the Stripe refund of a payment that came after its seats were sold elsewhere
    refund_id: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    seats: Mapped[list["CartSeat"]] = relationship(order_by="CartSeat.position", cascade="all, delete-orphan")
    order = relationship("Order")
    session = relationship("FestivalSession")


class CartSeat(db.Model):
    """A seat in a cart with the price the buyer was shown (the order is written at that price)."""
    __tablename__ = "shop_cart_seats"

    cart_id: Mapped[str] = mapped_column(ForeignKey("shop_carts.id", ondelete="CASCADE"), primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("price_categories.id"))
    price_satang: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)


class StripeEvent(db.Model):
    """One Stripe event, stored before it is acted on: the same event id again is a replay."""
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    checkout_session_id: Mapped[str | None] = mapped_column(String(100), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: what handling it came to (completed, refunded, ignored, ...)
    outcome: Mapped[str] = mapped_column(String(40), default="")
