"""A festival (the Candle Festival of a year) and its sessions; seats are sold per session."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime


class Festival(db.Model):
    __tablename__ = "festivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: the year in C.E. (shown + 543 in Thai)
    year: Mapped[int]
    venue_th: Mapped[str] = mapped_column(String(300), default="")
    venue_en: Mapped[str] = mapped_column(String(300), default="")

    sessions: Mapped[list["FestivalSession"]] = relationship(
        back_populates="festival", order_by="FestivalSession.starts_at")

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en

    def venue(self, locale: str) -> str:
        return self.venue_th if locale == "th" else self.venue_en


class FestivalSession(db.Model):
    """A parade morning or an evening show: one sale of the whole seating map."""

    __tablename__ = "festival_sessions"
    __table_args__ = (CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"), index=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: stored in UTC, entered and shown in Asia/Bangkok
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: gates admit from this time; None: GATE_OPENS_MINUTES before ``starts_at``
    gate_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a guest may go out and come back in (an exit scan marks them out); off by default
    reentry_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the online shop also sells the shared pool (besides the seats allocated to it); off by default
    pool_online: Mapped[bool] = mapped_column(default=False, server_default=false())

    festival: Mapped[Festival] = relationship(back_populates="sessions")

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en
