"""What the benchmarks share: a scratch database of their own, the app on it, gunicorn servers, timing
loops and their figures, closed-loop HTTP clients; the statement counter is ``ticketing.rawsql.StatementLog``.

The database rule: a benchmark works in a database it made. On PostgreSQL that is a new database
(``ticketing_bench_<name>`` on 127.0.0.1 by default, or the one ``--database-url`` / ``BENCH_DATABASE_URL``
names), marked by a comment as a benchmark's own, dropped at the end unless ``--keep``. A database
that exists without that mark is never touched: the benchmark stops and says so. On SQLite it is a
file in a new temporary folder. Where the server runs with autovacuum off, ``AutoAnalyze`` does its
analyzing for the scratch database while the benchmark runs, as autovacuum would in production.
"""
import atexit
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _own_instance_folder() -> None:
    """Where the app a benchmark runs keeps its generated secret and signing key: a new temporary folder,
    made once by the benchmark (its client processes inherit the variable) and removed when it ends."""
    if "TICKETING_INSTANCE_PATH" not in os.environ:
        folder = tempfile.mkdtemp(prefix="bench-instance-")
        os.environ["TICKETING_INSTANCE_PATH"] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)


_own_instance_folder()

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
#: the comment a benchmark puts on the database it creates: only such a database is ever dropped
MARK = "scratch database of a ticketing benchmark (bench/common.py); safe to drop"


# --- the scratch database ---------------------------------------------------------------------

def add_database_options(parser, name: str) -> None:
    """``--db sqlite|postgresql``, ``--database-url`` and ``--keep`` for a benchmark called ``name``."""
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help=f"PostgreSQL database to create and use (default {PG_SERVER}/ticketing_bench_{name}, "
                             "or BENCH_DATABASE_URL); it must not exist, or be a benchmark's own leftover")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.set_defaults(bench_name=name)


class ScratchDatabase:
    """``with ScratchDatabase(args) as url:`` a database of the benchmark's own, removed afterwards."""

    def __init__(self, args):
        self.kind = "postgresql" if (args.database_url or "").startswith("postgres") else args.db
        self.keep = args.keep
        if self.kind == "postgresql":
            self.url = args.database_url or f"{PG_SERVER}/ticketing_bench_{args.bench_name}"
        else:
            self.folder = tempfile.mkdtemp(prefix=f"bench-{args.bench_name}-")
            self.url = f"sqlite:///{self.folder}/{args.bench_name}.sqlite3"

    def _admin(self):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from ticketing.config import sqlalchemy_url
        url = make_url(sqlalchemy_url(self.url))
        return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT"), url.database

    def __enter__(self) -> str:
        if self.kind != "postgresql":
            return self.url
        from sqlalchemy import text
        engine, name = self._admin()
        with engine.connect() as conn:
            found = conn.execute(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                      "WHERE datname = :n"), {"n": name}).first()
            if found is not None and found[0] != MARK:
                engine.dispose()
                raise SystemExit(f"database {name} exists and was not made by a benchmark: it is left alone. "
                                 "Name a new one with --database-url.")
            if found is not None:  # a previous run's, kept or left behind
                conn.execute(text(f'DROP DATABASE "{name}"'))  # fails (and stops us) while it is in use
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{MARK}'"))
            off = conn.execute(text("SHOW autovacuum")).scalar() == "off"
        engine.dispose()
        self.autoanalyze = AutoAnalyze(self.url) if off else None
        return self.url

    def __exit__(self, *exc):
        if getattr(self, "autoanalyze", None) is not None:
            self.autoanalyze.close()
        if self.keep:
            print(f"kept: {self.url}")
            return
        if self.kind != "postgresql":
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        from sqlalchemy import text
        engine, name = self._admin()
        with engine.connect() as conn:
            mark = conn.execute(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                     "WHERE datname = :n"), {"n": name}).scalar()
            if mark == MARK:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        engine.dispose()


class AutoAnalyze:
    """What autovacuum's analyze does, for a server that runs with autovacuum off (as this machine's
    does): every ``autovacuum_naptime`` (a minute by default), ANALYZE each table of the scratch database
    changed by more than 50 rows + 10 % of its rows since its last analyze (autovacuum's default
    thresholds). Without it the statistics of a long run (20,000 orders) stay those of its start, which a
    production server (autovacuum on) never sees. Its ANALYZE runs count in the database's CPU."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from ticketing.config import sqlalchemy_url
        self.engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with self.engine.connect() as conn:
            self.every = conn.exec_driver_sql("SELECT setting::int FROM pg_settings "
                                              "WHERE name = 'autovacuum_naptime'").scalar()
        self.runs, self.log = 0, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError
        due = text("SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                   "WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)")
        while not self.stopping.wait(self.every):
            try:
                with self.engine.connect() as conn:
                    for name in conn.execute(due).scalars().all():
                        conn.execute(text(f'ANALYZE "{name}"'))
                        self.runs += 1
                        self.log.append((time.monotonic(), name))
            except DBAPIError:
                continue  # the schema is being made, or the database is going away

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.engine.dispose()


def make_app(url: str):
    """The app on ``url``, its schema made by the real migrations."""
    from flask_migrate import upgrade

    from ticketing import create_app
    from ticketing.config import sqlalchemy_url
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    with app.app_context():
        upgrade()
    return app


def analyze(url: str) -> None:
    """Fresh statistics after loading (PostgreSQL here runs with autovacuum off: without this, plans on
    fresh tables can be wrong by a factor of 25). Only tables that hold rows: a table analysed while empty
    (``orders`` before the first sale) gets plans for an empty table, which its foreign-key checks keep
    while it grows, whereas the planner sizes a never-analysed table by its pages, as it is in production
    until autovacuum's first analyze."""
    from sqlalchemy import create_engine, inspect, text

    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            for name in inspect(conn).get_table_names():
                if conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{name}")')).scalar():
                    conn.execute(text(f'ANALYZE "{name}"'))
    engine.dispose()


