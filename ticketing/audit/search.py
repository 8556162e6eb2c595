"""The audit page's question: entries with their links, newest first, narrowed by organization, user, kind
and time; one page at a time (keyset paging by id, so a deep page costs what the first does)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from .models import AuditEntry, AuditLink

PAGE = 50


@dataclass
class AuditFilter:
    organization_id: int | None = None
    user_id: int | None = None
    #: an action ("order.sell"), or a kind of actions ("order.")
    kind: str | None = None
    #: UTC bounds, from inclusive, to exclusive
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def kinds() -> list[str]:
    """Every action written so far, for the filter."""
    return sorted(db.session.scalars(select(AuditEntry.action).distinct()))


def search(f: AuditFilter, before_id: int | None = None, limit: int = PAGE) -> tuple[list, int | None]:
    """(rows of (entry, seq, hash), the id to ask ``before_id`` for the next page or None)."""
    query = (select(AuditEntry, AuditLink.seq, AuditLink.hash)
             .outerjoin(AuditLink, AuditLink.entry_id == AuditEntry.id)
             .order_by(AuditEntry.id.desc()).limit(limit + 1))
    if f.organization_id is not None:
        query = query.where(AuditEntry.organization_id == f.organization_id)
    if f.user_id is not None:
        query = query.where(AuditEntry.user_id == f.user_id)
    if f.kind:
        query = query.where(AuditEntry.action.startswith(f.kind, autoescape=True) if f.kind.endswith(".")
                            else AuditEntry.action == f.kind)
    if f.starts_at is not None:
        query = query.where(AuditEntry.at >= f.starts_at)
    if f.ends_at is not None:
        query = query.where(AuditEntry.at < f.ends_at)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0].id if more else None)
