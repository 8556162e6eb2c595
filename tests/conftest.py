"""Fixtures: a real database (a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), the
schema built by the real migrations once per run into a template, and a fresh copy of that template
for every test (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL). Tests never
empty tables: the ledger, the audit log and the gate's check-ins refuse DELETE and TRUNCATE."""
import atexit
import itertools
import json
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import g
from flask_babel import refresh
from sqlalchemy import create_engine, text

os.environ.setdefault("TICKETING_INSTANCE_PATH", tempfile.mkdtemp(prefix="ticketing-test-instance-"))

from ticketing import create_app  # noqa: E402
from ticketing.extensions import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
PG_HINT = ("PostgreSQL not reachable; run with TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test "
           "(REQUIRE_POSTGRES=1 turns this skip into a failure)")


def _pg_reachable(url: str) -> bool:
    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()  # a pooled connection left open would keep a template from being copied


def require_postgres_url() -> str:
    """The PostgreSQL URL for tests that must run on PostgreSQL; skip (or fail on CI) without it."""
    url = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)
    if url.startswith("postgres") and _pg_reachable(url):
        return url
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(PG_HINT)
    pytest.skip(PG_HINT)


def reset_database(url: str) -> None:
    """Drop everything, so the migrations start from an empty database."""
    from ticketing.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The template database: migrated once (``_migrated``), then only ever copied, never used by a test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if not _pg_reachable(url):
            pytest.fail(f"TEST_DATABASE_URL={url} is not reachable")
        reset_database(url)
        # The template is a database of its own, so that nothing that connects to TEST_DATABASE_URL itself
        # (the race and migration tests, a reachability probe) can leave rows in it or hold it open.
        from sqlalchemy.engine import make_url
        template = make_url(_sa(url)).database + "_template"
        with _admin(url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{template}"'))
        return url.rsplit("/", 1)[0] + "/" + template
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"


@pytest.fixture(scope="session")
def _migrated(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _sa(database_url), "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()  # SQLite: the last connection folds the WAL into the file; PG: no one left on the template
    direct = os.environ.get("TEST_DATABASE_URL")
    if direct:  # tests that use TEST_DATABASE_URL itself find the same schema there
        app = create_app({"SQLALCHEMY_DATABASE_URI": _sa(direct), "TESTING": True})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            db.engine.dispose()
    return database_url


def _sa(url):
    from ticketing.config import sqlalchemy_url
    return sqlalchemy_url(url)


_copies = itertools.count(1)
_admin_engines = {}


def _admin(url):
    """A connection to PostgreSQL's maintenance database (not the template: a template must be idle to be copied)."""
    from sqlalchemy.engine import make_url
    maintenance = make_url(_sa(url)).set(database="postgres")
    key = str(maintenance)
    if key not in _admin_engines:
        _admin_engines[key] = create_engine(maintenance, isolation_level="AUTOCOMMIT", pool_size=1)
    return _admin_engines[key]


def _copy_pg(template_url: str) -> str:
    from sqlalchemy.engine import make_url
    template = make_url(_sa(template_url)).database
    name = f"{template}__{os.getpid()}_{next(_copies)}"
    with _admin(template_url).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return template_url.rsplit("/", 1)[0] + "/" + name


def _drop_pg(url: str) -> None:
    from sqlalchemy.engine import make_url
    with _admin(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(_sa(url)).database}" WITH (FORCE)'))


#: PostgreSQL copies are made one test ahead (and dropped after) by two background threads: CREATE DATABASE
#: takes about 0.3 s, which then overlaps the previous test instead of adding to it
_pg_worker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-databases")
_pg_ready: dict[str, deque] = {}


def _pg_shutdown():
    for queue in _pg_ready.values():
        while queue:
            try:
                _drop_pg(queue.popleft().result())
            except Exception:
                pass
    _pg_worker.shutdown(wait=True)


atexit.register(_pg_shutdown)


def fresh_database(template_url: str) -> str:
    """A new database with the template's schema (and nothing else); drop it with ``drop_database``."""
    from sqlalchemy.engine import make_url
    if template_url.startswith("sqlite"):
        template = Path(make_url(template_url).database)
        copy = template.with_name(f"t{os.getpid()}_{next(_copies)}.sqlite3")
        shutil.copyfile(template, copy)
        return f"sqlite:///{copy}"
    queue = _pg_ready.setdefault(template_url, deque())
    if not queue:
        queue.append(_pg_worker.submit(_copy_pg, template_url))
    ready = queue.popleft()
    queue.append(_pg_worker.submit(_copy_pg, template_url))  # the next test's, made while this one runs
    return ready.result()


def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url
    if url.startswith("sqlite"):
        path = make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    _pg_worker.submit(_drop_pg, url)


def empty_tables() -> None:
    """For a module that shares one database between its tests (a server started once per module):
    empty every table as only the tables' owner could, lifting the append-only triggers for this
    transaction (SQLite: dropped and made again; PostgreSQL: not fired in ``replica`` mode, superuser only)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                           "AND sql LIKE '%BEFORE DELETE%'")).all()
        for name, _sql in triggers:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
        db.session.execute(text("DELETE FROM sqlite_sequence")) if db.session.execute(
            text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
        for _name, sql in triggers:
            db.session.execute(text(sql))
    db.session.commit()


@pytest.fixture
def fresh_url(_migrated):
    """This test's own database, copied from the migrated template, dropped afterwards."""
    url = fresh_database(_migrated)
    yield url
    drop_database(url)


@pytest.fixture
def app(fresh_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _sa(fresh_url), "TESTING": True, "WTF_CSRF_ENABLED": False})
    @app.before_request
    def _fresh_request_state():
        # The test holds one app context open, so `g` (where Flask-Login caches the user) and the
        # database session would outlive a request; a real server starts every request afresh.
        g.pop("_login_user", None)
        db.session.expire_all()
        refresh()  # Flask-Babel's cached locale

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -----------------------------------------------------------------------------

SMALL_MAP = {
    "format": "ubon-candle-seating/1",
    "name": {"th": "ผังทดสอบ", "en": "Test map"},
    "categories": [
        {"code": "front", "name": {"th": "แถวหน้า", "en": "Front"}, "color": "#c8102e", "price_satang": 150000},
        {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8", "price_satang": 80000},
    ],
    "stands": [{"code": "A", "name": {"th": "อัฒจันทร์ A", "en": "Stand A"}, "sections": [
        {"code": "A1", "name": {"th": "A1", "en": "A1"}, "blocks": [
            {"row_labels": ["1"], "seats_per_row": 10, "origin": {"x": 10, "y": 10}, "seat_pitch": 10,
             "row_pitch": 12, "category": "front"},
            {"row_labels": ["2", "3", "4"], "seats_per_row": 10, "origin": {"x": 10, "y": 22}, "seat_pitch": 10,
             "row_pitch": 12, "category": "vip"}]},
        {"code": "A2", "name": {"th": "A2", "en": "A2"}, "blocks": [
            {"row_labels": ["1", "2"], "seats_per_row": 8, "origin": {"x": 130, "y": 10}, "seat_pitch": 10,
             "row_pitch": 12, "category": "vip"}]}]}],
}


@pytest.fixture
def make(app):
    """Factories: ``make.org()``, ``make.user()``, ``make.festival()`` (with the small map and sessions)."""
    from ticketing.accounts.models import Organization
    from ticketing.accounts.services import save_organization, save_user
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.seating.mapfile import parse_map

    class Make:
        counter = 0

        def org(self, code=None, kind="member"):
            Make.counter += 1
            code = code or f"org{Make.counter}"
            org = save_organization(None, None, code=code, kind=kind, name_th=f"องค์กร {code}", name_en=f"Org {code}")
            db.session.commit()
            return org

        def user(self, username=None, roles=("seller",), org=None, password="secret-pass"):
            Make.counter += 1
            if "seller" in roles and org is None:
                org = self.org()
            user = save_user(None, None, username=username or f"user{Make.counter}", roles=list(roles),
                             organization_id=org.id if org else None, password=password)
            db.session.commit()
            return user

        def central(self):
            """The central fund's account (every sale needs one)."""
            return db.session.scalar(db.select(Organization).where(Organization.kind == "central")) \
                or self.org("central", kind="central")

        def festival(self, plan=None, sessions=1):
            self.central()
            festival = save_festival(None, None, name_th="งานแห่เทียน", name_en="Candle Festival", year=2027)
            import_map(None, festival, parse_map(json.dumps(plan or SMALL_MAP)))
            for i in range(sessions):
                save_session(None, festival, None, name_th=f"รอบ {i + 1}", name_en=f"Session {i + 1}",
                             starts_at=datetime(2027, 7, 19 + i, 0, 0, tzinfo=timezone.utc))
            db.session.commit()
            return festival

    return Make()


def login(client, username, password="secret-pass"):
    return client.post("/login", data={"username": username, "password": password})
