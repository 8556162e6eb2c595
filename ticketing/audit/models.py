"""The audit log: every change of state, who did it and when, written in the same transaction, and
chained: each entry's link carries the hash of the link before (``audit.chain`` says how)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        # the audit page: one organization's entries, newest first
        Index("ix_audit_entries_organization_id", "organization_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: who acted; None for the command line and the demo loader
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the organization the change concerns (the seller's, the order's); None for festival-wide changes
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: dotted verb, e.g. "inventory.allocate"
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: what was changed, e.g. ("session", 3)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class AuditLink(db.Model):
    """One entry's place in the hash chain, written by the database itself when the entry's
    transaction commits (a deferred trigger on PostgreSQL, an insert trigger on SQLite): never by
    Python, so writing an entry stays one statement. See ``audit.chain``."""
    __tablename__ = "audit_chain"

    #: the entry's position in the chain: 1, 2, 3 … in commit order, with no gap
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the entry this link seals (one link per entry)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), unique=True)
    #: the hash of link ``seq - 1`` (64 zeros for the first)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: sha256 over this link's seq, prev_hash and the entry's every column (``chain.link_hash``)
    hash: Mapped[str] = mapped_column(String(64))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
@event.listens_for(AuditLink, "before_update")
@event.listens_for(AuditLink, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")
