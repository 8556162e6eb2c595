"""Benchmark: what chaining the audit log costs a writer, against the same INSERT into a table without the
chain, in the same run.

    .venv/bin/python bench/audit.py --db sqlite|postgresql [--writers 1,8] [--seconds 5] [--rounds 2]

WRITERS threads, each with its own connection, insert one audit entry (the shape of a sale's) and commit,
as fast as they can, for SECONDS: once into ``audit_entries`` (the database chains every entry at commit,
under the chain's one lock: ``ticketing/audit/chain.py``) and once into ``bench_audit_plain``, a copy of
the table with no trigger (the baseline). The two take turns (``--rounds``) so that other load on the
machine weighs on both alike. Prints entries/s, p50/p99 of insert+commit, the ratio chained/plain, and
checks the chain afterwards (``audit verify``: every entry linked, nothing broken).
Works in a scratch database of its own (bench/common.py), dropped afterwards unless ``--keep``.
"""
import argparse
import threading
import time

from common import ScratchDatabase, add_database_options, analyze, make_app, median, percentile

AFTER = '{"seats": [101, 102, 103], "total_satang": 450000, "method": "cash"}'


def _plain_table(conn, pg: bool) -> None:
    from sqlalchemy import text
    if pg:
        conn.execute(text("CREATE TABLE bench_audit_plain (LIKE audit_entries INCLUDING DEFAULTS INCLUDING INDEXES "
                          "INCLUDING IDENTITY)"))
        conn.execute(text("CREATE SEQUENCE bench_audit_plain_id OWNED BY bench_audit_plain.id"))
        conn.execute(text("ALTER TABLE bench_audit_plain ALTER COLUMN id SET DEFAULT nextval('bench_audit_plain_id')"))
    else:
        conn.execute(text("CREATE TABLE bench_audit_plain (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, "
                          "user_id INTEGER, organization_id INTEGER, action VARCHAR(60) NOT NULL, "
                          "object_type VARCHAR(40) NOT NULL, object_id VARCHAR(64) NOT NULL, before JSON, after JSON)"))
        conn.execute(text("CREATE INDEX ix_bench_plain_at ON bench_audit_plain (at)"))
        conn.execute(text("CREATE INDEX ix_bench_plain_action ON bench_audit_plain (action)"))


def _run(engine, table: str, writers: int, seconds: float) -> dict:
    """``writers`` threads inserting and committing into ``table`` for ``seconds``."""
    from sqlalchemy import text
    insert = text(f"INSERT INTO {table} (at, user_id, organization_id, action, object_type, object_id, before, after) "
                  "VALUES (:at, NULL, NULL, 'order.sell', 'order', :oid, NULL, :after)")
    latencies: list[list[float]] = [[] for _ in range(writers)]
    start = threading.Barrier(writers + 1)
    stop = threading.Event()
    failures = []

    def writer(n: int) -> None:
        try:
            with engine.connect() as conn:
                start.wait()
                i = 0
                while not stop.is_set():
                    t0 = time.perf_counter()
                    conn.execute(insert, {"at": "2027-07-19 12:00:00.000000", "oid": f"{n}-{i}", "after": AFTER})
                    conn.commit()
                    latencies[n].append((time.perf_counter() - t0) * 1000)
                    i += 1
        except Exception as err:
            failures.append(err)
            stop.set()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)  # the measured interval itself, not a synchronisation
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"a writer failed: {failures[0]}")
    every = [x for lat in latencies for x in lat]
    return {"entries": len(every), "seconds": elapsed, "latencies": every}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_options(parser, "audit")
    parser.add_argument("--writers", default="1,8", help="comma-separated numbers of concurrent writers")
    parser.add_argument("--seconds", type=float, default=5.0, help="per turn")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with ScratchDatabase(args) as url:
        app = make_app(url)
        from sqlalchemy import create_engine, text

        from ticketing.audit.chain import verify
        from ticketing.config import sqlalchemy_url
        from ticketing.extensions import db
        pg = url.startswith("postgres")
        engine = create_engine(sqlalchemy_url(url), pool_size=64, connect_args={} if pg else {"timeout": 60})
        with engine.begin() as conn:
            _plain_table(conn, pg)
        analyze(url) if pg else None
        print(f"database: {'postgresql' if pg else 'sqlite'}   turns of {args.seconds:g} s, {args.rounds} rounds")
        print(f"{'writers':>7} {'table':<8} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
        for writers in [int(w) for w in args.writers.split(",")]:
            totals = {"chained": [], "plain": []}
            for _round in range(args.rounds):
                for name, table in (("chained", "audit_entries"), ("plain", "bench_audit_plain")):
                    totals[name].append(_run(engine, table, writers, args.seconds))
            rates = {}
            for name, runs in totals.items():
                entries, seconds = sum(r["entries"] for r in runs), sum(r["seconds"] for r in runs)
                lat = [x for r in runs for x in r["latencies"]]
                rates[name] = entries / seconds
                print(f"{writers:>7} {name:<8} {rates[name]:>10.0f} {median(lat):>8.2f} {percentile(lat, 0.99):>8.2f}")
            print(f"{writers:>7} ratio chained/plain: {rates['chained'] / rates['plain']:.2f}")
        engine.dispose()
        with app.app_context():
            verdict = verify()
            print(f"audit verify: {'ok' if verdict.ok else verdict.problem}, {verdict.entries} entries chained")
            db.engine.dispose()


if __name__ == "__main__":
    main()
