"""Benchmark: finding an order among 50,000 (the orders desk's search, sales.search).

    .venv/bin/python bench/orders.py --db sqlite          # or --db postgresql [--database-url URL] [--keep]

Loads 50,000 orders (1-4 tickets each, 9 organizations, 10 sessions over 10 days, Thai and English
buyer names, phones and e-mails, some voided) into its own scratch database (bench/common.py): a new
SQLite file, or the PostgreSQL database `ticketing_bench_orders` (or ``--database-url``), created for
the run and dropped afterwards unless ``--keep``; a database it did not create is never touched.
Then ANALYZE, and times the typical searches of a busy desk against a baseline measured in the same
run: one order read by its primary key with its tickets (what opening an order page costs). Prints
each search's median and p95 in milliseconds and its ratio to the baseline's median.
"""
import argparse
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from ticketing import create_app  # noqa: E402
from ticketing.accounts.services import save_organization, save_user  # noqa: E402
from ticketing.config import sqlalchemy_url  # noqa: E402
from bench.common import ScratchDatabase, add_database_options, analyze, median, percentile  # noqa: E402
from bench.common import timed as timed_samples  # noqa: E402
from ticketing.extensions import db  # noqa: E402
from ticketing.festivals.services import save_festival  # noqa: E402
from ticketing.inventory.sessions import import_map, save_session  # noqa: E402
from ticketing.sales.models import Order, Payment, Ticket, phone_key  # noqa: E402
from ticketing.sales.search import OrderFilter, search_orders  # noqa: E402
from ticketing.seating.mapfile import parse_map  # noqa: E402
from ticketing.seating.models import PriceCategory, Seat, Section  # noqa: E402

FIRST = ["สมชาย", "สมหญิง", "ประเสริฐ", "นงลักษณ์", "วิชัย", "สุดารัตน์", "อนันต์", "กาญจนา", "John", "Mary",
         "Anong", "Somsak", "Kittipong", "Ploy", "Nattapong", "Siriporn"]
LAST = ["ใจดี", "รักไทย", "ศรีสุข", "มั่นคง", "บุญมา", "แสงทอง", "Smith", "Wong", "Chaiyaphum", "Phrommin",
        "Saetang", "Kaewmanee"]


