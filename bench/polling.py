"""Benchmark: what nine counter tablets polling the live map every second cost the server, as a share of one
CPU core, against the same tablets fetching the whole seat list every second, in the same run.

    .venv/bin/python bench/polling.py [--db sqlite|postgresql] [--database-url URL] [--seconds 15] [--rounds 2]

Serves the real app under gunicorn (2 gthread workers) on a scratch database of its own (bench/common.py)
with the 3,000-seat session of bench/map_network.py (ANALYZE after loading). Nine tablets, each a seller
signed in with its own keep-alive connection, open the counter page (for its cursor) and then, like
static/js/counter.js, ask for the changes one second after each answer, sending back the last ETag
(``If-None-Match``): an unchanged answer is 304. Meanwhile another counter changes a seat every second
(written from this process, so that its cost is not the server's). The baseline: the same nine tablets
fetching GET /api/v1/sessions/<id>/seats (every seat) every second instead, as a map without a changes
feed would. The two take turns (``--rounds``). Server CPU is read from /proc for the gunicorn master and
its workers. Prints CPU as % of one core, answers (200/304), the seats the tablets received, the
ratio to the baseline, the target (<= 5 % of one core) and the plan of the changes query. A third kind of
stretch polls the changes while nothing changes (every answer a 304).
"""
import argparse
import gzip
import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse

import brotli

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ScratchDatabase, Server, add_database_options  # noqa: E402
from bench.map_network import PASSWORD, setup  # noqa: E402

TARGET_PERCENT = 5.0
TABLETS = 9


class Tablet:
    """One seller's tablet: a keep-alive connection with the seller's session cookie."""

    def __init__(self, port: int, username: str, session_id: int):
        self.session_id = session_id
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies, self.answers, self.seats = {}, {}, 0
        page = self.request("GET", "/login")[2].decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD})
        status = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})[0]
        assert status == 302, f"sign-in of {username} answered {status}"
        page = self.request("GET", f"/counter/sessions/{session_id}")[2].decode()
        self.cursor = re.search(r'data-cursor="([0-9.,]+)"', page).group(1)
        self.etag = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body decompressed), keeping the cookies the server sets."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Encoding": "gzip, br",
                   **(headers or {})}
        try:
            self.conn.request(method, path, body, headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):  # the server closed an idle keep-alive
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.conn.host, self.conn.port, timeout=30)
            self.conn.request(method, path, body, headers)
            resp = self.conn.getresponse()
        data = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        encoding = resp.headers.get("Content-Encoding")
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "br":
            data = brotli.decompress(data)
        self.answers[resp.status] = self.answers.get(resp.status, 0) + 1
        return resp.status, resp.headers, data


def poll_changes(tablet: Tablet):
    """What the counter page does each second: the changes after its cursor, with the last ETag."""
    status, headers, data = tablet.request(
        "GET", f"/counter/sessions/{tablet.session_id}/changes?cursor={tablet.cursor}",
        headers={"If-None-Match": tablet.etag} if tablet.etag else None)
    if status == 200:
        answer = json.loads(data)
        tablet.cursor, tablet.etag = answer["cursor"], headers.get("ETag")
        tablet.seats += len(answer["seats"])


def _poll_all_seats(tablet: Tablet):
    """The baseline: every seat of the session, each second."""
    status, _headers, data = tablet.request("GET", f"/api/v1/sessions/{tablet.session_id}/seats")
    if status == 200:
        tablet.seats += len(json.loads(data)["seats"])


def run_tablets(tablets, step, seconds: float, server: Server) -> dict:
    """Each tablet asks, waits a second after each answer (as the page does), for ``seconds``; returns the
    server's CPU over that time as % of one core."""
    for t in tablets:
        t.answers, t.seats = {}, 0
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(len(tablets) + 1)

    def loop(tablet):
        barrier.wait()
        while time.monotonic() < stop:
            step(tablet)
            time.sleep(1.0)  # the page's own pace: one second after each answer

    threads = [threading.Thread(target=loop, args=(t,)) for t in tablets]
    for t in threads:
        t.start()
    cpu0 = server.cpu()
    barrier.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    used = server.cpu() - cpu0
    answers = {}
    for t in tablets:
        for status, n in t.answers.items():
            answers[status] = answers.get(status, 0) + n
    return {"percent": used / elapsed * 100, "answers": answers, "seats": sum(t.seats for t in tablets),
            "requests": sum(answers.values()), "elapsed": elapsed}


