"""Seat inventory: one row per (session, seat) with its state and allocation."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
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
