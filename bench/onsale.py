"""Benchmark: K counters buying 1-4 random free seats through the API of the real app under gunicorn,
against a bare endpoint that only does the conditional seat update, in the same run.

    .venv/bin/python bench/onsale.py --db sqlite|postgresql [--counters 16] [--seconds 20] [--orders 21000] [--tablets 9]
        [--workers 2 --threads 4 --worker-class gthread] [--database-url URL] [--keep]

Counters are closed-loop clients with keep-alive connections and bearer tokens, spread over client
processes; each buys 1-4 seats it has not seen sold, paying cash (a sale the counter also makes). The
app and the bare endpoint (bench/bare_app.py) take turns (``--rounds``), each on sessions of its own, so
that other load on the machine weighs on both alike. Prints orders/s, tickets/s, p50/p99 latency,
the CPU per answer of the gunicorn servers, of PostgreSQL (every ``postgres`` process of this machine)
and of the clients, `seats_taken` answers, `double_sold` (must be 0), the ratio of the full sale to the
bare update, and the statements one sale sends (counted at the driver, in this process,
through the same API).
With ``--orders N`` it measures whether a sale slows down as the tables grow: a second scratch database
(``…_grown``) gets N orders through the app first; then the app on that database and the app on the
fresh one take turns (``--rounds`` each, in alternating order, ``--seconds`` in all for each), so that
the machine's drift weighs on both alike, and it prints the grown database's orders/s against the
fresh one's (target: at least 0.90). The loading run's own orders/s over its first and last 1,000
orders are printed too, but over minutes this machine's speed drifts by more than the target's 10 %.

PostgreSQL: a scratch database `ticketing_bench_onsale` (or ``--database-url``), created, analysed after
loading and dropped at the end; SQLite: a temporary file.
"""
import argparse
import json
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (ScratchDatabase, Server, add_database_options, analyze,  # noqa: E402
                          database_cpu, Http, figures, make_app, rate_between, run_clients, stop_all)

TARGET_RATIO, TARGET_P99 = 0.35, 300.0
#: a session counts as sold out for a client process, which moves to the next, when this share of its seats is gone
SOLD_OUT = 0.8
#: mean seats an order
MEAN_SEATS = 2.5


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


def setup(url: str, counters: int, sessions: int, *, rules: bool = True) -> dict:
    """Schema, a festival of ``sessions`` 3,000-seat sessions with split rules (commission and an
    operator fee), one member organization, seller and API token per counter; then ANALYZE."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from ticketing.accounts.services import issue_token, save_organization, save_user
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.revenue.services import save_rules
    from ticketing.seating.mapfile import parse_map
    from ticketing.seating.models import Seat

    app = make_app(url)
    with app.app_context():
        save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
        festival = save_festival(None, None, name_th="bench", name_en="bench", year=2027)
        import_map(None, festival, parse_map(json.dumps(plan_3000())))
        made = [save_session(None, festival, None, name_th=f"s{i}", name_en=f"s{i}",
                             starts_at=datetime(2027, 7, 1, tzinfo=timezone.utc) + timedelta(days=i)).id
                for i in range(sessions)]
        tokens, orgs = [], []
        for i in range(counters):
            org = save_organization(None, None, code=f"org{i}", kind="member", name_th=f"o{i}", name_en=f"o{i}")
            user = save_user(None, None, username=f"seller{i}", roles=["seller"], organization_id=org.id,
                             password="bench-password")
            tokens.append(issue_token(None, user))
            orgs.append(org.id)
        if rules:
            save_rules(None, festival, [{"kind": "commission", "basis_points": 1000},
                                        {"kind": "operator_fee", "organization_id": orgs[0], "fixed_satang": 2000}])
        seat_ids = list(db.session.scalars(select(Seat.id).order_by(Seat.id)))
        db.session.commit()
        db.engine.dispose()
    analyze(url)
    return {"sessions": made, "tokens": tokens, "seat_ids": seat_ids}


class Seats:
    """The seats one client process still believes free, session after session: its own stripe of each
    session's seats; when ``SOLD_OUT`` of the stripe is gone it moves on to the next session."""

    def __init__(self, sessions: list, seat_ids: list, seed: int):
        self.sessions, self.seat_ids = list(sessions), list(seat_ids)
        self.lock = threading.Lock()
        self.index = 0
        self.free = list(seat_ids)
        self.rnd = random.Random(seed)

    def pick(self):
        """(session id, 1-4 seat ids), or None when every session is used up."""
        with self.lock:
            if len(self.free) < len(self.seat_ids) * (1 - SOLD_OUT):
                self.index += 1
                self.free = list(self.seat_ids)
            if self.index >= len(self.sessions):
                return None
            return self.sessions[self.index], self.rnd.sample(self.free, self.rnd.randint(1, 4))

    def gone(self, session_id, seats):
        with self.lock:
            if self.index < len(self.sessions) and self.sessions[self.index] == session_id:
                lost = set(seats)
                self.free = [s for s in self.free if s not in lost]


