"""Seat inventory: one row per (session, seat) with its state and allocation, and the rule that reads
a state: a hold has an expiry and nothing sweeps it, so an expired hold counts as free everywhere
(:func:`seat_is_free`, :func:`effective_state`); correctness never waits for a background job."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, and_, case, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

STATES = ("available", "held", "sold", "blocked")


class SeatInventory(db.Model):
    __tablename__ = "seat_inventory"
    __table_args__ = (
        UniqueConstraint("session_id", "seat_id"),
        CheckConstraint("state IN ('available', 'held', 'sold', 'blocked')", name="state"),
        CheckConstraint("state <> 'held' OR (hold_expires_at IS NOT NULL AND held_by_id IS NOT NULL)",
                        name="hold_has_expiry"),
        Index("ix_seat_inventory_session_org", "session_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id", ondelete="CASCADE"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id", ondelete="CASCADE"))
    #: available | held | sold | blocked
    state: Mapped[str] = mapped_column(String(10), default="available")
    #: the organization that alone may sell this seat; None = the shared pool
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: for held seats: who holds them and until when (an expired hold is free for anyone)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why a seat is blocked ("officials", "camera platform")
    block_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

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
