"""Split rules and the append-only ledger: who earns what and who holds the money, written in the
transaction of each sale and refund."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class SplitRuleSet(db.Model):
    """One version of a festival's split rules (even an empty one: everything to the central fund).
    Unique per (festival, version): two saves at the same moment cannot both make version N. Once a
    ledger entry names a version, the database refuses to change its rules (migration 0006)."""

    __tablename__ = "split_rule_sets"
    __table_args__ = (UniqueConstraint("festival_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"))
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SplitRule(db.Model):
    """One line of a festival's split rules. A change makes a new version of the whole set; a sale
    uses the newest version at the time of sale, and its ledger entries say which."""

    __tablename__ = "split_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('commission', 'operator_fee')", name="kind"),
        CheckConstraint("(basis_points IS NULL) <> (fixed_satang IS NULL)", name="one_amount"),
        CheckConstraint("basis_points IS NULL OR (basis_points >= 0 AND basis_points <= 10000)", name="bps_range"),
        CheckConstraint("fixed_satang IS NULL OR fixed_satang >= 0", name="fixed_not_negative"),
        CheckConstraint("kind <> 'operator_fee' OR organization_id IS NOT NULL", name="operator_named"),
        Index("ix_split_rules_festival_version", "festival_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"))
    #: rule-set version, 1, 2, ... per festival
    version: Mapped[int]
    #: commission (for the selling organization) | operator_fee (for an organizer, whoever sold)
    kind: Mapped[str] = mapped_column(String(15))
    #: commission: None = every selling organization, else an override for this one; operator: the operator
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: None = every price category
    category_code: Mapped[str | None] = mapped_column(String(40))
    #: share of the ticket price in 1/100 of a percent, or a fixed amount per ticket
    basis_points: Mapped[int | None]
    fixed_satang: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


#: a share entry says its kind; a custody entry has none
SHARE_KIND_CHECK = ("(kind = 'custody' AND share_kind IS NULL) OR (kind = 'share' AND share_kind IS NOT NULL "
                    "AND share_kind IN ('seller_commission', 'operator_fee', 'central_share', 'processor_fee'))")


class LedgerEntry(db.Model):
    """Who earns what (kind 'share') and who holds the money (kind 'custody'), in satang, written in
    the transaction of each sale and refund. Never changed: a correction is a reversing entry."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('share', 'custody')", name="kind"),
        CheckConstraint("source IN ('sale', 'refund', 'fee')", name="source"),
        CheckConstraint(SHARE_KIND_CHECK, name="share_kind"),
        Index("ix_ledger_festival_at", "festival_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("festival_sessions.id"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    #: sale | refund | fee (a payment processor's fee moved from the central share to its own line)
    source: Mapped[str] = mapped_column(String(10))
    #: share | custody
    kind: Mapped[str] = mapped_column(String(10))
    #: the party: a member organization or the central fund's account
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: signed: refunds are negative
    amount_satang: Mapped[int]
    #: the split-rule version the share was computed with (None: no rules yet, all to the central fund)
    rule_version: Mapped[int | None]
    #: a share's kind (``split.SHARE_KINDS``): seller_commission | operator_fee | central_share |
    #: processor_fee; None for custody
    share_kind: Mapped[str | None] = mapped_column(String(20))
    #: the rate of the rule that produced the share: basis points or a fixed amount per ticket (None for
    #: the central fund's remainder, and for entries written before the kinds were recorded)
    basis_points: Mapped[int | None]
    fixed_satang: Mapped[int | None]


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("ledger entries are append-only; write a reversing entry")