class OtherCounter(threading.Thread):
    """Changes one seat a second, straight in the database (its cost is not the server's): holds it for a
    seller, then lets it go, as a counter taking and dropping seats would."""

    def __init__(self, url: str, session_id: int):
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        from ticketing.config import sqlalchemy_url
        self.engine = create_engine(sqlalchemy_url(url))
        self.session_id = session_id
        self.running = True
        self.paused = False
        self.changes = 0

    def run(self):
        from datetime import datetime, timedelta, timezone

        from sqlalchemy import select, update

        from ticketing.accounts.models import User
        from ticketing.inventory.models import SeatInventory
        with self.engine.connect() as conn:
            holder = conn.scalar(select(User.id).where(User.username == "seller9"))
            free = list(conn.scalars(select(SeatInventory.seat_id).where(
                SeatInventory.session_id == self.session_id, SeatInventory.state == "available")
                .order_by(SeatInventory.seat_id).limit(200)))
        i = 0
        while self.running:
            if self.paused:
                time.sleep(0.1)
                continue
            seat = free[i % len(free)]
            held = (i // len(free)) % 2 == 0
            values = ({"state": "held", "held_by_id": holder,
                       "hold_expires_at": datetime.now(timezone.utc) + timedelta(minutes=10)} if held
                      else {"state": "available", "held_by_id": None, "hold_expires_at": None})
            with self.engine.begin() as conn:
                conn.execute(update(SeatInventory).where(SeatInventory.session_id == self.session_id,
                                                         SeatInventory.seat_id == seat).values(**values))
            self.changes += 1
            i += 1
            time.sleep(1.0)

    def stop(self):
        self.running = False
        if self.is_alive():
            self.join()
        self.engine.dispose()


def changes_plan(url: str, session_id: int) -> str:
    """The plan of the poll's own statement, for a cursor with two transactions still running."""
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    from ticketing.inventory.changes import Cursor, changes_query
    engine = create_engine(sqlalchemy_url(url))
    postgresql = engine.dialect.name == "postgresql"
    query = changes_query(session_id, Cursor(10**12, (10**12 - 7, 10**12 - 3)), datetime.now(timezone.utc), postgresql)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if postgresql:
            plan = " / ".join(line.strip() for line in conn.scalars(text("EXPLAIN " + sql)))
        else:
            plan = " / ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    engine.dispose()
    return plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "polling")
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured stretch")
    parser.add_argument("--rounds", type=int, default=2, help="stretches of each kind, taking turns")
    args = parser.parse_args()

    with ScratchDatabase(args) as url:
        print(f"setting up 3000 seats on {url.split('@')[-1]} ...", flush=True)
        data = setup(url)
        plan = changes_plan(url, data["session_id"])
        server = Server("wsgi:app", url, workers=2, threads=4)
        other = OtherCounter(url, data["session_id"])
        try:
            tablets = [Tablet(server.port, name, data["session_id"]) for name in data["sellers"][:TABLETS]]
            other.start()
            run_tablets(tablets, poll_changes, 3, server)  # warm up: every worker has loaded and connected
            run_tablets(tablets, _poll_all_seats, 3, server)
            idle0, idle_began = server.cpu(), time.monotonic()
            time.sleep(3)
            idle = (server.cpu() - idle0) / (time.monotonic() - idle_began) * 100
            kinds = {"changes after a cursor": (poll_changes, False),
                     "  the same, nothing changing": (poll_changes, True),
                     "every seat (baseline)": (_poll_all_seats, False)}
            results = {name: [] for name in kinds}
            for _ in range(args.rounds):
                for name, (step, quiet) in kinds.items():
                    other.paused = quiet
                    results[name].append(run_tablets(tablets, step, args.seconds, server))
        finally:
            other.stop()
            server.stop()

    print(f"\n{TABLETS} tablets polling a {data['seats']}-seat session once a second after each answer, another "
          f"counter changing a seat a second ({other.changes} changes; none while 'nothing changing'); "
          f"{args.rounds} x {args.seconds:g} s each")
    print(f"{'':28} {'% of one core':>16} {'ratio':>6} {'requests/s':>11} {'200':>6} {'304':>6} "
          f"{'seats received':>15}")
    base = statistics.median(r["percent"] for r in results["every seat (baseline)"])
    for name, runs in results.items():
        percent = statistics.median(r["percent"] for r in runs)
        answers = {s: sum(r["answers"].get(s, 0) for r in runs) for s in (200, 304)}
        print(f"{name:28} {percent:16.2f} {percent / base:6.3f} "
              f"{sum(r['requests'] for r in runs) / sum(r['elapsed'] for r in runs):11.1f} "
              f"{answers[200]:6d} {answers[304]:6d} {sum(r['seats'] for r in runs):15d}")
    print(f"server idle: {idle:.2f} % of one core")
    polling = statistics.median(r["percent"] for r in results["changes after a cursor"])
    print(f"\nnine tablets polling: {polling:.2f} % of one core (target <= {TARGET_PERCENT:g} %: "
          f"{'met' if polling <= TARGET_PERCENT else 'NOT met'})")
    print(f"plan of the changes query: {plan}")


if __name__ == "__main__":
    main()
