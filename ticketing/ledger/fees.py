"""A payment processor's fee (Stripe's, read from the payment's balance transaction) in the ledger.

The fee is moved out of the central fund's share into a ``processor_fee`` line of its own: two
entries of source ``fee`` that add up to zero, so the order's shares still add up to exactly what
was paid and ``revenue check`` (which recomputes the sale and refund entries) is unchanged. The fee
is the central fund's cost: a refund does not give it back (the processor keeps it), so refunds
reverse only the sale's entries, never these."""
from sqlalchemy import insert, select

from ..accounts.models import central_fund_id
from ..extensions import db
from ..festivals.models import FestivalSession
from ..timeutil import utcnow
from .models import LedgerEntry


def record_processor_fee(order, fee_satang: int) -> None:
    if not fee_satang:
        return
    festival_id, central = db.session.execute(
        select(FestivalSession.festival_id, central_fund_id()).where(FestivalSession.id == order.session_id)).one()
    common = {"festival_id": festival_id, "session_id": order.session_id, "order_id": order.id, "source": "fee",
              "kind": "share", "organization_id": central, "rule_version": None, "basis_points": None,
              "fixed_satang": None, "at": utcnow()}
    db.session.flush()  # the order first: the entries refer to it
    db.session.execute(insert(LedgerEntry), [dict(share_kind="processor_fee", amount_satang=fee_satang, **common),
                                             dict(share_kind="central_share", amount_satang=-fee_satang, **common)])
