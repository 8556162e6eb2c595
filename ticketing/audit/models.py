"""The audit log: every change of state, who did it and when, written in the same transaction."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: who acted; None for the command line and the demo loader
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: dotted verb, e.g. "inventory.allocate"
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: what was changed, e.g. ("session", 3)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")
