"""A simulated counter day for the demo: the demo sellers sell through the same service as the counter
page (cash, transfer, PromptPay and now and then complimentary seats) and void a few orders, so the
treasurer's dashboard, statements and ``flask revenue check`` have something real to show.

Only for a demo database: it sells real seats of the first session(s).
"""
import random
from collections import defaultdict

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..festivals.models import Festival
from ..inventory.services import seat_views
from ..sales.services import PaymentInput, complimentary_left, sell, void_order

VOID_EVERY = 15
COMPLIMENTARY_EVERY = 25


def _payment(rng: random.Random, number: int, seller, festival_id: int) -> PaymentInput:
    if number % COMPLIMENTARY_EVERY == 0 and complimentary_left(seller.organization_id, festival_id) >= 4:
        return PaymentInput("complimentary", reason="แขกของงาน (จำลอง)")
    method = rng.choice(["cash", "cash", "cash", "transfer", "promptpay"])
    if method == "transfer":
        return PaymentInput("transfer", reference=f"SIM-{number:05d}")
    return PaymentInput(method)


def simulate_day(festival: Festival, orders: int, seed: int = 2027, progress=None) -> dict[str, int]:
    """Sell ``orders`` orders of 1-4 seats by the demo sellers in turn over the festival's sessions, voiding
    every ``VOID_EVERY``-th; commit each like a counter would. Returns counts of what happened."""
    rng = random.Random(seed)
    sellers = list(db.session.scalars(select(User).where(User.username.like("seller%"),
                                                         User.organization_id.is_not(None)).order_by(User.id)))
    sellers = [s for s in sellers if s.has_role("seller")]
    if not sellers or not festival.sessions:
        return {"orders": 0, "tickets": 0, "voided": 0}
    free = {}  # session id -> organization id (None = pool) -> available seat ids
    for session in festival.sessions:
        by_org = defaultdict(list)
        for seat in seat_views(session.id):
            if seat.state == "available" and not seat.sold_whole:  # tables sold whole: not picked at random
                by_org[seat.organization_id].append(seat.id)
        free[session.id] = by_org
    done = {"orders": 0, "tickets": 0, "voided": 0}
    for number in range(1, orders + 1):
        seller = sellers[number % len(sellers)]
        session = festival.sessions[(number // len(sellers)) % len(festival.sessions)]
        pools = [free[session.id][seller.organization_id], free[session.id][None]]
        pool = next((p for p in pools if p), None)
        if pool is None:
            continue
        count = min(len(pool), rng.randint(1, 4))
        seat_ids = [pool.pop(rng.randrange(len(pool))) for _ in range(count)]
        order = sell(seller, session.id, seat_ids, _payment(rng, number, seller, festival.id),
                     {"name": f"ผู้ซื้อจำลอง {number}"})
        db.session.commit()
        done["orders"] += 1
        done["tickets"] += count
        if number % VOID_EVERY == 0:
            void_order(seller, order.id, "ลูกค้าขอยกเลิก (จำลอง)")
            db.session.commit()
            pool.extend(seat_ids)
            done["voided"] += 1
        if progress:
            progress(1)
    return done
