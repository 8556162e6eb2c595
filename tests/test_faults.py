"""Faults under load (issue 14, item 8): counters keep selling through a real gunicorn server while

- a worker is killed with SIGKILL in the middle of sales (three times), on the suite's database;
- PostgreSQL itself is restarted, on a private cluster this test makes and removes (never the shared one).

Every sale carries an Idempotency-Key; a client whose request was cut off (connection reset, 502, 503) sends
it again with the same key until it gets an answer. Afterwards:

- every sale ended as 201 or 409 (seats_taken, or idempotency_key_reused), none as a 500;
- no order lost or doubled: the orders in the database are exactly those answered 201, one per key;
- no seat sold without a live ticket, no live ticket on a seat not sold, no seat held (the API holds nothing);
- ``flask revenue check`` passes.

On PostgreSQL binaries missing, the restart test skips, or fails with REQUIRE_POSTGRES=1 (as in CI)."""
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.client import HTTPException
from urllib.error import URLError

import pytest
from sqlalchemy import create_engine, text

from conftest import SMALL_MAP, _sa
from ticketing import create_app
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from api_client import post_order
from gunicorn_server import Gunicorn, free_port
from waiting import wait_until

CLIENTS = 6
#: a grandstand of 10 rows of 30 seats: room for a few hundred sales
BIG_MAP = {**SMALL_MAP, "stands": [{"code": "A", "name": {"th": "อัฒจันทร์ A", "en": "Stand A"}, "sections": [
    {"code": "A1", "name": {"th": "A1", "en": "A1"}, "blocks": [
        {"row_labels": [str(r) for r in range(1, 11)], "seats_per_row": 30, "origin": {"x": 10, "y": 10},
         "seat_pitch": 10, "row_pitch": 12, "category": "vip"}]}]}]}


class Counters:
    """CLIENTS counters selling one or two seats at a time, each sale with its own Idempotency-Key and sent
    again with that key until it has an answer; ``outcomes`` holds each sale's final answer."""

    def __init__(self, url: str, tokens: list[str], session_id: int, seat_ids: list[int]):
        self.url, self.tokens, self.session_id, self.seat_ids = url, tokens, session_id, seat_ids
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, int, dict]] = []  # (key, status, body)
        self.cut_off = Counter()  # what a retried attempt met: reset connections, 502, 503
        self.errors: list[str] = []  # what went wrong inside a counter's thread
        self.threads = [threading.Thread(target=self._counter, args=(i,), daemon=True) for i in range(len(tokens))]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads), "a counter never got an answer"
        assert not self.errors, self.errors

    def sold(self) -> int:
        with self.lock:
            return sum(1 for _key, status, _body in self.outcomes if status == 201)

    def _attempt(self, token: str, key: str, body: bytes):
        try:
            return post_order(self.url, token, body, key)
        except (URLError, HTTPException, ConnectionError, TimeoutError, socket.timeout) as err:
            return None, {"exception": repr(err)}

    def _counter(self, i: int):
        try:
            self._sell_until_stopped(i)
        except Exception as err:  # noqa: BLE001 (a thread's failure is reported by __exit__)
            with self.lock:
                self.errors.append(f"counter {i}: {err!r}")

    def _sell_until_stopped(self, i: int):
        rng = random.Random(i)
        token = self.tokens[i]
        while not self.stop.is_set():
            seats = rng.sample(self.seat_ids, rng.choice((1, 2)))
            key = str(uuid.uuid4())
            body = json.dumps({"session_id": self.session_id, "seat_ids": seats, "payment_method": "cash"}).encode()
            deadline = time.monotonic() + 90
            while True:
                status, answer = self._attempt(token, key, body)
                if status in (None, 502, 503):  # cut off, or the database was away: the same key again
                    with self.lock:
                        self.cut_off[status or answer["exception"].split("(")[0]] += 1
                    assert time.monotonic() < deadline, f"no answer for sale {key} in 90 s: {answer}"
                    self.stop.wait(0.05)  # the server is restarting a worker or the database: give it a moment
                    continue
                with self.lock:
                    self.outcomes.append((key, status, answer))
                break


