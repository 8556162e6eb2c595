"""Tickets sent again to a buyer who lost the e-mail: they give the address they bought with, and each of
their orders that still has tickets for a session not yet over is mailed to it again (one e-mail per
order, the same as the first; from a counter sale too, when the seller took the address).

The page answers the same whether or not an order matched, so it tells nobody who bought what. An
address is served at most ``REQUESTS_PER_HOUR`` times an hour, so the form cannot flood a mailbox (two
requests at the same instant may both pass: the limit is against flooding, not exact); the orders desk can
always send more."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, distinct, func, or_, select

from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..sales.buyers import EMAIL_RE
from ..sales.history import record_email
from ..sales.models import Order, OrderEmail
from ..timeutil import utcnow

REQUESTS_PER_HOUR = 3
#: the orders one request sends at the most (the newest sessions first)
MAX_ORDERS = 20
#: a session without an end time counts as over this long after it starts
SESSION_LENGTH = timedelta(hours=12)


def checked_address(email) -> str:
    """The address as typed, stripped; refused (naming the field) if no ticket link could go there."""
    address = str(email or "").strip()
    if not address or len(address) > 200 or not EMAIL_RE.match(address):
        message = _("Give the e-mail address you bought with, such as name@example.com.")
        raise Invalid(message, code="invalid_email", details={"email": message})
    return address


def _requests_in_the_last_hour(key: str) -> int:
    """The buyer's own requests (no staff member sent them) for this address: the e-mails of one request
    share their ``sent_at``."""
    return db.session.scalar(select(func.count(distinct(OrderEmail.sent_at))).where(
        OrderEmail.by_id.is_(None), func.lower(OrderEmail.to_address) == key,
        OrderEmail.sent_at > utcnow() - timedelta(hours=1))) or 0


def orders_to_send_again(email) -> list[Order]:
    """The orders whose ticket e-mail goes again to ``email`` now, each noted on its order page and in
    the audit log (the caller commits, then mails them). Empty when none matched or the address has
    asked too often this hour; the buyer is told the same either way."""
    address = checked_address(email)
    key = address.lower()
    if _requests_in_the_last_hour(key) >= REQUESTS_PER_HOUR:
        return []
    now = utcnow()
    not_over = or_(FestivalSession.ends_at > now,
                   and_(FestivalSession.ends_at.is_(None), FestivalSession.starts_at > now - SESSION_LENGTH))
    orders = db.session.scalars(
        select(Order).join(FestivalSession, FestivalSession.id == Order.session_id)
        .where(Order.buyer_email_key == key, Order.status != "void", not_over)
        .order_by(FestivalSession.starts_at.desc(), Order.created_at.desc()).limit(MAX_ORDERS)).all()
    for order in orders:
        record_email(None, order, address, at=now)
    return orders