# --- timing -------------------------------------------------------------------------------------

def timed(fn, repeat: int, *, before=None) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn`` after one call to warm up; ``before()`` runs untimed
    ahead of each call."""
    fn()
    samples = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples, q: float) -> float:
    """The ``q`` quantile (0-1) of ``samples`` by nearest rank; 0 for none."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.5) - 1))]


def median(samples) -> float:
    return statistics.median(samples) if samples else 0.0


# --- servers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn master with its workers serving ``module`` on ``url``'s database."""

    def __init__(self, module: str, url: str, *, workers: int = 2, threads: int = 4, worker_class: str = "gthread",
                 env: dict | None = None, port: int | None = None, log: str | None = None):
        self.port = port or free_port()
        self.module = module
        environment = {"SECRET_KEY": "bench", **os.environ, "DATABASE_URL": url, "PYTHONPATH": ROOT, **(env or {})}
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", worker_class,
                   "-b", f"127.0.0.1:{self.port}", "--backlog", "2048"]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        self.log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(command + [module], cwd=ROOT, env=environment, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.proc.poll() is None:
            # ready once a worker answers (the master listens long before its workers have loaded the app)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz")
                conn.getresponse().read()
                conn.close()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{module} did not start under gunicorn")

    def cpu(self) -> float:
        return server_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def stop_all(servers: list) -> None:
    """Stop several servers at once (each master takes a while to wind down)."""
    for server in servers:
        if server.proc.poll() is None:
            server.proc.terminate()
    for server in servers:
        server.stop()


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by a gunicorn master and its workers (Linux /proc; 0 elsewhere)."""
    try:
        pids = [pid] + [int(c) for task in os.listdir(f"/proc/{pid}/task")
                        for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        ticks = 0
        for p in pids:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return 0.0


def database_cpu() -> float:
    """CPU seconds used so far by every PostgreSQL process on this machine (its backends, WAL writer and
    the rest; Linux /proc; 0 where PostgreSQL runs elsewhere): the database's share of a sale. A backend
    that ended (a pooled connection closed, say) counts in its parent's time of ended children; without
    it, a connection that had worked for minutes and closed during a run took its CPU out of the run's
    figure."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                name, _sep, rest = f.read().partition(") ")
        except OSError:
            continue
        if name.endswith("(postgres"):
            fields = rest.split()
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- closed-loop clients ------------------------------------------------------------------------

class Http:
    """One keep-alive connection (as a counter's browser keeps one), reopened after an error."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict, headers: dict | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request("POST", path, json.dumps(body), {**self.headers, **(headers or {})})
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""


def _client_process(setup, spec, barrier, results, seconds: float, done, limit: int | None) -> None:
    steps = setup(spec)
    records, lock = [], threading.Lock()

    def loop(step):
        mine = []
        while time.monotonic() < deadline and (limit is None or done.value < limit):
            start = time.perf_counter()
            outcome = step()
            if outcome is None:
                break
            result, units = outcome
            end = time.monotonic()
            mine.append((end, (time.perf_counter() - start) * 1000, result, units))
            if result == "ok" and limit is not None:
                with done.get_lock():
                    done.value += 1
        with lock:
            records.extend(mine)

    barrier.wait()
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=loop, args=(step,)) for step in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((records, time.process_time() - cpu))


def run_clients(setup, specs: list, seconds: float, *, limit: int | None = None) -> dict:
    """Closed-loop clients: one process per spec (``setup(spec)``, a module-level function, returns that
    process's clients as step functions, each run in its own thread). A step makes one request and
    returns (result, units), or None when it has nothing left to do. All start together and stop after
    ``seconds``, or once ``limit`` steps answered "ok". Returns the records (monotonic end time,
    milliseconds, result, units), sorted by end time, the elapsed seconds and the clients' CPU seconds."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results, done = ctx.Barrier(len(specs) + 1), ctx.Queue(), ctx.Value("i", 0)
    procs = [ctx.Process(target=_client_process, args=(setup, spec, barrier, results, seconds, done, limit))
             for spec in specs]
    for p in procs:
        p.start()
    barrier.wait()
    began = time.monotonic()
    records, client_cpu = [], 0.0
    for _ in procs:
        mine, cpu = results.get(timeout=seconds + 300)
        records.extend(mine)
        client_cpu += cpu
    for p in procs:
        p.join()
    records.sort()
    ended = records[-1][0] if records else began
    return {"records": records, "began": began, "elapsed": max(ended - began, 1e-9), "client_cpu": client_cpu}


def figures(run: dict) -> dict:
    """ok per second, units (tickets) per second, p50/p99 milliseconds of every answer, and counts."""
    records = run["records"]
    latencies = [r[1] for r in records]
    ok = [r for r in records if r[2] == "ok"]
    return {"rate": len(ok) / run["elapsed"], "units": sum(r[3] for r in ok) / run["elapsed"],
            "p50": median(latencies), "p99": percentile(latencies, 0.99), "ok": len(ok),
            "answers": len(records), "elapsed": run["elapsed"],
            "results": {r: sum(1 for x in records if x[2] == r) for r in {x[2] for x in records}}}


def rate_between(run: dict, first: int, last: int) -> float:
    """ok answers per second from the ``first``-th to the ``last``-th "ok" (counted from 0)."""
    ok = [r[0] for r in run["records"] if r[2] == "ok"]
    if len(ok) <= last:
        return 0.0
    return (last - first) / max(ok[last] - ok[first], 1e-9)
