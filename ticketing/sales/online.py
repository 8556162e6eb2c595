"""Writing an online sale: the order the shop makes once a buyer's payment is confirmed.

The shop claims the seats itself (they were held by the buyer's cart, or are free again); this
module writes what a counter sale writes, the same way: the order and its tickets, the payment
(held by the central fund, whose Stripe account received it), the ledger's split and custody (no
selling organization: the central fund and the operators' rules share it), the processor's fee,
and the audit entry, all in the caller's transaction."""
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..accounts.models import central_fund_id
from ..extensions import db
from ..ledger.fees import record_processor_fee
from ..ledger.services import record_sale
from ..seating.models import PriceCategory
from .models import Order, Payment, Ticket, new_id

@dataclass(frozen=True)
class Line:
    seat_id: int
    category_id: int
    price_satang: int


def record_online_sale(session_id: int, lines: list[Line], buyer: dict, method: str, reference: str,
                       fee_satang: int = 0, idempotency_key: str | None = None) -> Order:
    """Write a paid online order for seats the caller has already claimed (``method``: card or promptpay)."""
    total = sum(line.price_satang for line in lines)
    order = Order(session_id=session_id, channel="online", organization_id=None, seller_id=None,
                  buyer_name=buyer.get("name", "")[:200], buyer_phone=buyer.get("phone", "")[:40],
                  buyer_email=buyer.get("email", "")[:200], payment_method=method, total_satang=total,
                  idempotency_key=idempotency_key)
    order.id, order.access_token = new_id(), secrets.token_urlsafe(24)
    order.tickets = [Ticket(id=new_id(), order_id=order.id, session_id=session_id, seat_id=line.seat_id,
                            category_id=line.category_id, price_satang=line.price_satang, position=i, issue_no=1)
                     for i, line in enumerate(lines)]
    central = db.session.scalar(select(central_fund_id()))
    order.payments = [Payment(order_id=order.id, method=method, amount_satang=total, custodian_id=central,
                              reference=reference[:100])]
    db.session.add(order)
    codes = dict(db.session.execute(select(PriceCategory.id, PriceCategory.code).where(
        PriceCategory.id.in_({line.category_id for line in lines}))).all())
    record_sale(order, order.payments[0], codes)
    record_processor_fee(order, fee_satang)
    audit.record(None, "order.sell_online", "order", order.id, None,
                 {"seats": [line.seat_id for line in lines], "total_satang": total, "method": method,
                  "reference": reference, "fee_satang": fee_satang})
    db.session.flush()
    return order
