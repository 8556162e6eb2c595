"""Benchmark: 200 concurrent buyers holding and buying seats of one 3,000-seat session through the
online shop's pages under gunicorn, paying at a local Stripe stand-in and completed by signed webhooks
to the real ``POST /stripe/webhook``; against a bare endpoint that only does the conditional seat
update (bench/bare_app.py), in the same run.

    .venv/bin/python bench/shop.py [--db postgresql|sqlite] [--buyers 200] [--seconds 75] [--ramp 25]
        [--bare-seconds 10] [--workers 2 --threads 4] [--crowd 400] [--database-url URL] [--keep]

Every seat of the session is allocated to the online shop. The server runs as in production: gunicorn
(``--workers`` gthread workers x ``--threads``), CSRF on, ``STRIPE_SECRET_KEY``/``STRIPE_API_BASE`` pointing
at the Stripe stand-in (tests/stripe_standin.py) that this process runs, ``STRIPE_WEBHOOK_SECRET`` set,
ticket e-mails to an outbox folder; only ``SESSION_COOKIE_SECURE=0``, because the buyers speak plain HTTP.

Each buyer is a thread with its own cookie jar (its own Flask session, its own CSRF token); all start
at once and loop until ``--seconds`` have passed or the session looks sold out (a flow not yet paid is
then abandoned, a paid one finished):

    GET  /shop/s/<id>              the seat map; reads the csrf_token and the free-looking seats
    POST /shop/s/<id>/hold         1-4 seats: a random free-looking one among the first ``--crowd`` of the
                                   map (buyers crowd the same part) and the free-looking ones after it, so
                                   that some buyers collide (303 to the cart: held; 302 back: refused)
    GET  /shop/cart/<cart>         the cart page
    POST /shop/cart/<cart>/pay     name, phone, e-mail: 303 to the Stripe Checkout URL
    (stand-in .pay(), in process)  the card payment, with Stripe's fee
    POST /stripe/webhook           checkout.session.completed, signed as Stripe signs it (sent by "Stripe":
                                   no cookie); ``--replay`` of them delivered twice at once
    GET  /shop/cart/<cart>/done    the buyer back from Stripe: 302 to the ticket page; after the webhook, or
                                   for ``--race`` of the purchases at the same moment as it

Prints holds/s and completed orders/s over the whole run (from the start to the last ticket page) and
from ``--ramp`` seconds to the end of ``--seconds`` (every buyer busy), p50/p99 of every step, refused
holds (and refused holds whose seats all still look free on the next page: must be 0), any other
answer, the bare update's rate (as many threads of the same HTTP client, on sessions of its own, half
before and half after the shop), the ratios and the servers' CPU per purchase and per update; then
checks the database: ``double_sold`` (live tickets twice for a seat, the shop session's seats sold
without a live ticket, live tickets on seats not sold; must be 0), paid checkouts neither completed nor
refunded (lost payments; must be 0), orders against purchases, ticket e-mails against orders, and
``revenue check``. A 500 or 503 is printed with the server's log (``--log``).

PostgreSQL by default: a scratch database `ticketing_bench_shop` (or ``--database-url``) that it creates,
analyses after loading and drops at the end (bench/common.py); ``--db sqlite``: a temporary file.
"""
import argparse
import glob
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from http.cookiejar import CookieJar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from bench.common import (ScratchDatabase, Server, add_database_options, analyze, make_app,  # noqa: E402
                          median, percentile)
from bench.onsale import plan_3000  # noqa: E402
from stripe_standin import StripeStandin  # noqa: E402

WEBHOOK_SECRET = "whsec_bench_shop"
BUYER = {"name": "สมหญิง ใจดี", "phone": "081 234 5678"}
STEPS = ("page", "hold", "cart", "pay", "stripe", "webhook", "return")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FREE_RE = re.compile(r'<circle class="seat a [^"]*"[^>]*? data-id="(\d+)"')
TAKEN_RE = re.compile(r'data-taken="([\d,]*)"')
#: a bare session counts as used up, and the bare clients move to the next, when this share is sold
SOLD_OUT = 0.8


