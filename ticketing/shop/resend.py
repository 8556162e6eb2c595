"""Tickets sent again to a buyer who lost the e-mail: they give the address they bought with, and each of
their orders that still has tickets for a session not yet over is mailed to it again (one e-mail per
order, the same as the first; from a counter sale too, when the seller took the address).

The page answers the same whether or not an order matched, and as soon (the e-mails go out after the
answer), so it tells nobody who bought what. How often an address and a client may ask is limited by the
rate limiter (``TICKETS_AGAIN_PER_ADDRESS``, ``TICKETS_AGAIN_PER_CLIENT``, counted for every request), so
the form can neither flood a mailbox nor serve to try addresses; the orders desk can always send more."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..sales.buyers import usable_email
from ..sales.history import record_email
from ..sales.models import Order
from ..timeutil import utcnow

#: the orders one request sends at the most (the soonest sessions first)
MAX_ORDERS = 20
#: a session without an end time counts as over this long after it starts
SESSION_LENGTH = timedelta(hours=12)


def checked_address(email) -> str:
    """The address as typed, stripped; refused (naming the field) if no ticket link could go there."""
    address = str(email or "").strip()
    if not usable_email(address):
        message = _("Give the e-mail address you bought with, such as name@example.com.")
        raise Invalid(message, code="invalid_email", details={"email": message})
    return address


def orders_to_send_again(email) -> list[Order]:
    """The orders whose ticket e-mail goes again to ``email`` now, with their session and festival loaded,
    each noted on its order page and in the audit log (the caller commits, then mails them). Empty when
    none matched; the buyer is told the same either way."""
    address = checked_address(email)
    key = address.lower()
    now = utcnow()
    not_over = or_(FestivalSession.ends_at > now,
                   and_(FestivalSession.ends_at.is_(None), FestivalSession.starts_at > now - SESSION_LENGTH))
    orders = db.session.scalars(
        select(Order).join(FestivalSession, FestivalSession.id == Order.session_id)
        .options(joinedload(Order.session).joinedload(FestivalSession.festival))
        .where(Order.buyer_email_key == key, Order.status != "void", not_over)
        .order_by(FestivalSession.starts_at, Order.created_at).limit(MAX_ORDERS)).all()
    for order in orders:
        record_email(None, order, address)
    return orders
