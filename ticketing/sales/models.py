"""Orders (one sale), their tickets (one per seat) and payments."""
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

PAYMENT_METHODS = ("cash", "transfer", "promptpay", "card", "complimentary")


def new_id() -> str:
    """Order and ticket ids are UUIDs, so an offline counter can make them itself."""
    return str(uuid.uuid4())


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("status IN ('paid', 'void')", name="status"),
        CheckConstraint("channel IN ('counter', 'online', 'complimentary')", name="channel"),
        CheckConstraint("total_satang >= 0", name="total_not_negative"),
        UniqueConstraint("seller_id", "idempotency_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"), index=True)
    #: counter | online | complimentary
    channel: Mapped[str] = mapped_column(String(15))
    #: the selling organization (None for online sales)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_phone: Mapped[str] = mapped_column(String(40), default="")
    buyer_email: Mapped[str] = mapped_column(String(200), default="")
    payment_method: Mapped[str] = mapped_column(String(15))
    #: sum of the tickets' prices, in satang
    total_satang: Mapped[int]
    #: paid | void
    status: Mapped[str] = mapped_column(String(10), default="paid")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(300))
    #: a client's key for this request: a retried request returns this order instead of a second one
    idempotency_key: Mapped[str | None] = mapped_column(String(100))

    tickets: Mapped[list["Ticket"]] = relationship(back_populates="order", order_by="Ticket.position")
    payments: Mapped[list["Payment"]] = relationship(back_populates="order")


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("status IN ('valid', 'void')", name="status"),
        CheckConstraint("price_satang >= 0", name="price_not_negative"),
        # At most one live ticket per seat and session, whatever the code above does.
        Index("uq_tickets_live_seat", "session_id", "seat_id", unique=True,
              sqlite_where=text("status = 'valid'"), postgresql_where=text("status = 'valid'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("price_categories.id"))
    #: the price when sold (a later price change does not touch it)
    price_satang: Mapped[int]
    #: valid | void
    status: Mapped[str] = mapped_column(String(10), default="valid")
    #: order within the order, for receipts
    position: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="tickets")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'transfer', 'promptpay', 'card', 'complimentary')", name="method"),
        CheckConstraint("amount_satang >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(15))
    amount_satang: Mapped[int]
    #: who physically received the money: the selling organization or the central fund's account
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: transfer reference, cash received, ...
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")
