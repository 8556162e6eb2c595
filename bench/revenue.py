"""Benchmark: statements and exports over 100,000 tickets sold by nine organizations and the online
shop in two sessions.

    .venv/bin/python bench/revenue.py [--tickets 100000] [--db sqlite|postgresql] [--database-url URL] [--keep]

Sales are written in bulk (orders, tickets, payments and their ledger entries split by the real
split function, with each share's kind; one order in ten is an online order with no selling
organization, paid to the central fund, with Stripe's fee as its two ``fee`` entries), then each
export is timed with its peak Python memory (tracemalloc). The statement is compared with a baseline
measured in the same run: one bare query summing the ledger per party and kind. The ledger CSV
streams: its peak memory at 10% of the tickets and at all of them is printed side by side. PostgreSQL
runs in a scratch database of the benchmark's own (``bench/common.py``), analysed after loading and
dropped afterwards.
"""
import argparse
import csv
import io
import os
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import ScratchDatabase, add_database_options, analyze  # noqa: E402

#: one order in ONLINE_EVERY is an online order (no selling organization, paid to the central fund)
ONLINE_EVERY = 10


def big_plan(seats_per_session: int) -> dict:
    rows, per_row = 50, 20
    sections = -(-seats_per_session // (rows * per_row))
    stands = [{"code": f"S{s}", "name": {"th": f"S{s}", "en": f"S{s}"}, "sections": [
        {"code": f"S{s}-{n}", "name": {"th": f"{n}", "en": f"{n}"}, "blocks": [
            {"rows": rows, "first_row": "1", "seats_per_row": per_row, "seat_pitch": 10, "row_pitch": 12,
             "origin": {"x": n * 220, "y": s * 700}, "category": "vip" if n % 3 else "front"}]}
        for n in range(10)]} for s in range(-(-sections // 10))]
    return {"format": "ubon-candle-seating/1", "name": {"th": "bench", "en": "bench"}, "stands": stands,
            "categories": [{"code": "front", "name": {"th": "หน้า", "en": "Front"}, "color": "#c8102e", "price_satang": 150000},
                           {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8", "price_satang": 80000}]}


def populate(tickets: int):
    """Nine organizations sell ``tickets`` seats (4 per order) over two sessions, over two days."""
    import json

    from sqlalchemy import insert, select

    from ticketing.accounts.services import save_organization, save_user
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.ledger.models import LedgerEntry
    from ticketing.ledger.services import current_rules
    from ticketing.ledger.split import split_parts
    from ticketing.revenue.services import save_rules
    from ticketing.sales.models import Order, Payment, Ticket
    from ticketing.seating.mapfile import parse_map
    from ticketing.seating.models import PriceCategory, Seat

    per_session = tickets // 2
    central = save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central")
    orgs = [save_organization(None, None, code=f"org{i}", kind="member", name_th=f"องค์กร {i}", name_en=f"Org {i}")
            for i in range(1, 10)]
    users = [save_user(None, None, username=f"seller{i}", roles=["seller"], organization_id=o.id,
                       password="bench-password") for i, o in enumerate(orgs, 1)]
    festival = save_festival(None, None, name_th="งานแห่เทียน", name_en="Candle Festival", year=2027)
    import_map(None, festival, parse_map(json.dumps(big_plan(per_session)), max_seats=200_000))
    base = datetime(2027, 7, 19, 1, 0, tzinfo=timezone.utc)
    sessions = [save_session(None, festival, None, name_th=f"รอบ {i}", name_en=f"S{i}",
                             starts_at=base + timedelta(days=i)) for i in range(2)]
    save_rules(None, festival, [{"kind": "commission", "basis_points": 1000},
                                {"kind": "operator_fee", "organization_id": orgs[2].id, "fixed_satang": 2000}])
    db.session.commit()
    version, rules = current_rules(festival.id)
    seats = db.session.execute(select(Seat.id, Seat.category_id, PriceCategory.code, PriceCategory.price_satang)
                               .join(PriceCategory, PriceCategory.id == Seat.category_id).order_by(Seat.id)).all()
    methods = ["cash", "transfer", "promptpay"]
    for s, session in enumerate(sessions):
        orders, ticket_rows, payments, ledger = [], [], [], []
        for n in range(0, per_session, 4):
            chunk = seats[n:n + 4]
            online = (n // 4) % ONLINE_EVERY == ONLINE_EVERY - 1
            seller = users[(n // 4) % 9]
            seller_org = None if online else seller.organization_id
            order_id, at = str(uuid.uuid4()), base + timedelta(days=s, seconds=n // 4)
            total = sum(c[3] for c in chunk)
            method = "card" if online else methods[(n // 4) % 3]
            custodian = seller.organization_id if method == "cash" else central.id
            orders.append(dict(id=order_id, session_id=session.id, channel="online" if online else "counter",
                               organization_id=seller_org, seller_id=None if online else seller.id, buyer_name="",
                               buyer_phone="", buyer_email="", payment_method=method,
                               total_satang=total, status="paid", created_at=at, access_token=uuid.uuid4().hex))
            ticket_rows += [dict(id=str(uuid.uuid4()), order_id=order_id, session_id=session.id, seat_id=c[0],
                                 category_id=c[1], price_satang=c[3], status="valid", position=i, issue_no=1)
                            for i, c in enumerate(chunk)]
            payments.append(dict(order_id=order_id, method=method, amount_satang=total, custodian_id=custodian,
                                 reference="", created_at=at))
            common = dict(at=at, festival_id=festival.id, session_id=session.id, order_id=order_id, source="sale")
            for part in split_parts([(c[2], c[3]) for c in chunk], seller_org, rules, central.id, total):
                ledger.append(dict(kind="share", share_kind=part.kind, organization_id=part.organization_id,
                                   amount_satang=part.amount_satang, rule_version=version,
                                   basis_points=part.basis_points, fixed_satang=part.fixed_satang, **common))
            ledger.append(dict(kind="custody", share_kind=None, organization_id=custodian, amount_satang=total,
                               rule_version=None, basis_points=None, fixed_satang=None, **common))
            if online:  # Stripe's fee (3.65 %) moved out of the central fund's share
                fee = (total * 365 + 5000) // 10000
                for kind, amount in (("processor_fee", fee), ("central_share", -fee)):
                    ledger.append(dict(common, source="fee", kind="share", share_kind=kind, organization_id=central.id,
                                       amount_satang=amount, rule_version=None, basis_points=None, fixed_satang=None))
        for model, rows in ((Order, orders), (Ticket, ticket_rows), (Payment, payments), (LedgerEntry, ledger)):
            for i in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[i:i + 5000])
        db.session.commit()
    return festival, base


def measure(fn):
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    add_database_options(parser, "revenue")
    args = parser.parse_args()
    with ScratchDatabase(args) as url:
        run(args, url)


def run(args, url):
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from ticketing import create_app
    from ticketing.config import sqlalchemy_url
    from ticketing.revenue import exports, statements
    from ticketing.revenue.check import problems
    from ticketing.extensions import db
    from ticketing.revenue.ledger_csv import ledger_csv_rows
    from ticketing.ledger.models import LedgerEntry

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.test_request_context():
        upgrade()
        started = time.perf_counter()
        festival, base = populate(args.tickets)
        festival_id = festival.id
        db.session.remove()
        analyze(url)
        print(f"database: {args.db if not url.startswith('postgres') else 'postgresql'}   tickets: {args.tickets:,} "
              f"(9 organizations and the online shop, 2 sessions)   loaded in {time.perf_counter() - started:.1f} s")
        whole = (base - timedelta(days=1), base + timedelta(days=3))
        rows = []

        def bare_sums():
            """Baseline: the ledger of the period summed per party, kind and share kind in one query."""
            return db.session.execute(
                select(LedgerEntry.organization_id, LedgerEntry.kind, LedgerEntry.share_kind,
                       func.sum(LedgerEntry.amount_satang))
                .where(LedgerEntry.festival_id == festival_id, LedgerEntry.at >= whole[0], LedgerEntry.at < whole[1])
                .group_by(LedgerEntry.organization_id, LedgerEntry.kind, LedgerEntry.share_kind)).all()
        measure(bare_sums)  # warm the cache for both
        sums_seconds, peak, _sums = measure(bare_sums)
        rows.append(("baseline: bare ledger sums", sums_seconds, peak, ""))
        statement_seconds, peak, statement = measure(lambda: statements.build(festival_id, *whole))
        rows.append(("statement (all + online line)", statement_seconds, peak,
                     f"online {statement.online.tickets_sold:,} tickets"))
        for name, fn in (("statement CSV", exports.statement_csv), ("statement XLSX", exports.statement_xlsx),
                         ("statement PDF", exports.statement_pdf)):
            seconds, peak, data = measure(lambda fn=fn: fn(statement))
            rows.append((name, seconds, peak, f"{len(data) / 1024:.0f} KB"))

        def ledger_bytes(until):
            return sum(len(chunk) for chunk in ledger_csv_rows(festival_id, whole[0], until))
        tenth = base + timedelta(seconds=args.tickets // 4 // 10)
        seconds, peak10, size10 = measure(lambda: ledger_bytes(tenth))
        rows.append(("ledger CSV, 10% of tickets", seconds, peak10, f"{size10 / 1e6:.1f} MB"))
        ledger_seconds, peak100, size100 = measure(lambda: ledger_bytes(whole[1]))
        rows.append(("ledger CSV, all tickets", ledger_seconds, peak100, f"{size100 / 1e6:.1f} MB"))

        def bare_bytes(until):
            """Baseline: the ledger rows by a plain query, written by csv.writer, nothing else."""
            buf, size = io.StringIO(), 0
            writer = csv.writer(buf)
            query = (select(LedgerEntry.__table__).where(LedgerEntry.festival_id == festival_id,
                                                         LedgerEntry.at >= whole[0], LedgerEntry.at < until)
                     .execution_options(yield_per=2000))
            for row in db.session.execute(query):
                writer.writerow(row)
                if buf.tell() > 64_000:
                    size += buf.tell()
                    buf.seek(0)
                    buf.truncate()
            return size + buf.tell()
        bare_seconds, bare_peak, _size = measure(lambda: bare_bytes(whole[1]))
        rows.append(("baseline: bare ledger query+csv", bare_seconds, bare_peak, f"{_size / 1e6:.1f} MB"))
        seconds, peak, found = measure(problems)
        rows.append(("revenue check (all invariants)", seconds, peak, "ok" if not found else f"{len(found)} problems"))
    print(f"{'what':<32}{'seconds':>9}{'peak MB':>9}  size")
    for name, seconds, peak, size in rows:
        print(f"{name:<32}{seconds:>9.2f}{peak:>9.1f}  {size}")
    print(f"ledger CSV peak memory, all vs 10%: {peak100 / peak10:.2f}x for {size100 / size10:.1f}x the rows")
    print(f"ledger CSV time vs the bare baseline: {ledger_seconds / bare_seconds:.2f}x")
    print(f"statement time vs the bare ledger sums: {statement_seconds / sums_seconds:.2f}x")


if __name__ == "__main__":
    main()
