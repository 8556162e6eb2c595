"""Audit log: record() is called by every service that changes state."""
from ..extensions import db
from . import chain  # noqa: F401  (SQLite connections get the chain's hash function)
from .models import AuditEntry


def record(user, action: str, obj_type: str, obj_id, before=None, after=None, *,
           organization_id: int | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits once). It concerns
    ``organization_id``, by default the acting user's organization. One INSERT: the database chains
    it when the transaction commits (``audit.chain``)."""
    if organization_id is None:
        organization_id = getattr(user, "organization_id", None)
    entry = AuditEntry(
        user_id=getattr(user, "id", None), organization_id=organization_id, action=action, object_type=obj_type,
        object_id=str(obj_id), before=before, after=after,
    )
    db.session.add(entry)
    return entry
