"""Benchmark: gate check-in through the API of the real app under gunicorn, against a bare endpoint that
only does the conditional admission write, in the same run.

    .venv/bin/python bench/gate.py --db sqlite|postgresql [--scanners 32] [--tickets 10000] [--workers 2]

Sells TICKETS seats of each of two sessions through the sale service and opens their gates; then
SCANNERS gate devices (processes of threads, each with its own bearer token and keep-alive connection)
scan every ticket of the first session through POST /api/v1/checkins, plus 10 % of them a second time
with a new nonce (those must be `already_used`), and the same plan over the second session through the
bare endpoint (bench/bare_app.py). The two take turns (``--rounds``), so that whatever else the machine
is doing weighs on both alike. Prints scans/s, p50/p99 latency, the answers by result,
`double_admitted` (tickets with more than one `ok`, in the answers or in the database: must be 0) and
the ratio to the bare write, beside the targets. Each endpoint stops after ``--max-seconds`` in all.
Works in a scratch database of its own (bench/common.py): PostgreSQL `ticketing_bench_gate` (or
``--database-url``), created and dropped afterwards unless ``--keep``; SQLite, a temporary file.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import ScratchDatabase, Server, add_database_options, server_cpu  # noqa: E402
REPEATS = 0.10
#: tickets of each session sold beyond the measured ones, scanned once before measuring (a fresh worker's
#: first requests load translations, compile statements and open connections)
WARMUP = 64
TARGET_RATIO, TARGET_P99 = 0.5, 50.0


def plan(tickets: int) -> dict:
    """Four stands of 10 sections x 10 rows, enough seats a row for ``tickets`` seats."""
    per_row = -(-tickets // 400)
    stands = []
    for s, code in enumerate("ABCD"):
        sections = [{"code": f"{code}{n}", "name": {"th": f"{code}{n}", "en": f"{code}{n}"}, "blocks": [
            {"rows": 10, "first_row": "1", "seats_per_row": per_row,
             "origin": {"x": n * (per_row * 10 + 20), "y": s * 150}, "seat_pitch": 10, "row_pitch": 12,
             "category": "vip" if n % 3 else "front"}]} for n in range(10)]
        stands.append({"code": code, "name": {"th": f"อัฒจันทร์ {code}", "en": f"Stand {code}"}, "sections": sections})
    return {"format": "ubon-candle-seating/1", "name": {"th": "bench", "en": "bench"}, "stands": stands,
            "categories": [
                {"code": "front", "name": {"th": "หน้า", "en": "Front"}, "color": "#c8102e", "price_satang": 150000},
                {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8", "price_satang": 80000}]}


def setup(url: str, tickets: int, scanners: int) -> dict:
    """Schema, a festival whose four stands are bound to two entrances, two sessions with their gates open
    and ``tickets`` seats of each sold through the sale service (orders of 50): the first session is
    scanned through the app, the second through the bare endpoint. A gate token per scanner.
    Returns each session's id and tickets, each ticket as (id, code, entrance), and the tokens; the
    last ``WARMUP`` tickets of each session are for warming the servers up."""
    from datetime import datetime, timedelta, timezone

    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from ticketing import create_app
    from ticketing.accounts.services import issue_token, save_organization, save_user
    from ticketing.config import sqlalchemy_url
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.gate.services import save_entrance, set_gate_rules
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.sales.models import Ticket
    from ticketing.sales.services import MAX_SEATS_PER_ORDER, PaymentInput, sell
    from ticketing.seating.mapfile import parse_map
    from ticketing.seating.models import Seat, Section, Stand
    from ticketing.tickets.codes import encode
    from ticketing.tickets.services import signing_key
    from ticketing.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.app_context():
        upgrade()
        save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
        org = save_organization(None, None, code="m1", kind="member", name_th="สมาชิก", name_en="Member")
        festival = save_festival(None, None, name_th="bench", name_en="bench", year=2027)
        import_map(None, festival, parse_map(json.dumps(plan(tickets + WARMUP))))
        admin = save_user(None, None, username="admin", roles=["admin"], organization_id=None,
                          password="bench-password")
        north = save_entrance(admin, festival.id, None, code="N", name_th="ประตูเหนือ", name_en="North",
                              stands=["A", "B"])
        south = save_entrance(admin, festival.id, None, code="S", name_th="ประตูใต้", name_en="South",
                              stands=["C", "D"])
        entrance_of = {"A": north.id, "B": north.id, "C": south.id, "D": south.id}
        seller = save_user(None, None, username="seller", roles=["seller"], organization_id=org.id,
                           password="bench-password")
        seat_ids = list(db.session.scalars(select(Seat.id).order_by(Seat.position)))[:tickets + WARMUP]
        key = signing_key()
        sessions = {}
        for name, day in (("app", 19), ("bare", 20)):
            session = save_session(None, festival, None, name_th=name, name_en=name,
                                   starts_at=datetime(2027, 7, day, tzinfo=timezone.utc))
            set_gate_rules(admin, session, reentry_allowed=False, gate_opens_at=utcnow() - timedelta(hours=1))
            for i in range(0, len(seat_ids), MAX_SEATS_PER_ORDER):
                sell(seller, session.id, seat_ids[i:i + MAX_SEATS_PER_ORDER], PaymentInput("cash"))
                db.session.commit()
            sessions[name] = (session.id, [
                (t.id, encode(key, t.id, t.session_id, t.seat_id, t.issue_no), entrance_of[stand])
                for t, stand in db.session.execute(
                    select(Ticket, Stand.code).join(Seat, Seat.id == Ticket.seat_id)
                    .join(Section, Section.id == Seat.section_id).join(Stand, Stand.id == Section.stand_id)
                    .where(Ticket.session_id == session.id).order_by(Seat.position))])
        guards = [save_user(None, None, username=f"gate{i}", roles=["gate"], organization_id=None,
                            password="bench-password") for i in range(4)]
        tokens = [issue_token(None, guards[i % len(guards)]) for i in range(scanners)]
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return {"sessions": sessions, "tokens": tokens}


def scan_plan(sold: list, session_id: int, scanners: int, *, repeats: float = REPEATS, device: str = "gate",
              seed: int = 7) -> list[list]:
    """Every ticket once in random order, and ``repeats`` of them again later with a new nonce; dealt to
    the scanners in turn. Each scan: (ticket id, JSON body)."""
    rnd = random.Random(seed)
    order = list(sold)
    rnd.shuffle(order)
    scans = [(t, code, entrance) for t, code, entrance in order]
    for first in sorted(rnd.sample(range(len(order)), int(len(order) * repeats)), reverse=True):
        scans.insert(rnd.randint(first + 1, len(scans)), order[first])
    dealt = [[] for _ in range(scanners)]
    for n, (ticket_id, code, entrance) in enumerate(scans):
        k = n % scanners
        body = {"code": code, "session_id": session_id, "entrance": entrance, "device": f"{device}-{k}",
                "nonce": f"{k}-{len(dealt[k])}"}
        dealt[k].append((ticket_id, body))
    return dealt


def scanner_process(port: int, path: str, jobs: list, tokens: list, barrier, results, seconds: float) -> None:
    """Some of the scanners, one thread each with its own keep-alive connection."""
    bare = path != "/api/v1/checkins"
    answers, lock = [], threading.Lock()
    # the bare endpoint is told the ticket (it decodes nothing); the bodies are written before the start
    jobs = [[(ticket_id, json.dumps({**body, "ticket_id": ticket_id} if bare else body)) for ticket_id, body in scans]
            for scans in jobs]

    def scanner(scans, token):
        headers = {"Content-Type": "application/json"}
        if not bare:
            headers["Authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for ticket_id, payload in scans:
            if time.monotonic() > stop:
                break
            start = time.perf_counter()
            try:
                conn.request("POST", path, payload, headers)
                resp = conn.getresponse()
                data = resp.read()
                result = json.loads(data)["result"] if resp.status == 200 else f"http_{resp.status}"
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                result = "error"
            mine.append((ticket_id, result, (time.perf_counter() - start) * 1000))
        conn.close()
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=scanner, args=(scans, token)) for scans, token in zip(jobs, tokens)]
    barrier.wait()
    stop = time.monotonic() + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((time.monotonic(), answers, sum(len(j) for j in jobs)))


def run_phase(port: int, path: str, dealt: list, tokens: list, processes: int, seconds: float) -> dict:
    """All scanners start together (a barrier); the phase ends when every scan is answered or after ``seconds``."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    procs = [ctx.Process(target=scanner_process, args=(port, path, dealt[p::processes], tokens[p::processes],
                                                       barrier, results, seconds)) for p in range(processes)]
    for p in procs:
        p.start()
    barrier.wait()
    began = time.monotonic()
    ended, answers, planned = began, [], 0
    for _ in procs:
        finished, part, count = results.get(timeout=seconds + 120)
        ended, planned = max(ended, finished), planned + count
        answers.extend(part)
    for p in procs:
        p.join()
    return {"answers": answers, "elapsed": ended - began, "planned": planned}


