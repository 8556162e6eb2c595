"""Benchmark: K counters buying 1-4 random free seats through the API of the real app under gunicorn,
against a bare endpoint that only does the conditional seat update, in the same run.

    .venv/bin/python bench/onsale.py --db sqlite|postgresql --counters 16 --seconds 20

Prints orders/s, tickets/s, p50/p99 latency, seats_taken answers, `double_sold` (must be 0) and
the ratio of the full sale path to the bare update. PostgreSQL uses (and empties) database `test`.
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.error import HTTPError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TICKETING_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def plan_3000() -> dict:
    """Three stands of 10 sections x 10 rows x 10 seats = 3,000 seats."""
    stands = []
    for s, code in enumerate("ABC"):
        sections = [{"code": f"{code}{n}", "name": {"th": f"{code}{n}", "en": f"{code}{n}"}, "blocks": [
            {"rows": 10, "first_row": "1", "seats_per_row": 10, "origin": {"x": s * 1200 + n * 115, "y": 0},
             "seat_pitch": 10, "row_pitch": 12, "category": "vip" if n % 3 else "front"}]} for n in range(10)]
        stands.append({"code": code, "name": {"th": code, "en": code}, "sections": sections})
    return {"format": "ubon-candle-seating/1", "name": {"th": "bench", "en": "bench"}, "stands": stands,
            "categories": [{"code": "front", "name": {"th": "หน้า", "en": "Front"}, "color": "#c8102e", "price_satang": 150000},
                           {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8", "price_satang": 80000}]}


SESSIONS_PER_PHASE = 30
#: a session counts as sold out, and the counters move to the next one, when this share of it is gone
SOLD_OUT = 0.8


def setup(url: str, counters: int):
    """Schema, a festival of 3,000-seat sessions (``SESSIONS_PER_PHASE`` for each phase, so the counters
    never run short of seats), one seller and token per counter."""
    from datetime import datetime, timedelta, timezone

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from ticketing import create_app
    from ticketing.accounts.services import issue_token, save_organization, save_user
    from ticketing.config import sqlalchemy_url
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.seating.mapfile import parse_map

    if url.startswith("postgresql"):
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.app_context():
        upgrade()
        save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
        festival = save_festival(None, None, name_th="bench", name_en="bench", year=2027)
        import_map(None, festival, parse_map(json.dumps(plan_3000())))
        sessions = [save_session(None, festival, None, name_th=f"s{i}", name_en=f"s{i}",
                                 starts_at=datetime(2027, 7, 1, tzinfo=timezone.utc) + timedelta(days=i)).id
                    for i in range(2 * SESSIONS_PER_PHASE)]
        tokens = []
        for i in range(counters):
            org = save_organization(None, None, code=f"org{i}", kind="member", name_th=f"o{i}", name_en=f"o{i}")
            user = save_user(None, None, username=f"seller{i}", roles=["seller"], organization_id=org.id,
                             password="bench-password")
            tokens.append(issue_token(None, user))
        seat_ids = [r[0] for r in db.session.execute(text("SELECT id FROM seats ORDER BY id"))]
        db.session.commit()
        db.engine.dispose()
    return sessions, tokens, seat_ids


def serve(module: str, url: str, workers: int):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": ROOT}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", "4",
                             "-b", f"127.0.0.1:{port}", module], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{module} did not start")


def post(url: str, body: dict, token: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return resp.status
    except HTTPError as err:
        err.read()
        return err.code


class Seats:
    """The seats the counters still believe free, session after session: when ``SOLD_OUT`` of a session
    is gone they move on to the next, so a long run never measures a sold-out (or nearly so) session."""

    def __init__(self, sessions: list, seat_ids: list):
        self.sessions, self.seat_ids = list(sessions), seat_ids
        self.lock = threading.Lock()
        self.index = 0
        self.free = list(seat_ids)

    def pick(self, rnd: random.Random):
        """(session id, 1-4 seat ids), or None when every session is used up."""
        with self.lock:
            if len(self.free) < len(self.seat_ids) * (1 - SOLD_OUT):
                self.index += 1
                self.free = list(self.seat_ids)
            if self.index >= len(self.sessions):
                return None
            return self.sessions[self.index], rnd.sample(self.free, rnd.randint(1, 4))

    def gone(self, session_id, seats):
        with self.lock:
            if self.index < len(self.sessions) and self.sessions[self.index] == session_id:
                lost = set(seats)
                self.free = [s for s in self.free if s not in lost]


def run_phase(endpoint: str, sessions: list, tokens: list, seat_ids: list, seconds: float) -> dict:
    """Every counter loops: pick 1-4 seats it has not seen sold, try to buy them."""
    stop = time.monotonic() + seconds
    seats = Seats(sessions, seat_ids)
    lock = threading.Lock()
    stats = {"orders": 0, "tickets": 0, "taken": 0, "errors": 0, "latencies": []}

    def counter(token, seed):
        rnd = random.Random(seed)
        while time.monotonic() < stop:
            choice = seats.pick(rnd)
            if choice is None:
                return
            session_id, want = choice
            body = {"session_id": session_id, "seat_ids": want, "payment_method": "cash"}
            start = time.perf_counter()
            status = post(endpoint, body, token)
            elapsed = (time.perf_counter() - start) * 1000
            seats.gone(session_id, want)  # sold, or lost to another counter: forgotten either way
            with lock:
                stats["latencies"].append(elapsed)
                if status == 201:
                    stats["orders"] += 1
                    stats["tickets"] += len(want)
                elif status == 409:
                    stats["taken"] += 1
                else:
                    stats["errors"] += 1
    threads = [threading.Thread(target=counter, args=(t, i)) for i, t in enumerate(tokens)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["elapsed"] = time.monotonic() - began
    stats["sessions"] = min(seats.index + 1, len(sessions))
    return stats


def double_sold(url: str, sessions: list) -> int:
    """Live tickets twice for a seat, or a seat sold without its live ticket, in the full phase's sessions."""
    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        dup = conn.execute(text("SELECT COUNT(*) FROM (SELECT session_id, seat_id FROM tickets WHERE status = 'valid' "
                                "GROUP BY session_id, seat_id HAVING COUNT(*) > 1) d")).scalar()
        mismatch = conn.execute(text(
            "SELECT COUNT(*) FROM seat_inventory i WHERE i.state = 'sold' AND i.session_id <= :last "
            "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.status = 'valid' "
            "AND t.session_id = i.session_id AND t.seat_id = i.seat_id)"), {"last": max(sessions)}).scalar()
    engine.dispose()
    return dup + mismatch