# --- data ---------------------------------------------------------------------------------------

def setup(url: str, bare_sessions: int) -> dict:
    """The central fund, one member organization with an operator fee, a festival with the 3,000-seat
    map, one session whose seats all go to the online shop and ``bare_sessions`` sessions for the bare
    endpoint; then ANALYZE."""
    from sqlalchemy import select

    from ticketing.accounts.services import save_organization
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.services import ONLINE, allocate_seats
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.revenue.services import save_rules
    from ticketing.seating.mapfile import parse_map
    from ticketing.seating.models import Seat

    app = make_app(url)
    with app.app_context():
        save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
        operator = save_organization(None, None, code="org0", kind="member", name_th="o0", name_en="o0")
        festival = save_festival(None, None, name_th="bench", name_en="bench", year=2027)
        import_map(None, festival, parse_map(json.dumps(plan_3000())))
        sessions = [save_session(None, festival, None, name_th=f"s{i}", name_en=f"s{i}",
                                 starts_at=datetime(2027, 7, 1 + i, 12, tzinfo=timezone.utc))
                    for i in range(1 + bare_sessions)]
        save_rules(None, festival, [{"kind": "commission", "basis_points": 1000},
                                    {"kind": "operator_fee", "organization_id": operator.id, "fixed_satang": 2000}])
        seat_ids = list(db.session.scalars(select(Seat.id).order_by(Seat.id)))
        allocate_seats(None, sessions[0], seat_ids, ONLINE)
        ids = [s.id for s in sessions]
        db.session.commit()
        db.engine.dispose()
    analyze(url)
    return {"shop": ids[0], "bare": ids[1:], "seat_ids": seat_ids}


# --- the buyers' HTTP ---------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One buyer's browser: its own cookie jar; redirects are read, not followed. A new connection per
    request (urllib), so an answer is never lost to a keep-alive connection the server closed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def send(self, method: str, path: str, form: dict | None = None, *, body: bytes | None = None,
             headers: dict | None = None) -> tuple[int, str, bytes]:
        """(status, Location, body); status 0 when the connection failed."""
        data = urllib.parse.urlencode(form).encode() if form is not None else body
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=300) as resp:
                return resp.status, resp.headers.get("Location", ""), resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers.get("Location", ""), err.read()
        except OSError as err:
            return 0, "", str(err).encode()