def _seller_tokens(make, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        org = make.org(f"faults{i}")
        tokens.append(issue_token(None, make.user(f"counter{i}", roles=["seller"], org=org)))
    db.session.commit()
    return tokens


def _server_errors(server: Gunicorn) -> str:
    log = server.log.read_text(errors="replace")
    return log[log.find("Traceback"):][:4000] if "Traceback" in log else ""


def _check_afterwards(database_url: str, counters: Counters, server: Gunicorn):
    """The invariants, read straight from the database; then `flask revenue check` on it."""
    statuses = Counter(status for _key, status, _body in counters.outcomes)
    assert set(statuses) <= {201, 409}, (statuses, [o for o in counters.outcomes if o[1] not in (201, 409)][:5],
                                         _server_errors(server))
    for _key, status, body in counters.outcomes:
        if status == 409:
            assert body["error"] in ("seats_taken", "idempotency_key_reused"), body
    answered = {body["id"]: key for key, status, body in counters.outcomes if status == 201}
    assert len(answered) == statuses[201], "two sales answered with one order"
    engine = create_engine(_sa(database_url))
    try:
        with engine.connect() as conn:
            orders = dict(conn.execute(text("SELECT id, idempotency_key FROM orders")).all())
            assert orders == answered, (f"{len(set(orders) - set(answered))} orders nobody was told of, "
                                        f"{len(set(answered) - set(orders))} answered orders missing")
            unmatched = conn.execute(text(
                "SELECT i.seat_id, i.state, count(t.id) FROM seat_inventory i LEFT JOIN tickets t ON "
                "t.session_id = i.session_id AND t.seat_id = i.seat_id AND t.status = 'valid' "
                "GROUP BY i.seat_id, i.state HAVING (i.state = 'sold') <> (count(t.id) = 1) OR count(t.id) > 1"
            )).all()
            assert unmatched == [], f"seats sold without a ticket, or tickets on seats not sold: {unmatched[:10]}"
            held = conn.execute(text("SELECT count(*) FROM seat_inventory WHERE state = 'held'")).scalar()
            assert held == 0, f"{held} seats held (the API sells without holding)"
            tickets = conn.execute(text("SELECT count(*) FROM tickets WHERE status = 'valid'")).scalar()
            sold = {body["id"]: len(body["tickets"]) for _key, status, body in counters.outcomes if status == 201}
            assert tickets == sum(sold.values())
    finally:
        engine.dispose()
    checker = create_app({"SQLALCHEMY_DATABASE_URI": _sa(database_url), "TESTING": True})
    result = checker.test_cli_runner().invoke(args=["revenue", "check"])
    with checker.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output


def _sell_through(server: Gunicorn, counters: Counters, more: int, what: str):
    """Wait until the counters have sold ``more`` further orders (the server serves again after a fault)."""
    target = counters.sold() + more
    wait_until(lambda: counters.sold() >= target, f"{more} more sales {what}", timeout=120)
    assert server.proc.poll() is None, server.tail()


# --- a worker killed with SIGKILL ----------------------------------------------------------------------------------

def test_a_worker_killed_in_the_middle_of_sales_loses_nothing(app, make, tmp_path, capsys):
    session = make.festival(plan=BIG_MAP).sessions[0]
    seat_ids = [s.id for s in inventory.seat_views(session.id)]
    tokens = _seller_tokens(make, CLIENTS)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    server = Gunicorn(url, tmp_path, threads=4)  # 2 workers of 4 threads
    killed = []
    try:
        with Counters(server.url, tokens, session.id, seat_ids) as counters:
            _sell_through(server, counters, 15, "before any fault")
            for _ in range(3):
                before = set(server.workers())
                victim = random.Random(len(killed)).choice(sorted(before))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                wait_until(lambda: len(set(server.workers()) - before) >= 1, "gunicorn to start a new worker")
                _sell_through(server, counters, 15, f"after killing worker {victim}")
    finally:
        server.stop()
    with capsys.disabled():
        print(f"\nworker SIGKILL x{len(killed)}: {len(counters.outcomes)} sales answered "
              f"{dict(Counter(s for _k, s, _b in counters.outcomes))}, attempts cut off {dict(counters.cut_off)}")
    assert len(killed) == 3
    assert sum(counters.cut_off.values()) > 0, "no request was cut off by the kills: the test did not test them"
    _check_afterwards(url, counters, server)


# --- PostgreSQL restarted ------------------------------------------------------------------------------------------

def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


class PrivateCluster:
    """A PostgreSQL cluster of this test's own (initdb into a temporary directory, pg_ctl on a free port, run
    as the postgres OS user since initdb refuses root): restarted at will, removed afterwards."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="faults-pg-")
        self.port = free_port()
        shutil.chown(self.dir, "postgres")
        self.data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/faults"

    def _run(self, tool: str, *args: str):
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, os.path.join(self.bindir, tool), *args], check=True, capture_output=True,
                       cwd=self.dir)

    def ctl(self, action: str, *more: str):
        self._run("pg_ctl", action, "-D", self.data, "-w", "-t", "60", "-l", os.path.join(self.dir, "log"),
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", *more)

    def remove(self):
        try:
            self.ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    bindir = _pg_bin()
    if bindir is None or shutil.which("runuser") is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    cluster = PrivateCluster(bindir)
    try:
        cluster.ctl("start")
        admin = create_engine(_sa(cluster.url.rsplit("/", 1)[0] + "/postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE faults"))
        admin.dispose()
        yield cluster
    finally:
        cluster.remove()


class TestPostgresRestart:
    @pytest.fixture
    def fresh_url(self, private_postgres):
        """This test's database is on the private cluster (overrides conftest's), migrated like the template."""
        migrator = create_app({"SQLALCHEMY_DATABASE_URI": _sa(private_postgres.url), "TESTING": True})
        with migrator.app_context():
            from flask_migrate import upgrade
            upgrade()
            db.engine.dispose()
        return private_postgres.url

    def test_postgresql_restarted_during_sales_loses_nothing(self, private_postgres, app, make, tmp_path, capsys):
        _restart_during_sales(private_postgres, make, tmp_path, capsys)


def _restart_during_sales(cluster, make, tmp_path, capsys):
    session = make.festival(plan=BIG_MAP).sessions[0]
    seat_ids = [s.id for s in inventory.seat_views(session.id)]
    tokens = _seller_tokens(make, CLIENTS)
    session_id = session.id
    db.session.remove()
    db.engine.dispose()
    server = Gunicorn(cluster.url, tmp_path, threads=4)
    restarts = 0
    try:
        with Counters(server.url, tokens, session_id, seat_ids) as counters:
            _sell_through(server, counters, 15, "before any fault")
            for mode in ("fast", "immediate"):  # a clean shutdown, then a crash (recovery from the WAL)
                cluster.ctl("restart", "-m", mode)
                restarts += 1
                _sell_through(server, counters, 15, f"after a {mode} restart of PostgreSQL")
    finally:
        server.stop()
    with capsys.disabled():
        print(f"\nPostgreSQL restarts x{restarts}: {len(counters.outcomes)} sales answered "
              f"{dict(Counter(s for _k, s, _b in counters.outcomes))}, attempts cut off {dict(counters.cut_off)}")
    assert sum(counters.cut_off.values()) > 0, "no request met the restarts: the test did not test them"
    _check_afterwards(cluster.url, counters, server)
