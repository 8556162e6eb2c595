"""Orders (one sale), their tickets (one per seat) and payments."""
import secrets
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

PAYMENT_METHODS = ("cash", "transfer", "promptpay", "card", "complimentary")


def new_id() -> str:
    """Order and ticket ids are UUIDs, so an offline counter can make them itself."""
    return str(uuid.uuid4())


def phone_key(phone: str) -> str:
    """A phone number as the orders desk searches it: its digits in the Thai local form (+66 81 ... and
    081 ... are one number), reversed, so "ends with these digits" is a prefix search on an index."""
    digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
    if digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits[::-1][:20]


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("status IN ('paid', 'partly_void', 'void')", name="status"),
        CheckConstraint("channel IN ('counter', 'online', 'complimentary')", name="channel"),
        CheckConstraint("total_satang >= 0", name="total_not_negative"),
        UniqueConstraint("seller_id", "idempotency_key"),
        # the orders desk: newest first, overall and per organization or session (keyset paging)
        Index("ix_orders_created_at_id", "created_at", "id"),
        Index("ix_orders_organization_created", "organization_id", "created_at"),
        Index("ix_orders_session_created", "session_id", "created_at"),
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
    #: the buyer's phone as searched (``phone_key``) and e-mail in lower case, both indexed
    buyer_phone_key: Mapped[str] = mapped_column(String(20), default="", server_default="", index=True)
    buyer_email_key: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    payment_method: Mapped[str] = mapped_column(String(15))
    #: sum of the tickets' prices, in satang
    total_satang: Mapped[int]
    #: paid | partly_void (some tickets void, some valid) | void
    status: Mapped[str] = mapped_column(String(12), default="paid")
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
    refunds: Mapped[list["Refund"]] = relationship(order_by="Refund.id", viewonly=True)

    @validates("buyer_phone")
    def _phone(self, _key, value):
        self.buyer_phone_key = phone_key(value)
        return value

    @validates("buyer_email")
    def _email(self, _key, value):
        self.buyer_email_key = (value or "").strip().lower()[:200]
        return value

    @property
    def number(self) -> str:
        """The order (and receipt) number people read: the id's first eight characters."""
        return self.id[:8].upper()


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("status IN ('valid', 'void')", name="status"),
        CheckConstraint("price_satang >= 0", name="price_not_negative"),
        Index("ix_tickets_seat_id", "seat_id"),
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
    #: the refund that voided this ticket (None while valid)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)

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
    """Money given back when tickets are voided (the whole order, or some of its tickets: those
    tickets point here); the ledger reverses exactly those tickets' shares."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_satang >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    #: cash (back at the counter), transfer (back to the buyer's account), or the payment's own method
    method: Mapped[str] = mapped_column(String(15))
    #: the bank transfer's reference, for a refund by transfer
    reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    amount_satang: Mapped[int]
    #: who pays the money back (the custodian of the original payment)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: the shift during which the refund was handed out, if any
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderEmail(db.Model):
    """A ticket e-mail sent for an order (shown on the order page)."""

    __tablename__ = "order_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


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
