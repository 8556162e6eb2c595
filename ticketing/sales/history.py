"""What the order page tells about an order besides its tickets: refunds, ticket e-mails sent, and
its audit trail (the order's own entries and its tickets' reissues), oldest first."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from ..accounts.models import User
from ..audit import record
from ..audit.models import AuditEntry
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, OrderEmail, Refund


@dataclass(frozen=True)
class TrailLine:
    at: datetime
    action: str
    who: str
    after: dict | None


def _name(user: User | None) -> str:
    return (user.display_name or user.username) if user else ""


#: what a buyer does to an order through the shop, without signing in (entries without a user)
BY_THE_BUYER = {"order.sell_online", "order.email"}


def _who(user: User | None, action: str) -> str:
    """Who did something to an order: a staff member, or the buyer through the online shop (a command
    on the server, the other entries without a user, names nobody)."""
    if user is not None:
        return _name(user)
    return _("the buyer, from the shop") if action in BY_THE_BUYER else ""


def record_email(actor, order: Order, to: str) -> OrderEmail:
    """Note that the ticket link was sent to ``to`` (the order page lists every e-mail sent), by a staff
    member or (``actor`` None) at the buyer's own request. The audit entry is filed under the order's
    selling organization; an online order has none, so under the acting staff member's (or none)."""
    sent = OrderEmail(order_id=order.id, to_address=to.strip()[:200], sent_at=utcnow(),
                      by_id=getattr(actor, "id", None))
    db.session.add(sent)
    db.session.flush()
    record(actor, "order.email", "order", order.id, None, {"to": sent.to_address},
           organization_id=order.organization_id)
    return sent


def emails_sent(order: Order) -> list[tuple[OrderEmail, str]]:
    return [(e, _who(u, "order.email")) for e, u in db.session.execute(
        select(OrderEmail, User).outerjoin(User, User.id == OrderEmail.by_id)
        .where(OrderEmail.order_id == order.id).order_by(OrderEmail.sent_at, OrderEmail.id))]


def refunds_of(order: Order) -> list[tuple[Refund, str, list[str]]]:
    """(refund, who gave it, the ids of its tickets)."""
    by_refund: dict[int, list[str]] = {}
    for ticket in order.tickets:
        if ticket.refund_id is not None:
            by_refund.setdefault(ticket.refund_id, []).append(ticket.id)
    return [(r, _name(u), by_refund.get(r.id, [])) for r, u in db.session.execute(
        select(Refund, User).outerjoin(User, User.id == Refund.by_id)
        .where(Refund.order_id == order.id).order_by(Refund.id))]


def audit_trail(order: Order) -> list[TrailLine]:
    ticket_ids = [t.id for t in order.tickets]
    rows = db.session.execute(
        select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.user_id)
        .where(or_(and_(AuditEntry.object_type == "order", AuditEntry.object_id == order.id),
                   and_(AuditEntry.object_type == "ticket", AuditEntry.object_id.in_(ticket_ids))))
        .order_by(AuditEntry.at, AuditEntry.id))
    return [TrailLine(e.at, e.action, _who(u, e.action), e.after) for e, u in rows]