def counters(spec: dict) -> list:
    """One client process: its counters (one keep-alive connection each), sharing one ``Seats``."""
    seats = Seats(spec["sessions"], spec["seat_ids"], spec["seed"])
    ports = spec["ports"]

    def counter(n: int, token):
        http = Http(ports[n % len(ports)], token)

        def step():
            choice = seats.pick()
            if choice is None:
                return None
            session_id, want = choice
            status, _body = http.post(spec["path"], {"session_id": session_id, "seat_ids": want,
                                                     "payment_method": "cash"})
            seats.gone(session_id, want)  # sold, or lost to another counter: forgotten either way
            return ("ok" if status == 201 else "taken" if status == 409 else f"http_{status}"), len(want)
        return step
    return [counter(n, token) for n, token in zip(spec["counter_numbers"], spec["tokens"])]


def specs(ports: list, path: str, sessions: list, seat_ids: list, tokens: list, processes: int) -> list:
    """Counters dealt to ``processes`` client processes, each with a stripe of the seats; counter n uses
    ``ports[n % len(ports)]`` (several app instances: clients spread over them)."""
    return [{"ports": ports, "path": path, "sessions": sessions, "seat_ids": seat_ids[p::processes], "seed": p,
             "tokens": tokens[p::processes], "counter_numbers": list(range(len(tokens)))[p::processes]}
            for p in range(processes)]


def sessions_for(orders: float) -> int:
    """Sessions enough for ``orders`` orders at ``SOLD_OUT`` of each, with a quarter to spare: each client
    process sells its own stripe of every session, and one that ran out of sessions before the others
    would leave the last orders to fewer counters (a slow-down that is the benchmark's, not the app's)."""
    return int(orders * MEAN_SEATS / (3000 * SOLD_OUT) * 1.25) + 2


def double_sold(url: str, sessions: list) -> int:
    """Live tickets twice for a seat, or a seat sold without its live ticket (or the reverse), in ``sessions``."""
    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    marks = ", ".join(str(int(s)) for s in sessions)
    with engine.connect() as conn:
        dup = conn.execute(text("SELECT COUNT(*) FROM (SELECT session_id, seat_id FROM tickets WHERE status = 'valid' "
                                "GROUP BY session_id, seat_id HAVING COUNT(*) > 1) d")).scalar()
        unsold = conn.execute(text(
            f"SELECT COUNT(*) FROM seat_inventory i WHERE i.state = 'sold' AND i.session_id IN ({marks}) "
            "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.status = 'valid' "
            "AND t.session_id = i.session_id AND t.seat_id = i.seat_id)")).scalar()
        unclaimed = conn.execute(text(
            f"SELECT COUNT(*) FROM tickets t JOIN seat_inventory i ON i.session_id = t.session_id "
            f"AND i.seat_id = t.seat_id WHERE t.status = 'valid' AND t.session_id IN ({marks}) "
            "AND i.state <> 'sold'")).scalar()
    engine.dispose()
    return dup + unsold + unclaimed


