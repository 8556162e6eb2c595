"""Seat inventory: one row per (session, seat) with its state and allocation, and the rule that reads
a state: a hold has an expiry and nothing sweeps it, so an expired hold counts as free everywhere
(:func:`seat_is_free`, :func:`effective_state`); correctness never waits for a background job."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, and_, case, false, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

STATES = ("available", "held", "sold", "blocked")


class SeatInventory(db.Model):
    __tablename__ = "seat_inventory"
    __table_args__ = (
        UniqueConstraint("session_id", "seat_id"),
        CheckConstraint("state IN ('available', 'held', 'sold', 'blocked')", name="state"),
        CheckConstraint("state <> 'held' OR (hold_expires_at IS NOT NULL AND (held_by_id IS NOT NULL "
                        "OR cart_id IS NOT NULL))", name="hold_has_expiry"),
        CheckConstraint("NOT online OR organization_id IS NULL", name="online_not_organization"),
        Index("ix_seat_inventory_session_org", "session_id", "organization_id"),
        #: the live map reads a session's changes after a cursor from this index (``inventory.changes``)
        Index("ix_seat_inventory_session_change", "session_id", "change_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id", ondelete="CASCADE"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id", ondelete="CASCADE"))
    #: available | held | sold | blocked
    state: Mapped[str] = mapped_column(String(10), default="available")
    #: the organization that alone may sell this seat; None = the shared pool
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: allocated to the online shop (only the shop sells it; organization_id is None then)
    online: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: for held seats: who holds them (a seller, or an online buyer's cart) and until when (an expired
    #: hold is free for anyone)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cart_id: Mapped[str | None] = mapped_column(ForeignKey("shop_carts.id"), index=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why a seat is blocked ("officials", "camera platform")
    block_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: stamped by a database trigger on every change of state, allocation or hold (migration 0013): the
    #: writing transaction's id on PostgreSQL, the session's next number on SQLite; never set it here
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    seat = relationship("Seat")


def hold_expired(now):
    """SQL: a hold whose expiry has passed (the row still says 'held' until someone takes the seat)."""
    return and_(SeatInventory.state == "held", SeatInventory.hold_expires_at <= now)


def seat_is_free(now):
    """SQL: free for anyone at ``now``: available, or held with an expired hold."""
    return or_(SeatInventory.state == "available", hold_expired(now))


def effective_state(now):
    """SQL: the state as the map, the API and the counter show it at ``now`` (an expired hold is 'available')."""
    return case((hold_expired(now), "available"), else_=SeatInventory.state)


def live_hold_of(user_id, now):
    """SQL: held by ``user_id`` and not expired at ``now``."""
    return and_(SeatInventory.state == "held", SeatInventory.held_by_id == user_id,
                SeatInventory.hold_expires_at > now)


def in_shared_pool():
    """SQL: in the shared pool (no organization, not the online shop's)."""
    return and_(SeatInventory.organization_id.is_(None), SeatInventory.online.is_(False))
