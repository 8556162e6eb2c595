"""Entrances into the grandstand, each ticket's admission state and every scan made at a gate."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

#: what a scan can come to (DESIGN.md "Check-in"); ``not_inside`` is an exit scan of a guest not inside
RESULTS = ("ok", "already_used", "wrong_session", "wrong_entrance", "void", "revoked", "invalid", "not_yet",
           "not_inside")


class Entrance(db.Model):
    """A named way into the grandstand of a festival."""

    __tablename__ = "entrances"
    __table_args__ = (UniqueConstraint("festival_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"), index=True)
    #: short code printed on signs, e.g. "N1"
    code: Mapped[str] = mapped_column(String(20))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    stands: Mapped[list["EntranceStand"]] = relationship(cascade="all, delete-orphan",
                                                         order_by="EntranceStand.stand_code")

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en

    @property
    def stand_codes(self) -> list[str]:
        return [s.stand_code for s in self.stands]


class EntranceStand(db.Model):
    """A stand bound to an entrance: tickets of a bound stand are valid only at its entrances.

    Bound by stand *code* so the binding survives a re-import of the seating map."""

    __tablename__ = "entrance_stands"

    entrance_id: Mapped[int] = mapped_column(ForeignKey("entrances.id", ondelete="CASCADE"), primary_key=True)
    stand_code: Mapped[str] = mapped_column(String(40), primary_key=True)


class Admission(db.Model):
    """One row per admitted ticket: created by the first ``ok`` entry scan, which is what makes a
    ticket enter at most once (the primary key, written with INSERT … ON CONFLICT DO NOTHING)."""

    __tablename__ = "admissions"
    __table_args__ = (CheckConstraint("state IN ('in', 'out')", name="state"),
                      Index("ix_admissions_session_updated", "session_id", "updated_at"))

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"))
    #: in | out (out only where the session allows re-entry)
    state: Mapped[str] = mapped_column(String(3), default="in")
    #: the first admission: when (device time for offline scans), where and by which device
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrances.id"))
    first_device: Mapped[str] = mapped_column(String(60))
    #: how many times the guest came in (re-entries included)
    entries: Mapped[int] = mapped_column(default=1)
    #: last change, for the gate bundle's deltas
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(db.Model):
    """Every scan at a gate, whatever its result (append-only)."""

    __tablename__ = "checkins"
    __table_args__ = (
        # A resent scan (same device, same nonce) is recognised and answered as the first time.
        UniqueConstraint("device", "nonce"),
        CheckConstraint("result IN ('ok', 'already_used', 'wrong_session', 'wrong_entrance', 'void', "
                        "'revoked', 'invalid', 'not_yet', 'not_inside')", name="result"),
        CheckConstraint("mode IN ('entry', 'exit')", name="mode"),
        Index("ix_checkins_session_recorded", "session_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"))
    #: None when the code named no ticket of ours
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrances.id"))
    #: the gate device's name, as its operator gave it
    device: Mapped[str] = mapped_column(String(60))
    #: chosen by the device per scan; a retry sends the same one
    nonce: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: entry | exit
    mode: Mapped[str] = mapped_column(String(5), default="entry")
    #: qr (scanned code) | manual (looked up by seat or order)
    method: Mapped[str] = mapped_column(String(6), default="qr")
    result: Mapped[str] = mapped_column(String(15))
    #: when the device scanned (its clock; the same as recorded_at for online scans)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the server recorded it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: decided on the device without network, and synced later
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: what the device answered offline (may differ from ``result``)
    device_result: Mapped[str | None] = mapped_column(String(15))
    #: an offline ``ok`` for a ticket another device had already admitted: the guest got in twice
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