def statements_per_sale(url: str, token: str, session_id: int, seat_ids: list, sales: int = 20) -> tuple[float, float, list]:
    """Statements and commits of one sale through POST /api/v1/orders (the Flask test client, in this
    process, counted at the driver: ``ticketing.rawsql.StatementLog``), averaged over ``sales`` sales of
    2 seats; and one sale's statements."""
    from ticketing import create_app
    from ticketing.config import sqlalchemy_url
    from ticketing.extensions import db
    from ticketing.rawsql import StatementLog

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        counter = StatementLog(db.engine)
    body = {"session_id": session_id, "payment_method": "cash"}
    resp = client.post("/api/v1/orders", json={**body, "seat_ids": seat_ids[:2]}, headers=headers)  # warm up
    assert resp.status_code == 201, resp.get_json()
    counter.reset()
    for n in range(1, sales + 1):
        resp = client.post("/api/v1/orders", json={**body, "seat_ids": seat_ids[2 * n:2 * n + 2]}, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        if n == 1:
            one = list(counter.sent)
    result = len(counter.sent) / sales, counter.commits / sales, one
    counter.close()
    with app.app_context():
        db.engine.dispose()
    return result


def window_rates(run: dict, seconds: float) -> list[float]:
    """ok answers per second in each ``seconds`` of a run: a dip shows when something else took the
    machine for a while (the analyzing ``AutoAnalyze`` does, say), which a figure over 1,000 orders hides."""
    ends = [r[0] - run["began"] for r in run["records"] if r[2] == "ok"]
    counts = [0] * (int(max(ends, default=0) // seconds) + 1)
    for end in ends:
        counts[int(end // seconds)] += 1
    return [c / seconds for c in counts[:-1] or counts]


def without_audit_chain(url: str) -> None:
    """Diagnostic only: stop the audit chain's deferred trigger (PostgreSQL) in the scratch database."""
    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql" and conn.execute(text(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'audit_entries_chain'")).first():
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_chain"))
            print("DIAGNOSTIC: audit chain trigger disabled in the scratch database; not the app's figures")
    engine.dispose()


def describe(name: str, f: dict, cpu: dict | None = None) -> None:
    """One line of figures; ``cpu``: CPU seconds over the run of the servers, the database and the
    clients (shown per answer: where a request's cost goes)."""
    other = sum(n for r, n in f["results"].items() if r not in ("ok", "taken"))
    per = "".join(f"{cpu[k] * 1000 / max(1, f['answers']):>8.2f}"
                  for k in ("server", "database", "clients")) if cpu else ""
    print(f"{name:<13}{f['rate']:>9.1f}{f['units']:>10.1f}{f['p50']:>9.1f}{f['p99']:>9.1f}"
          f"{f['results'].get('taken', 0):>8}{other:>8}{f['ok']:>8}{f['elapsed']:>9.1f}{per}")


HEADER = (f"{'endpoint':<13}{'orders/s':>9}{'tickets/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'taken':>8}{'errors':>8}"
          f"{'orders':>8}{'seconds':>9}")
#: the CPU columns ``describe`` adds when it is given the CPU seconds
CPU_HEADER = "   CPU ms per answer: server / database / clients"


def add_server_options(parser) -> None:
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class: gthread or sync")
    parser.add_argument("--processes", type=int, default=4, help="client processes the counters are spread over")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "onsale")
    parser.add_argument("--counters", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="for each endpoint, in all its turns")
    parser.add_argument("--rounds", type=int, default=2, help="turns each endpoint (or database) takes")
    parser.add_argument("--orders", type=int, default=0,
                        help="load this many orders (at least 2,000) into a second database through the app, then "
                             "compare the app's orders/s there with its orders/s on a fresh database")
    parser.add_argument("--tablets", type=int, default=0,
                        help="during the app's turns, this many counter tablets (sellers signed in by cookie) also "
                             "poll the live map once a second, as on a counter day; their CPU counts in the app's")
    parser.add_argument("--no-audit-chain", action="store_true",
                        help="diagnostic: disable the audit chain's commit-time trigger in the scratch database, to "
                             "see what its one lock (held through each commit) costs; figures are then not the app's")
    parser.add_argument("--warmup", type=float, default=4,
                        help="seconds of unmeasured sales on each server first (workers load the app, open connections)")
    add_server_options(parser)
    args = parser.parse_args()
    if args.tablets > args.counters:
        parser.error("--tablets: at most one tablet per counter (each signs in as a counter's seller)")
    if args.orders and (args.orders < 2000 or args.tablets or args.no_audit_chain):
        parser.error("--orders: at least 2,000, and without --tablets or --no-audit-chain")
    processes = max(1, min(args.processes, args.counters))
    rounds = max(1, args.rounds)
    if args.orders:
        return growth(args, processes, rounds)
    guess = 600 * args.seconds
    app_sessions = [sessions_for(guess / rounds) for _ in range(rounds)]
    bare_sessions = [sessions_for(guess * 3 / rounds) for _ in range(rounds)]
    scratch = ScratchDatabase(args)
    with scratch as url:
        data = setup(url, args.counters, 3 + sum(app_sessions) + sum(bare_sessions))
        all_sessions, tokens, seat_ids = data["sessions"], data["tokens"], data["seat_ids"]
        (probe, *warm), rest = all_sessions[:3], all_sessions[3:]
        if args.no_audit_chain:
            without_audit_chain(url)
        per_sale, commits, one = statements_per_sale(url, tokens[0], probe, seat_ids)
        print(f"database: {'postgresql' if url.startswith('postgres') else 'sqlite'}   counters: {args.counters} "
              f"in {processes} processes   gunicorn: {server_line(args)}   seconds: {args.seconds}   rounds: {rounds}"
              + (f"   tablets polling during the app's turns: {args.tablets}" if args.tablets else ""))
        print(f"statements per sale: {per_sale:.1f} and {commits:.0f} commit "
              f"(POST /api/v1/orders, 2 seats, cash; counted at the driver)")
        for statement in one:
            print("   ", " ".join(statement.split())[:150])
        full_server = Server("wsgi:app", url, **server_options(args))
        bare_server = Server("bench.bare_app:app", url, **server_options(args))
        endpoints = {"app": (full_server, "/api/v1/orders", tokens),
                     "bare": (bare_server, "/bare", [None] * args.counters)}
        runs, used = {"app": [], "bare": []}, {"app": [], "bare": []}
        try:
            for name, session in zip(endpoints, warm):
                srv, path, toks = endpoints[name]
                run_clients(counters, specs([srv.port], path, [session], seat_ids, toks, processes), args.warmup)
            settled(url)
            for turn in range(rounds):
                for name, count in (("app", app_sessions[turn]), ("bare", bare_sessions[turn])):
                    mine, rest = rest[:count], rest[count:]
                    used[name] += mine
                    with Polling(full_server.port, args.tablets if name == "app" else 0, mine[0]):
                        runs[name].append(measured(endpoints[name], url, mine, seat_ids, processes,
                                                   args.seconds / rounds))
        finally:
            stop_all([full_server, bare_server])
        full_run, bare_run = (merged(runs[name]) for name in ("app", "bare"))
        full, bare = figures(full_run), figures(bare_run)
        print(HEADER + CPU_HEADER)
        describe("full sale", full, full_run["cpu"])
        describe("bare update", bare, bare_run["cpu"])
        print(f"double_sold: {double_sold(url, used['app'])}   ratio full/bare: {full['rate'] / bare['rate']:.2f} "
              f"(target >= {TARGET_RATIO})   p99: {full['p99']:.0f} ms (target <= {TARGET_P99:g} ms)")


class Polling:
    """``with Polling(port, n, session_id):`` n tablets, each signed in as one of the first n sellers with
    its own keep-alive connection, poll the session's live map a second after each answer, as the counter
    page does (bench/polling.py), until the block ends."""

    def __init__(self, port: int, tablets: int, session_id: int):
        from bench.polling import Tablet
        self.tablets = [Tablet(port, f"seller{i}", session_id) for i in range(tablets)]
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._poll, args=(t,)) for t in self.tablets]

    def _poll(self, tablet) -> None:
        from bench.polling import poll_changes
        while not self.stopping.is_set():
            poll_changes(tablet)
            self.stopping.wait(1.0)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def settled(url: str) -> None:
    """ANALYZE after the warm-up, as autovacuum would within its first minute of sales. The tables a sale
    writes were nearly empty at setup, and each server process planned its foreign-key checks then and
    keeps those plans until an ANALYZE: the audit chain's check of ``audit_entries`` stayed a sequential
    scan of the growing table (a tenth of the database's CPU in a 10-second turn, by ``perf``), which a
    festival day sees only in the minute before autovacuum's first analyze."""
    analyze(url)


