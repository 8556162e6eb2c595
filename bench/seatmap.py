"""Benchmark: render a session's seat map (HTML+SVG) and its seats JSON, against a baseline that
loads the same inventory rows without rendering, all in the same run.

    .venv/bin/python bench/seatmap.py [--db sqlite|postgresql] [--iterations 30]

Prints the median and p90 time of each, the ratio to the baseline, and the response sizes
(raw and gzip). Works in a scratch database of its own (bench/common.py: a temporary SQLite file, or
the PostgreSQL database `ticketing_bench_seatmap` or ``--database-url``, created, analysed after loading
and dropped afterwards unless ``--keep``).
"""
import argparse
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ScratchDatabase, add_database_options, analyze, make_app, median, percentile  # noqa: E402
from bench.common import timed as timed_samples  # noqa: E402


def timed(fn, iterations):
    """Median and p90 milliseconds of ``iterations`` calls after one to warm up."""
    samples = timed_samples(fn, iterations)
    return median(samples), percentile(samples, 0.9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "seatmap")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    with ScratchDatabase(args) as url:
        run(args, url)


def run(args, url: str):
    from ticketing.demo import load_demo
    from ticketing.extensions import db
    from ticketing.festivals.models import FestivalSession
    from ticketing.inventory import allocation, services

    app = make_app(url)
    with app.app_context():
        load_demo()
        session = db.session.scalar(db.select(FestivalSession).order_by(FestivalSession.id))
        allocation.deal_equal_shares(None, session)
        db.session.commit()
        session_id = session.id
        db.engine.dispose()
    analyze(url)
    with app.app_context():
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
    print(f"database: {'postgresql' if url.startswith('postgres') else 'sqlite'}   seats in session: {seat_count}   iterations: {args.iterations}")
    print(f"{'what':<22}{'median ms':>10}{'p90 ms':>9}{'ratio':>8}{'raw KB':>9}{'gzip KB':>9}")
    print(f"{'baseline (load rows)':<22}{base[0]:>10.1f}{base[1]:>9.1f}{1:>8.2f}{'':>9}{'':>9}")
    for name, ((median, p90), body) in results.items():
        print(f"{name:<22}{median:>10.1f}{p90:>9.1f}{median / base[0]:>8.2f}"
              f"{len(body) / 1024:>9.1f}{len(gzip.compress(body)) / 1024:>9.1f}")


if __name__ == "__main__":
    main()
