"""Benchmark: does a sign-in's time tell whether a username exists? And what does a token's last use cost?

    .venv/bin/python bench/login.py                      # SQLite scratch file
    .venv/bin/python bench/login.py --db postgresql      # `ticketing_bench_login` (bench/common.py), dropped after

Sign-in: posts the login form through the app (CSRF off, nothing else mocked) with a wrong password for an
existing user (the baseline), an unknown username and an inactive user, taking turns, and prints each one's
median and p95 in milliseconds and its ratio to the baseline: a ratio near 1 means the time gives nothing
away (before the dummy hash an unknown name answered in a few percent of the baseline's time). The lockout
is lifted for the run (its counters would refuse the attempts).

API sign-in: GET /api/v1/festivals with a Bearer token, the token's ``last_used_at`` written at most once a
minute (as served) against the same request writing it every time; prints both medians and the ratio.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask import g  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from ticketing import create_app  # noqa: E402
from ticketing.accounts import services  # noqa: E402
from ticketing.accounts.services import issue_token, save_user  # noqa: E402
from ticketing.config import sqlalchemy_url  # noqa: E402
from ticketing.extensions import db  # noqa: E402
from bench.common import ScratchDatabase, add_database_options  # noqa: E402


def _stats(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def _time(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "login")
    parser.add_argument("--rounds", type=int, default=25, help="attempts of each kind (default 25)")
    args = parser.parse_args()
    with ScratchDatabase(args) as url:  # a database of its own, dropped afterwards (bench/common.py)
        run(sqlalchemy_url(url), args.rounds)


def run(url: str, rounds: int):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                      "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute"})

    @app.before_request
    def _fresh_request_state():  # the bench holds one app context open: sign each request in afresh
        g.pop("_login_user", None)

    with app.app_context():
        upgrade()
        user = save_user(None, None, username="seller1", roles=["gate"], organization_id=None, password="right-pass")
        gone = save_user(None, None, username="former", roles=["gate"], organization_id=None, password="right-pass")
        gone.active = False
        token = issue_token(None, user)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        client = app.test_client()
        kinds = {"wrong password (baseline)": "seller1", "unknown username": "no-such-user",
                 "inactive user": "former"}
        for name in kinds.values():  # warm up: the dummy hash is made once, at the first unknown name
            client.post("/login", data={"username": name, "password": "wrong"})
        times = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for kind, name in kinds.items():  # taking turns, so that other load weighs on all alike
                times[kind].append(_time(lambda: client.post("/login", data={"username": name, "password": "w"})))
        base = statistics.median(times["wrong password (baseline)"])
        print(f"sign-in on {db.engine.dialect.name}, {rounds} attempts each")
        for kind, samples in times.items():
            median, p95 = _stats(samples)
            print(f"  {kind:28} median {median:7.1f} ms   p95 {p95:7.1f} ms   ratio {median / base:5.2f}")

        headers = {"Authorization": f"Bearer {token}"}
        every_time = services.LAST_USED_EVERY
        api = {"last use once a minute": [], "last use every request (baseline)": []}
        for _ in range(rounds * 4):
            services.LAST_USED_EVERY = every_time
            api["last use once a minute"].append(_time(lambda: client.get("/api/v1/festivals", headers=headers)))
            services.LAST_USED_EVERY = timedelta(0)
            api["last use every request (baseline)"].append(
                _time(lambda: client.get("/api/v1/festivals", headers=headers)))
        services.LAST_USED_EVERY = every_time
        base = statistics.median(api["last use every request (baseline)"])
        print(f"API request signed in by a token, {rounds * 4} each")
        for kind, samples in api.items():
            median, p95 = _stats(samples)
            print(f"  {kind:36} median {median:6.2f} ms   p95 {p95:6.2f} ms   ratio {median / base:5.2f}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