def chunk(dealt: list, part: int, parts: int) -> list:
    """Part ``part`` of ``parts`` of every scanner's scans."""
    return [scans[len(scans) * part // parts:len(scans) * (part + 1) // parts] for scans in dealt]


def merge(total: dict | None, stats: dict) -> dict:
    if total is None:
        return stats
    return {"answers": total["answers"] + stats["answers"], "elapsed": total["elapsed"] + stats["elapsed"],
            "planned": total["planned"] + stats["planned"], "cpu": total["cpu"] + stats["cpu"]}


def measured_part(server: Server, port: int, path: str, dealt: list, tokens: list, processes: int, seconds: float) -> dict:
    before = server_cpu(server.proc.pid)
    stats = run_phase(port, path, dealt, tokens, processes, seconds)
    stats["cpu"] = server_cpu(server.proc.pid) - before
    return stats


def doubles_in_answers(stats: dict) -> set:
    oks = Counter(ticket for ticket, result, _ms in stats["answers"] if result == "ok")
    return {ticket for ticket, n in oks.items() if n > 1}


def doubles_in_database(url: str, session_id: int, measured: set, stats: dict) -> set:
    """Measured tickets of the session with more than one recorded `ok`, with an `ok` answer but no
    admission (or the reverse), or admitted more than once."""
    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        twice = {r[0] for r in conn.execute(text(
            "SELECT ticket_id FROM checkins WHERE result = 'ok' AND session_id = :s "
            "GROUP BY ticket_id HAVING COUNT(*) > 1"), {"s": session_id})}
        admitted = {r[0] for r in conn.execute(text("SELECT ticket_id FROM admissions WHERE session_id = :s"),
                                                {"s": session_id})}
        entered_twice = {r[0] for r in conn.execute(text(
            "SELECT ticket_id FROM admissions WHERE session_id = :s AND entries > 1"), {"s": session_id})}
    engine.dispose()
    answered_ok = {ticket for ticket, result, _ms in stats["answers"] if result == "ok"}
    return (twice | entered_twice | (answered_ok ^ admitted)) & measured


def describe(name: str, stats: dict) -> tuple[float, float]:
    lat = sorted(ms for _t, _r, ms in stats["answers"]) or [0.0]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    rate = len(stats["answers"]) / stats["elapsed"]
    results = Counter(result for _t, result, _ms in stats["answers"])
    other = sum(n for r, n in results.items() if r not in ("ok", "already_used"))
    print(f"{name:<12}{rate:>9.1f}{statistics.median(lat):>9.1f}{p99:>9.1f}{results['ok']:>8}"
          f"{results['already_used']:>14}{other:>7}{stats['planned'] - len(stats['answers']):>8}"
          f"{stats['elapsed']:>9.1f}"
          f"{stats['cpu'] * 1000 / max(1, len(stats['answers'])):>16.2f}")
    if other:
        print(f"{'':<12}other results: {dict((r, n) for r, n in results.items() if r not in ('ok', 'already_used'))}")
    return rate, p99


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "gate")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--scanners", type=int, default=32)
    parser.add_argument("--processes", type=int, default=4, help="client processes the scanners are spread over")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="turns the app and the bare endpoint take")
    parser.add_argument("--max-seconds", type=float, default=240,
                        help="each endpoint's scans stop after this in all, finished or not")
    args = parser.parse_args()
    args.processes = max(1, min(args.processes, args.scanners))
    args.rounds = max(1, args.rounds)
    if not 1 <= args.tickets <= 100_000:
        raise SystemExit("--tickets: 1 to 100,000")
    with ScratchDatabase(args) as url:
        run(args, url)