class Stats:
    """What the buyers saw: milliseconds per step (with the moment each ended), outcomes, odd answers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)     # step -> [(monotonic end, ms)]
        self.counts = Counter()
        self.odd = []                        # (step, status, first bytes of the body)
        self.paid = []                       # Checkout Session ids paid at the stand-in
        self.purchases = []                  # (monotonic end, seconds) from the first page to the ticket page
        self.events = defaultdict(list)      # "held", "completed" -> [monotonic moment]

    def time(self, step: str, fn):
        start = time.perf_counter()
        result = fn()
        with self.lock:
            self.samples[step].append((time.monotonic(), (time.perf_counter() - start) * 1000))
        return result

    def count(self, what: str, n: int = 1):
        with self.lock:
            self.counts[what] += n
            if what in ("held", "completed"):
                self.events[what].append(time.monotonic())

    def strange(self, step: str, status: int, body: bytes):
        with self.lock:
            self.counts[f"{step}_http_{status}"] += 1
            if len(self.odd) < 20:
                self.odd.append((step, status, body[:300]))


def choose(free: list[str], rnd: random.Random, crowd: int) -> list[str]:
    """1-4 free-looking seats: a random one among the first ``crowd`` and the free-looking ones after it."""
    n = rnd.randint(1, 4)
    start = rnd.randrange(max(1, min(crowd, len(free) - n + 1)))
    return free[start:start + n]


@dataclass
class Plan:
    """What every buyer shares: the shop, its session, the stand-in, and how buyers behave."""
    base: str
    session_id: int
    standin: StripeStandin
    crowd: int = 400
    race: float = 0.0       # share of purchases whose return page comes at the same moment as the webhook
    replay: float = 0.0     # share of events Stripe delivers twice at once


def buyer(n: int, plan: Plan, stats: Stats, deadline, go: threading.Barrier | None = None,
          flows: int | None = None) -> None:
    """One buyer: page, hold, cart, pay, Stripe, webhook, return, again until ``deadline()`` or sold out
    (or ``flows`` purchases completed). Past the deadline a flow not yet paid is abandoned (its hold
    expires by itself); a paid one is finished (webhook and return), so that no payment is left behind."""
    rnd = random.Random(n)
    base, session_id, standin = plan.base, plan.session_id, plan.standin
    browser, stripe = Browser(base), Browser(base)
    email = f"buyer{n}@example.com"
    done, refused = 0, None
    if go is not None:
        go.wait()
    while time.monotonic() < deadline() and (flows is None or done < flows):
        flow_began = time.perf_counter()
        status, _, page = stats.time("page", lambda: browser.send("GET", f"/shop/s/{session_id}"))
        if status != 200:
            stats.strange("page", status, page)
            continue
        text = page.decode()
        token, free = CSRF_RE.search(text), FREE_RE.findall(text)
        if refused is not None and set(refused) <= set(free):
            stats.count("refused_though_drawn_free")  # the map as drawn (up to SHOP_MAP_SECONDS old) still shows them free
        taken = TAKEN_RE.search(text)  # the seats this buyer was refused, which the page's script marks taken
        if taken and taken.group(1):
            gone = set(taken.group(1).split(","))
            free = [seat for seat in free if seat not in gone]
        if refused is not None and set(refused) <= set(free):
            stats.count("refused_though_free")  # and the page's marks do not say otherwise: the buyer sees them free
        refused = None
        if not free:
            stats.count("saw_sold_out")
            return
        want = choose(free, rnd, plan.crowd)
        status, where, body = stats.time("hold", lambda: browser.send(
            "POST", f"/shop/s/{session_id}/hold", {"csrf_token": token.group(1), "seat_ids": ",".join(want)}))
        if status == 302 and where.endswith(f"/shop/s/{session_id}"):
            stats.count("refused")
            refused = want
            continue
        if status != 303 or "/shop/cart/" not in where:
            stats.strange("hold", status, body)
            continue
        stats.count("held")
        stats.count("seats_held", len(want))
        cart = urllib.parse.urlsplit(where).path
        if time.monotonic() >= deadline():
            stats.count("abandoned")  # past the deadline and not paid yet: the hold expires by itself
            return
        status, _, body = stats.time("cart", lambda: browser.send("GET", cart))
        if status != 200:
            stats.strange("cart", status, body)
        if time.monotonic() >= deadline():
            stats.count("abandoned")
            return
        status, where, body = stats.time("pay", lambda: browser.send(
            "POST", f"{cart}/pay", {"csrf_token": token.group(1), **BUYER, "email": email}))
        if status != 303 or not where.startswith(standin.url + "/pay/"):
            stats.strange("pay", status, body)
            continue
        checkout = stats.time("stripe", lambda: standin.pay(where.rsplit("/", 1)[1]))
        with stats.lock:
            stats.paid.append(checkout["id"])
        body, headers = standin.webhook(standin.event("checkout.session.completed", checkout), WEBHOOK_SECRET)
        if settle(stats, browser, stripe, cart, body, headers, replay=rnd.random() < plan.replay,
                  race=rnd.random() < plan.race):
            done += 1
            with stats.lock:
                stats.purchases.append((time.monotonic(), time.perf_counter() - flow_began))


def settle(stats: Stats, browser: Browser, stripe: Browser, cart: str, body: bytes, headers: dict, *,
           replay: bool, race: bool) -> bool:
    """Deliver the signed event (twice at once when ``replay``: Stripe delivers an event more than once)
    and bring the buyer back from Stripe (at the same moment as the event when ``race``, else after it).
    True when the buyer reached the ticket page; exactly one of the answers may say "completed"."""
    answers = []

    def deliver():
        status, _, answer = stats.time("webhook", lambda: stripe.send("POST", "/stripe/webhook", body=body,
                                                                       headers=headers))
        answers.append(("webhook", status, answer))

    def come_back():
        status, where, page = stats.time("return", lambda: browser.send("GET", f"{cart}/done"))
        answers.append(("return", status if "/t/" in where else -status, page))

    together = [deliver] * (2 if replay else 1) + ([come_back] if race else [])
    threads = [threading.Thread(target=fn) for fn in together[1:]]
    for t in threads:
        t.start()
    together[0]()
    for t in threads:
        t.join()
    if not race:
        come_back()
    outcomes = Counter()
    for step, status, answer in answers:
        if step == "webhook":
            outcome = json.loads(answer).get("outcome") if status == 200 else None
            outcomes[outcome] += 1
            if outcome not in ("completed", "already", "duplicate"):
                stats.strange("webhook", status, answer)
    returned = [(status, answer) for step, status, answer in answers if step == "return"][0]
    stats.count("replayed" if replay else "delivered_once")
    if race:
        stats.count("raced")
    if outcomes["completed"] > 1:
        stats.count("completed_twice")  # two answers made an order for one payment: must never happen
    if outcomes["completed"] == 0 and not race:
        stats.strange("webhook", 200, repr(dict(outcomes)).encode())
    if returned[0] != 302:
        stats.strange("return", returned[0], returned[1])
        return False
    stats.count("completed")
    if outcomes["completed"] == 0:
        stats.count("completed_by_return")  # the buyer's return asked Stripe and completed the order first
    return True


def run_buyers(count: int, plan: Plan, seconds: float) -> dict:
    """``count`` buyers started together; the window is ``seconds`` from the start."""
    stats = Stats()
    go = threading.Barrier(count + 1)
    box = [float("inf")]
    threads = [threading.Thread(target=buyer, args=(n, plan, stats, lambda: box[0], go),
                                daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    began = time.monotonic()
    box[0] = began + seconds
    go.wait()
    for t in threads:
        t.join()
    return {"stats": stats, "began": began, "deadline": box[0], "ended": time.monotonic()}


def warm_up(plan: Plan, buyers: int) -> Stats:
    """Whole purchases by ``buyers`` buyers at once, one each, before measuring (a fresh worker loads
    translations, compiles templates and opens connections)."""
    stats = Stats()
    plan = replace(plan, crowd=10**6, race=0.0, replay=0.0)
    threads = [threading.Thread(target=buyer, args=(100000 + n, plan, stats, lambda: float("inf"), None, 1))
               for n in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


# --- the bare baseline --------------------------------------------------------------------------

class BareSeats:
    """The bare clients' seats: the current session's seats not yet tried; the next session once
    ``SOLD_OUT`` of it is gone."""

    def __init__(self, sessions: list, seat_ids: list):
        self.sessions, self.seat_ids = list(sessions), list(seat_ids)
        self.lock = threading.Lock()
        self.index, self.free = 0, set(seat_ids)

    def pick(self, rnd: random.Random):
        with self.lock:
            if len(self.free) < len(self.seat_ids) * (1 - SOLD_OUT):
                self.index, self.free = self.index + 1, set(self.seat_ids)
            if self.index >= len(self.sessions):
                return None
            want = rnd.sample(sorted(self.free) if len(self.free) < 64 else list(self.free), rnd.randint(1, 4))
            self.free.difference_update(want)
            return self.sessions[self.index], want


def run_bare(count: int, base: str, seats: BareSeats, seconds: float) -> dict:
    stats = Stats()
    go = threading.Barrier(count + 1)
    box = [0.0]

    def client(n):
        rnd, http = random.Random(n), Browser(base)
        go.wait()
        while time.monotonic() < box[0]:
            choice = seats.pick(rnd)
            if choice is None:
                return
            session_id, want = choice
            status, _, body = stats.time("bare", lambda: http.send(
                "POST", "/bare", body=json.dumps({"session_id": session_id, "seat_ids": want}).encode(),
                headers={"Content-Type": "application/json"}))
            if status == 201:
                stats.count("ok")
            elif status == 409:
                stats.count("taken")
            else:
                stats.strange("bare", status, body)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    began = time.monotonic()
    box[0] = began + seconds
    go.wait()
    for t in threads:
        t.join()
    return {"stats": stats, "began": began, "deadline": box[0], "ended": time.monotonic()}


# --- figures and checks -------------------------------------------------------------------------

def checks(url: str, session_id: int, paid: list[str]) -> dict:
    """What the database says after the run."""
    from sqlalchemy import func, select, text

    from ticketing import create_app
    from ticketing.config import sqlalchemy_url
    from ticketing.extensions import db
    from ticketing.revenue.check import problems
    from ticketing.sales.models import Order
    from ticketing.shop.models import Cart

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.app_context():
        q = lambda sql: db.session.execute(text(sql), {"s": session_id}).scalar()  # noqa: E731
        found = {
            "twice": q("SELECT COUNT(*) FROM (SELECT session_id, seat_id FROM tickets WHERE status = 'valid' "
                       "GROUP BY session_id, seat_id HAVING COUNT(*) > 1) d"),
            "sold_without_ticket": q(
                "SELECT COUNT(*) FROM seat_inventory i WHERE i.session_id = :s AND i.state = 'sold' AND NOT EXISTS "
                "(SELECT 1 FROM tickets t WHERE t.status = 'valid' AND t.session_id = i.session_id "
                "AND t.seat_id = i.seat_id)"),
            "ticket_not_sold": q(
                "SELECT COUNT(*) FROM tickets t JOIN seat_inventory i ON i.session_id = t.session_id "
                "AND i.seat_id = t.seat_id WHERE t.status = 'valid' AND i.state <> 'sold'"),
            "sold": q("SELECT COUNT(*) FROM seat_inventory WHERE session_id = :s AND state = 'sold'"),
            "tickets": q("SELECT COUNT(*) FROM tickets WHERE session_id = :s AND status = 'valid'"),
        }
        found["orders"] = db.session.scalar(select(func.count()).select_from(Order).where(Order.channel == "online"))
        carts = dict(db.session.execute(select(Cart.checkout_session_id, Cart.status)
                                        .where(Cart.checkout_session_id.in_(paid))).all()) if paid else {}
        found["carts"] = Counter(carts.values())
        found["lost_payments"] = sum(1 for cs in paid if carts.get(cs) not in ("completed", "refunded"))
        found["revenue_check"] = problems()
        db.engine.dispose()
    return found


def print_steps(stats: Stats, start: float, end: float) -> None:
    """p50/p99 of each step that ended between ``start`` and ``end``."""
    print(f"{'step':<10}{'answers':>9}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for step in STEPS:
        ms = [m for at, m in stats.samples[step] if start <= at <= end]
        if ms:
            print(f"{step:<10}{len(ms):>9}{median(ms):>10.1f}{percentile(ms, 0.99):>10.1f}{max(ms):>10.1f}")
    whole = [sec * 1000 for at, sec in stats.purchases if start <= at <= end]
    if whole:
        print(f"{'purchase':<10}{len(whole):>9}{median(whole):>10.1f}{percentile(whole, 0.99):>10.1f}"
              f"{max(whole):>10.1f}   (first page to ticket page, refused holds and their reloads included)")


def server_log(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "shop")
    parser.set_defaults(db="postgresql")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=75, help="the buyers start flows for this long")
    parser.add_argument("--ramp", type=float, default=25,
                        help="the second line of rates leaves out these first seconds (all buyers rush to the seat map)")
    parser.add_argument("--bare-seconds", type=float, default=10, help="the bare update, half before and half after")
    parser.add_argument("--crowd", type=int, default=400,
                        help="buyers start their group at a random free-looking seat among the first CROWD of the map")
    parser.add_argument("--race", type=float, default=0.1,
                        help="share of purchases whose return page comes at the same moment as the webhook")
    parser.add_argument("--replay", type=float, default=0.05,
                        help="share of completed events delivered twice at once (as Stripe may)")
    parser.add_argument("--warm-up", type=int, default=8, help="whole purchases made before measuring")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--log", default=None, help="gunicorn's error log (default: a temporary file)")
    args = parser.parse_args()

    bare_per_turn = int(args.bare_seconds / 2 * 800 * 2.5 / (3000 * SOLD_OUT)) + 1
    outbox = tempfile.mkdtemp(prefix="bench-shop-outbox-")
    log = args.log or os.path.join(tempfile.mkdtemp(prefix="bench-shop-log-"), "gunicorn.log")
    with ScratchDatabase(args) as url:
        began_setup = time.monotonic()
        data = setup(url, 2 * bare_per_turn)
        standin = StripeStandin().start()
        env = {"STRIPE_SECRET_KEY": standin.secret_key, "STRIPE_API_BASE": standin.url,
               "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "MAIL_OUTBOX": outbox, "SESSION_COOKIE_SECURE": "0",
               "GUNICORN_CMD_ARGS": f"--error-logfile {log} --capture-output --timeout 120"}
        server = dict(workers=args.workers, threads=args.threads, worker_class="gthread")
        shop, bare = Server("wsgi:app", url, env=env, **server), Server("bench.bare_app:app", url, env=env, **server)
        base, bare_base = f"http://127.0.0.1:{shop.port}", f"http://127.0.0.1:{bare.port}"
        print(f"database: {'postgresql' if url.startswith('postgres') else 'sqlite'}   buyers: {args.buyers} "
              f"(threads, one cookie jar each)   gunicorn: {args.workers} gthread workers x {args.threads} threads, "
              f"CSRF on   session: 3,000 seats, all online   flows started for {args.seconds:g} s   "
              f"setup {time.monotonic() - began_setup:.0f} s")
        try:
            plan = Plan(base, data["shop"], standin, crowd=args.crowd, race=args.race, replay=args.replay)
            warm = warm_up(plan, args.warm_up)
            if warm.counts["completed"] < args.warm_up:
                print("warm-up purchases did not all complete:", dict(warm.counts), warm.odd[:3])
            bare_seats = BareSeats(data["bare"][:bare_per_turn], data["seat_ids"])
            run_bare(args.buyers // 10, bare_base, bare_seats, 1)  # warm the bare workers up too
            bare_runs, cpu = [], {}
            c0 = bare.cpu()
            bare_runs.append(run_bare(args.buyers, bare_base, bare_seats, args.bare_seconds / 2))
            cpu["bare"] = bare.cpu() - c0
            c0, p0 = shop.cpu(), time.process_time()
            run = run_buyers(args.buyers, plan, args.seconds)
            cpu["shop"], cpu["client"] = shop.cpu() - c0, time.process_time() - p0
            c0 = bare.cpu()
            bare_runs.append(run_bare(args.buyers, bare_base, BareSeats(data["bare"][bare_per_turn:], data["seat_ids"]),
                                      args.bare_seconds / 2))
            cpu["bare"] += bare.cpu() - c0
        finally:
            shop.stop()
            bare.stop()
            standin.stop()
        stats = run["stats"]
        total = run["ended"] - run["began"]
        held_rate, done_rate = stats.counts["held"] / total, stats.counts["completed"] / total
        start, end = run["began"] + min(args.ramp, args.seconds / 2), run["deadline"]
        inside = lambda moments: sum(1 for at in moments if start <= at <= end) / (end - start)  # noqa: E731
        bare_ok = sum(r["stats"].counts["ok"] for r in bare_runs)
        bare_time = sum(max(r["ended"], r["began"] + 1e-9) - r["began"] for r in bare_runs)
        bare_ms = [m for r in bare_runs for _e, m in r["stats"].samples["bare"]]
        bare_rate = bare_ok / bare_time
        found = checks(url, data["shop"], stats.paid)

        print(f"\nall {args.buyers} buyers started at once, began flows for {args.seconds:g} s, and the last paid "
              f"flow reached its ticket page {total:.0f} s after the start")
        print_steps(stats, run["began"], run["ended"])
        print(f"\nholds/s: {held_rate:.2f}   completed orders/s: {done_rate:.2f}   (the whole run: "
              f"{stats.counts['held']} holds, {stats.counts['completed']} orders in {total:.0f} s)")
        print(f"from {start - run['began']:.0f} s to {end - run['began']:.0f} s, every buyer busy: holds/s "
              f"{inside(stats.events['held']):.2f}, hold answers/s {inside(at for at, _ms in stats.samples['hold']):.2f}, "
              f"completed orders/s {inside(stats.events['completed']):.2f} (when the purchases take about as long as this "
              "window, most complete after it)")
        print(f"whole run: {stats.counts['held']} holds, {stats.counts['refused']} refused (collisions: a seat "
              f"taken since the buyer's page), {stats.counts['abandoned']} abandoned unpaid at the end, "
              f"{stats.counts['completed']} orders completed; {found['sold']} of 3,000 seats sold"
              + ("; the map looked sold out to some buyers" if stats.counts["saw_sold_out"] else ""))
        print(f"events delivered twice at once: {stats.counts['replayed']}   return page racing the webhook: "
              f"{stats.counts['raced']} (the return page completed the order first: "
              f"{stats.counts['completed_by_return']})   one payment completed twice: {stats.counts['completed_twice']}")
        others = {k: v for k, v in stats.counts.items() if "_http_" in k}
        print(f"other answers: {others or 'none'}   refused holds whose seats all still looked free afterwards: "
              f"{stats.counts['refused_though_free']} (on the map as drawn, before the page marks the refused seats: "
              f"{stats.counts['refused_though_drawn_free']})")
        print(f"bare update (POST /bare on sessions of its own, the same client, {args.buyers} threads, half before "
              f"and half after): {bare_rate:.1f} updates/s ({bare_ok} ok in {bare_time:.0f} s), p50 "
              f"{median(bare_ms):.1f} ms, p99 {percentile(bare_ms, 0.99):.1f} ms")
        print(f"ratio holds/s / bare updates/s: {held_rate / bare_rate:.3f}   completed orders/s / bare updates/s: "
              f"{done_rate / bare_rate:.3f}")
        print(f"server CPU: {cpu['shop'] * 1000 / max(1, stats.counts['completed']):.0f} ms per completed purchase "
              f"(all its requests, refused holds included) vs {cpu['bare'] * 1000 / max(1, bare_ok):.2f} ms per bare "
              f"update (ratio {cpu['shop'] / max(1, stats.counts['completed']) / max(cpu['bare'] / max(1, bare_ok), 1e-9):.0f}); "
              f"this process (buyers and the stand-in): {cpu['client']:.1f} s CPU in {run['ended'] - run['began']:.0f} s")
        mails = len(glob.glob(os.path.join(outbox, "**", "*.eml"), recursive=True))
        double = found["twice"] + found["sold_without_ticket"] + found["ticket_not_sold"]
        print(f"double_sold: {double} (live tickets twice for a seat {found['twice']}, seats sold without a live "
              f"ticket {found['sold_without_ticket']}, live tickets on seats not sold {found['ticket_not_sold']})")
        print(f"lost payments: {found['lost_payments']} (paid at the stand-in: {len(stats.paid)}; their carts "
              f"{dict(found['carts'])})   online orders in the database: {found['orders']} (purchases that reached "
              f"the ticket page: {stats.counts['completed']} + {warm.counts['completed']} warm-up)   valid tickets: {found['tickets']}")
        print(f"ticket e-mails in the outbox: {mails} for {found['orders']} orders (one each expected)")
        print(f"revenue check: {'ok' if not found['revenue_check'] else found['revenue_check'][:10]}")
        for step, status, body in stats.odd[:5]:
            print(f"  odd answer: {step} {status}: {body[:200]!r}")
        text = server_log(log)
        if "Traceback" in text or "database unavailable" in text:
            print(f"server log ({log}) has errors; the first:")
            start = text.find("Traceback") if "Traceback" in text else text.find("database unavailable")
            print(text[max(0, start - 300):start + 4000])
        elif not args.log:
            shutil.rmtree(os.path.dirname(log), ignore_errors=True)
        if not args.keep:
            shutil.rmtree(outbox, ignore_errors=True)


if __name__ == "__main__":
    main()