def server_options(args) -> dict:
    return dict(workers=args.workers, threads=args.threads, worker_class=args.worker_class)


def server_line(args) -> str:
    return f"{args.workers} {args.worker_class} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else "")


def measured(endpoint: tuple, url: str, sessions: list, seat_ids: list, processes: int, seconds: float, *,
             limit: int | None = None) -> dict:
    """One turn of closed-loop counters on ``endpoint`` (server, path, tokens), with the CPU the servers,
    the database and the clients spent meanwhile."""
    srv, path, tokens = endpoint
    postgres = url.startswith("postgres")  # SQLite's work is the server's own CPU
    cpu, db_cpu = srv.cpu(), database_cpu() if postgres else 0.0
    run = run_clients(counters, specs([srv.port], path, sessions, seat_ids, tokens, processes), seconds, limit=limit)
    run["cpu"] = {"server": srv.cpu() - cpu, "database": database_cpu() - db_cpu if postgres else 0.0,
                  "clients": run["client_cpu"]}
    return run


def merged(parts: list) -> dict:
    """Several turns of one endpoint as one run."""
    return {"records": [r for part in parts for r in part["records"]],
            "elapsed": sum(p["elapsed"] for p in parts),
            "cpu": {k: sum(p["cpu"][k] for p in parts) for k in ("server", "database", "clients")}}