def run(args, url: str):
    servers = []
    try:
        loading = time.monotonic()
        data = setup(url, args.tickets, args.scanners)
        (app_session, app_sold), (bare_session, bare_sold) = data["sessions"]["app"], data["sessions"]["bare"]
        ours_plan = scan_plan(app_sold[:args.tickets], app_session, args.scanners)
        bare_plan = scan_plan(bare_sold[:args.tickets], bare_session, args.scanners)
        warm_ours = scan_plan(app_sold[args.tickets:], app_session, args.scanners, repeats=0, device="warm")
        warm_bare = scan_plan(bare_sold[args.tickets:], bare_session, args.scanners, repeats=0, device="warm")
        total = sum(len(d) for d in ours_plan)
        print(f"database: {'postgresql' if url.startswith('postgres') else 'sqlite'}   tickets: {args.tickets}   "
              f"scans: {total} ({total - args.tickets} repeated)   scanners: {args.scanners} in {args.processes} processes   gunicorn: {args.workers} workers x "
              f"{args.threads} threads   rounds: {args.rounds}   loaded in {time.monotonic() - loading:.1f} s")
        servers = [Server("wsgi:app", url, workers=args.workers, threads=args.threads)]
        servers.append(Server("bench.bare_app:app", url, workers=args.workers, threads=args.threads))
        (ours_server, ours_port), (bare_server, bare_port) = ((s, s.port) for s in servers)
        run_phase(ours_port, "/api/v1/checkins", warm_ours, data["tokens"], args.processes, 60)
        run_phase(bare_port, "/bare-checkin", warm_bare, data["tokens"], args.processes, 60)
        # The app and the bare endpoint take turns, a part of the scans each, so that a change in what
        # else the machine is doing falls on both alike.
        ours = bare = None
        for part in range(args.rounds):
            budget = args.max_seconds / args.rounds
            ours = merge(ours, measured_part(ours_server, ours_port, "/api/v1/checkins",
                                             chunk(ours_plan, part, args.rounds), data["tokens"], args.processes,
                                             budget))
            bare = merge(bare, measured_part(bare_server, bare_port, "/bare-checkin",
                                             chunk(bare_plan, part, args.rounds), data["tokens"], args.processes,
                                             budget))
        for server in servers:
            server.stop()
        print(f"{'endpoint':<12}{'scans/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ok':>8}{'already_used':>14}{'other':>7}"
              f"{'unsent':>8}{'seconds':>9}{'app cpu ms/scan':>16}")
        (rate, p99), (bare_rate, _bare_p99) = describe("check-in", ours), describe("bare write", bare)
        in_answers, in_database = doubles_in_answers(ours), doubles_in_database(
            url, app_session, {t for t, _code, _entrance in app_sold[:args.tickets]}, ours)
        print(f"double_admitted: {len(in_answers | in_database)} (in answers {len(in_answers)}, "
              f"in database {len(in_database)})")
        print(f"ratio check-in/bare: {rate / bare_rate:.2f} (target >= {TARGET_RATIO})   "
              f"p99: {p99:.1f} ms (target <= {TARGET_P99:g} ms)")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
