"""Orders (one sale), their tickets (one per seat) and payments."""
import secrets
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
    #: the seller's shift the sale belongs to (counter sales)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    #: why seats were given away (complimentary orders)
    complimentary_reason: Mapped[str | None] = mapped_column(String(300))
    #: the unguessable part of the buyer's phone-ticket link
    access_token: Mapped[str] = mapped_column(String(43), unique=True, default=lambda: secrets.token_urlsafe(24))

    session = relationship("FestivalSession")
    organization = relationship("Organization")
    seller = relationship("User")
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
    #: goes up when the ticket is reissued (lost phone): codes with a lower number are revoked
    issue_no: Mapped[int] = mapped_column(default=1)

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
    #: transfer reference, PromptPay confirmation, ...
    reference: Mapped[str] = mapped_column(String(100), default="")
    #: cash handed over by the buyer (change = received - amount)
    received_satang: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class Refund(db.Model):
    """Money given back when an order is voided; the ledger will reverse its split from this."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_satang >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    method: Mapped[str] = mapped_column(String(15))
    amount_satang: Mapped[int]
    #: who pays the money back (the custodian of the original payment)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: the shift during which the refund was handed out, if any
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Shift(db.Model):
    """A seller's time at the counter, from the first sale to the cash count."""

    __tablename__ = "shifts"
    __table_args__ = (
        # One open shift per seller at a time.
        Index("uq_shifts_open_per_user", "user_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        CheckConstraint("opening_float_satang >= 0", name="opening_float_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: change put in the drawer when the shift opened (the organization's own money, not takings)
    opening_float_satang: Mapped[int] = mapped_column(default=0, server_default="0")
    #: expected cash (opening float + cash sales - cash refunds) when closed
    expected_cash_satang: Mapped[int | None]
    #: cash counted in the drawer when closed
    counted_cash_satang: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    #: when a treasurer took the shift's cash in (marked it received), and who
    cash_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cash_received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization")
    cash_received_by = relationship("User", foreign_keys=[cash_received_by_id])


class ComplimentaryQuota(db.Model):
    """How many seats an organization may give away free in a festival (granted by the admin)."""

    __tablename__ = "complimentary_quotas"
    __table_args__ = (UniqueConstraint("festival_id", "organization_id"),
                      CheckConstraint("seats >= 0", name="seats_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    seats: Mapped[int] = mapped_column(default=0)
