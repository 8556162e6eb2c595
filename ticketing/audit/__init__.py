"""Audit log: record() is called by every service that changes state."""
from ..extensions import db
from .models import AuditEntry


def record(user, action: str, obj_type: str, obj_id, before=None, after=None) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits once)."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None), action=action, object_type=obj_type,
        object_id=str(obj_id), before=before, after=after,
    )
    db.session.add(entry)
    return entry
