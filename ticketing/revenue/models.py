"""Central fund expenses and closed statement periods (split rules and the ledger are ``ledger.models``)."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class Expense(db.Model):
    """Money the central fund spent (e.g. the 15,000-baht promotional video)."""

    __tablename__ = "expenses"
    __table_args__ = (CheckConstraint("amount_satang > 0", name="amount_positive"),
                      Index("ix_expenses_festival_spent_at", "festival_id", "spent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    #: the moment it counts in statements (00:00 in Ubon of ``spent_on`` unless a time was given): a
    #: moment lies in exactly one of two adjacent periods, so their statements add up to their union's
    spent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(100))
    amount_satang: Mapped[int]
    payee: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")
    #: the stored receipt file (under instance/receipts), and its original name
    receipt_path: Mapped[str | None] = mapped_column(String(300))
    receipt_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClosedPeriod(db.Model):
    """A frozen statement period: its figures as closed; later corrections fall in later periods."""

    __tablename__ = "closed_periods"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the statement as closed (JSON), compared with the ledger by `revenue check`
    snapshot: Mapped[dict] = mapped_column(JSON)
