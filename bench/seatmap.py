"""Benchmark: render a session's seat map (HTML+SVG) and its seats JSON, against a baseline that
loads the same inventory rows without rendering, all in the same run.

    .venv/bin/python bench/seatmap.py [--db sqlite|postgresql] [--iterations 30]

Prints the median and p90 time of each, the ratio to the baseline, and the response sizes
(raw and gzip). Uses a throw-away SQLite file, or the PostgreSQL database `test` (emptied).
"""
import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TICKETING_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def timed(fn, iterations):
    fn()  # warm up
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from ticketing import create_app
    from ticketing.config import sqlalchemy_url
    from ticketing.demo import load_demo
    from ticketing.extensions import db
    from ticketing.festivals.models import FestivalSession
    from ticketing.inventory import allocation, services

    if args.db == "postgresql":
        url = PG_URL
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.app_context():
        upgrade()
        load_demo()
        session = db.session.scalar(db.select(FestivalSession).order_by(FestivalSession.id))
        allocation.deal_equal_shares(None, session)
        db.session.commit()
        session_id = session.id
        seat_count = len(services.seat_views(session_id))

    app.config["WTF_CSRF_ENABLED"] = False  # only so the benchmark can post the login form
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-demo"})

    def baseline():
        with app.app_context():
            services.seat_views(session_id)

    def page():
        resp = client.get(f"/sessions/{session_id}/map")
        assert resp.status_code == 200, resp.status_code
        return resp

    def seats_json():
        resp = client.get(f"/api/v1/sessions/{session_id}/seats")
        assert resp.status_code == 200, resp.status_code
        return resp

    base = timed(baseline, args.iterations)
    results = {"map page (HTML+SVG)": (timed(page, args.iterations), page().data),
               "seats JSON": (timed(seats_json, args.iterations), seats_json().data)}
    print(f"database: {args.db}   seats in session: {seat_count}   iterations: {args.iterations}")
    print(f"{'what':<22}{'median ms':>10}{'p90 ms':>9}{'ratio':>8}{'raw KB':>9}{'gzip KB':>9}")
    print(f"{'baseline (load rows)':<22}{base[0]:>10.1f}{base[1]:>9.1f}{1:>8.2f}{'':>9}{'':>9}")
    for name, ((median, p90), body) in results.items():
        print(f"{name:<22}{median:>10.1f}{p90:>9.1f}{median / base[0]:>8.2f}"
              f"{len(body) / 1024:>9.1f}{len(gzip.compress(body)) / 1024:>9.1f}")


if __name__ == "__main__":
    main()