def describe(name, stats):
    lat = sorted(stats["latencies"]) or [0]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    rate = stats["orders"] / stats["elapsed"]
    print(f"{name:<12}{rate:>9.1f}{stats['tickets'] / stats['elapsed']:>10.1f}{statistics.median(lat):>9.1f}"
          f"{p99:>9.1f}{stats['taken']:>8}{stats['errors']:>8}{stats['sessions']:>9}{stats['elapsed']:>9.1f}")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--counters", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = PG_URL if args.db == "postgresql" else f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/onsale.sqlite3"
    sessions, tokens, seat_ids = setup(url, args.counters)
    full_sessions, bare_sessions = sessions[:SESSIONS_PER_PHASE], sessions[SESSIONS_PER_PHASE:]
    print(f"database: {args.db}   counters: {args.counters}   seconds: {args.seconds}   seats: {len(seat_ids)}   "
          f"gunicorn: {args.workers} workers x 4 threads")
    print(f"{'endpoint':<12}{'orders/s':>9}{'tickets/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'taken':>8}{'errors':>8}{'sessions':>9}{'seconds':>9}")
    proc, base = serve("wsgi:app", url, args.workers)
    try:
        full = run_phase(f"{base}/api/v1/orders", full_sessions, tokens, seat_ids, args.seconds)
    finally:
        proc.terminate()
        proc.wait()
    proc, base = serve("bench.bare_app:app", url, args.workers)
    try:
        bare = run_phase(f"{base}/bare", bare_sessions, [None] * args.counters, seat_ids, args.seconds)
    finally:
        proc.terminate()
        proc.wait()
    full_rate, bare_rate = describe("full sale", full), describe("bare update", bare)
    print(f"double_sold: {double_sold(url, full_sessions)}   ratio full/bare: {full_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