def growth(args, processes: int, rounds: int) -> None:
    """``--orders N``: the app on a database that already holds N orders (sold through the app, in a
    second scratch database) against the app on a fresh database, in alternating turns."""
    grown_args = argparse.Namespace(**{**vars(args), "bench_name": f"{args.bench_name}_grown", "database_url": (
        f"{args.database_url}_grown" if args.database_url else None)})
    turn_sessions = sessions_for(600 * args.seconds / rounds)
    scratch = {"fresh": ScratchDatabase(args), "grown": ScratchDatabase(grown_args)}
    with scratch["fresh"] as fresh_url, scratch["grown"] as grown_url:
        fresh = setup(fresh_url, args.counters, 1 + rounds * turn_sessions)
        load_count = sessions_for(args.orders)
        grown = setup(grown_url, args.counters, 1 + load_count + rounds * turn_sessions)
        print(f"database: {'postgresql' if fresh_url.startswith('postgres') else 'sqlite'}   counters: "
              f"{args.counters} in {processes} processes   gunicorn: {server_line(args)}   orders loaded: "
              f"{args.orders:,}   then seconds: {args.seconds} for each database in {rounds} turns")
        servers = {"fresh": Server("wsgi:app", fresh_url, **server_options(args)),
                   "grown": Server("wsgi:app", grown_url, **server_options(args))}
        data = {"fresh": fresh, "grown": grown}
        urls = {"fresh": fresh_url, "grown": grown_url}
        endpoint = {name: (servers[name], "/api/v1/orders", data[name]["tokens"]) for name in servers}
        left = {name: data[name]["sessions"][1:] for name in servers}
        runs, used = {"fresh": [], "grown": []}, {"fresh": [], "grown": []}
        try:
            for name in servers:
                run_clients(counters, specs([servers[name].port], "/api/v1/orders", data[name]["sessions"][:1],
                                            data[name]["seat_ids"], data[name]["tokens"], processes), args.warmup)
                settled(urls[name])
            mine, left["grown"] = left["grown"][:load_count], left["grown"][load_count:]
            used["grown"] += mine
            load = measured(endpoint["grown"], grown_url, mine, grown["seat_ids"], processes, 3600, limit=args.orders)
            held = {name: orders_in(urls[name]) for name in servers}
            for turn in range(rounds):
                for name in (("fresh", "grown") if turn % 2 == 0 else ("grown", "fresh")):
                    mine, left[name] = left[name][:turn_sessions], left[name][turn_sessions:]
                    used[name] += mine
                    runs[name].append(measured(endpoint[name], urls[name], mine, data[name]["seat_ids"], processes,
                                               args.seconds / rounds))
        finally:
            stop_all(list(servers.values()))
        loaded = figures(load)
        first, last = rate_between(load, 0, 1000), rate_between(load, loaded["ok"] - 1001, loaded["ok"] - 1)
        print(f"loading run: {loaded['ok']:,} orders at {loaded['rate']:.1f}/s, p99 {loaded['p99']:.0f} ms; "
              f"first 1,000 orders {first:.1f}/s, last 1,000 {last:.1f}/s (ratio {last / max(first, 1e-9):.2f}, "
              "with the machine's drift in it)")
        print("orders/s in each 10 s of the loading run:", " ".join(f"{r:.0f}" for r in window_rates(load, 10)))
        print(f"orders held before the turns: fresh database {held['fresh']:,}, grown database {held['grown']:,}")
        print(HEADER + CPU_HEADER)
        rates = {}
        for name in servers:
            whole = merged(runs[name])
            describe(f"{name} db", figures(whole), whole["cpu"])
            rates[name] = figures(whole)["rate"]
        pairs = " ".join(f"{g['rate'] / max(f['rate'], 1e-9):.2f}" for f, g in
                         zip(map(figures, runs["fresh"]), map(figures, runs["grown"])))
        print(f"double_sold: {sum(double_sold(urls[name], used[name]) for name in servers)}   grown/fresh orders/s: "
              f"{rates['grown'] / max(rates['fresh'], 1e-9):.2f} (target >= 0.90; turn by turn: {pairs})")
        analyzed = [f"{name} {table}" for name in servers if getattr(scratch[name], "autoanalyze", None)
                    for _when, table in scratch[name].autoanalyze.log]
        print("tables analysed (AutoAnalyze, as autovacuum would):", ", ".join(analyzed) or "none")


def orders_in(url: str) -> int:
    from sqlalchemy import create_engine, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM orders")).scalar()
    engine.dispose()
    return count


if __name__ == "__main__":
    main()