def plan(seats: int) -> dict:
    rows, per_row = 25, 26
    sections = -(-seats // (rows * per_row))
    return {"format": "ubon-candle-seating/1", "name": {"th": "bench", "en": "bench"},
            "categories": [{"code": "front", "name": {"th": "หน้า", "en": "Front"}, "color": "#c8102e",
                            "price_satang": 150000},
                           {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8",
                            "price_satang": 80000}],
            "stands": [{"code": "A", "name": {"th": "A", "en": "A"}, "sections": [
                {"code": f"A{n}", "name": {"th": f"A{n}", "en": f"A{n}"}, "blocks": [
                    {"rows": rows, "first_row": "1", "seats_per_row": per_row, "seat_pitch": 10, "row_pitch": 12,
                     "origin": {"x": n * 300, "y": 0}, "category": "front" if n == 1 else "vip"}]}
                for n in range(1, sections + 1)]}]}


def load(orders: int, sessions: int, rng: random.Random):
    central = save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central")
    orgs = [save_organization(None, None, code=f"org{i}", kind="member", name_th=f"องค์กร {i}", name_en=f"Org {i}")
            for i in range(1, 10)]
    sellers = [save_user(None, None, username=f"seller{i}", roles=["seller"], organization_id=o.id,
                         password="bench-password") for i, o in enumerate(orgs, 1)]
    treasurer = save_user(None, None, username="treasurer", roles=["treasurer"], organization_id=None,
                          password="bench-password")
    festival = save_festival(None, None, name_th="งานแห่เทียน", name_en="Candle Festival", year=2027)
    per_session = orders // sessions * 3  # up to 4 tickets an order, 2.5 on average
    import_map(None, festival, parse_map(__import__("json").dumps(plan(per_session)), max_seats=200_000))
    base = datetime(2027, 7, 10, 1, 0, tzinfo=timezone.utc)
    session_rows = [save_session(None, festival, None, name_th=f"รอบ {i + 1}", name_en=f"S{i + 1}",
                                 starts_at=base + timedelta(days=i)) for i in range(sessions)]
    db.session.commit()
    seats = db.session.execute(select(Seat.id, Seat.category_id, PriceCategory.price_satang)
                               .join(PriceCategory, PriceCategory.id == Seat.category_id).order_by(Seat.id)).all()
    methods = ["cash", "cash", "transfer", "promptpay"]
    made = []
    per = orders // sessions
    for s, session in enumerate(session_rows):
        order_rows, ticket_rows, payment_rows = [], [], []
        next_seat = 0
        for n in range(per):
            count = rng.randint(1, 4)
            chunk = seats[next_seat:next_seat + count]
            next_seat += count
            seller = sellers[n % 9]
            at = base - timedelta(days=sessions - s) + timedelta(seconds=n * 86400 // per)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < .8 else ""
            phone = f"08{rng.randint(0, 9)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if rng.random() < .7 else ""
            email = f"buyer{s}x{n}@example.com" if rng.random() < .3 else ""
            total = sum(c[2] for c in chunk)
            method = methods[n % 4]
            void = rng.random() < .02
            order_id = str(uuid.uuid4())
            order_rows.append(dict(id=order_id, session_id=session.id, channel="counter",
                                   organization_id=seller.organization_id, seller_id=seller.id, buyer_name=name,
                                   buyer_phone=phone, buyer_email=email, buyer_phone_key=phone_key(phone),
                                   buyer_email_key=email.lower(), payment_method=method, total_satang=total,
                                   status="void" if void else "paid", created_at=at, voided_at=at if void else None,
                                   access_token=uuid.uuid4().hex))
            ticket_rows += [dict(id=str(uuid.uuid4()), order_id=order_id, session_id=session.id, seat_id=c[0],
                                 category_id=c[1], price_satang=c[2], status="void" if void else "valid", position=i,
                                 issue_no=1) for i, c in enumerate(chunk)]
            payment_rows.append(dict(order_id=order_id, method=method, amount_satang=total,
                                     custodian_id=seller.organization_id if method == "cash" else central.id,
                                     reference="", created_at=at))
            made.append((order_id, phone, email, name, session.id, chunk[0][0], seller))
        for model, rows in ((Order, order_rows), (Ticket, ticket_rows), (Payment, payment_rows)):
            for i in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[i:i + 5000])
        db.session.commit()
    return treasurer, made, session_rows


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls after one to warm up (plans, caches), each from a fresh session state."""
    return timed_samples(fn, repeat, before=db.session.expire_all)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "orders")
    parser.add_argument("--pg-url", dest="database_url", help="the same as --database-url")
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with ScratchDatabase(args) as url:
        run(args, url)


def run(args, url: str):
    rng = random.Random(12)
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.test_request_context():
        upgrade()
        started = time.perf_counter()
        treasurer, made, sessions = load(args.orders, 10, rng)
        db.session.commit()
        analyze(url)
        total = db.session.scalar(select(db.func.count()).select_from(Order))
        tickets = db.session.scalar(select(db.func.count()).select_from(Ticket))
        print(f"database: {'postgresql' if url.startswith('postgres') else 'sqlite'}   orders: {total:,}   tickets: {tickets:,}   loaded in "
              f"{time.perf_counter() - started:.0f} s")
        pick = made[len(made) * 2 // 3]
        with_phone = next(m for m in made[len(made) // 3:] if m[1])
        with_email = next(m for m in made[len(made) // 2:] if m[2])
        seat = db.session.execute(select(Section.code, Seat.row_label, Seat.label).join(Section)
                                  .where(Seat.id == pick[5])).one()
        seller = pick[6]
        baseline_id = pick[0]

        def baseline():
            db.session.scalars(select(Order).where(Order.id == baseline_id)
                               .options(selectinload(Order.tickets))).one()

        def find(user, **kw):
            return lambda: search_orders(user, OrderFilter(**kw))
        page = search_orders(treasurer, OrderFilter())
        for _ in range(9):  # the 10th page of the newest orders
            page = search_orders(treasurer, OrderFilter(), page.next_cursor)
        deep = page.next_cursor
        day = (made[len(made) // 2][4])
        cases = [
            ("baseline: one order by primary key", baseline),
            ("newest 50 (no filter)", find(treasurer)),
            ("order number (8 characters)", find(treasurer, q=pick[0][:8].upper())),
            ("phone, whole number", find(treasurer, q=with_phone[1].replace("-", ""))),
            ("phone, last 4 digits", find(treasurer, phone=with_phone[1][-4:])),
            ("e-mail", find(treasurer, q=with_email[2])),
            ("seat (section row seat)", find(treasurer, q=" ".join(seat))),
            ("buyer name, common (สมชาย)", find(treasurer, q="สมชาย")),
            ("buyer name, rare (no match)", find(treasurer, q="ไม่มีชื่อนี้")),
            ("seller: own orders, void", find(seller, status="void")),
            ("session + transfer + status", find(treasurer, session_id=day, method="transfer", status="paid")),
            ("one day (Ubon), newest 50", find(treasurer, date_from=datetime(2027, 7, 5).date(),
                                                date_to=datetime(2027, 7, 5).date())),
            ("page 11 by cursor", lambda: search_orders(treasurer, OrderFilter(), deep)),
        ]
        results = [(name, timed(fn, args.repeat)) for name, fn in cases]
        found = {"order number": len(search_orders(treasurer, OrderFilter(q=pick[0][:8])).orders),
                 "phone": len(search_orders(treasurer, OrderFilter(q=with_phone[1])).orders),
                 "seat": len(search_orders(treasurer, OrderFilter(q=" ".join(seat))).orders)}
    base = median(results[0][1])
    print(f"{'search':<36}{'median ms':>10}{'p95 ms':>9}{'x baseline':>12}")
    for name, samples in results:
        print(f"{name:<36}{median(samples):>10.2f}{percentile(samples, .95):>9.2f}{median(samples) / base:>12.1f}")
    print("orders found:", ", ".join(f"{k} {v}" for k, v in found.items()))


if __name__ == "__main__":
    main()
