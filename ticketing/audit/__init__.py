"""Audit log: record() is called by every service that changes state."""
from sqlalchemy import insert

from ..extensions import db
from ..timeutil import utcnow
from . import chain  # noqa: F401  (SQLite connections get the chain's hash function)
from .models import AuditEntry

_INSERT = insert(AuditEntry.__table__)


def entry(user, action: str, obj_type: str, obj_id, before=None, after=None, *,
          organization_id: int | None = None) -> dict:
    """The row of an audit entry: by ``user`` (its id, or None), about ``obj_type`` ``obj_id``, concerning
    ``organization_id``, by default the acting user's organization."""
    if organization_id is None:
        organization_id = getattr(user, "organization_id", None)
    return {"at": utcnow(), "user_id": getattr(user, "id", None), "organization_id": organization_id,
            "action": action, "object_type": obj_type, "object_id": str(obj_id), "before": before, "after": after}


def record(user, action: str, obj_type: str, obj_id, before=None, after=None, *,
           organization_id: int | None = None) -> None:
    """Write an audit entry (``entry``) in the current transaction (the caller commits once). One INSERT,
    sent at once through Core (not the ORM's unit of work); what the session holds is flushed first, so
    the rows the entry names exist. The database chains it when the transaction commits (``audit.chain``).
    A counter sale writes its entry inside its one write statement instead (``sales.sale_sql``)."""
    db.session.flush()
    db.session.connection().execute(_INSERT, entry(user, action, obj_type, obj_id, before, after,
                                                   organization_id=organization_id))
