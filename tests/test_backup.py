"""Backups taken while counters sell (a real writer in another process), restored into an empty database,
pass `audit verify` and `revenue check`; a wrong file is refused and changes nothing. SQLite and PostgreSQL."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from conftest import ROOT, drop_database
from test_audit_chain import _own_postgres_database, app_on, build_world
from ticketing import create_app
from ticketing.config import sqlalchemy_url
from ticketing.extensions import db
from ticketing.sales.models import Order
from waiting import wait_until

#: sells one seat at a time and voids every third order, committing each, until the stop file appears
WRITER = r"""
import random, sys
from pathlib import Path
from sqlalchemy import select
from ticketing import create_app
from ticketing.accounts.models import User
from ticketing.extensions import db
from ticketing.inventory.services import seat_views
from ticketing.sales.models import Order
from ticketing.sales.services import PaymentInput, SeatsTaken, sell, void_order

stop, session_id = Path(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    seller = db.session.scalar(select(User).where(User.username == "seller-a"))
    rnd, sold = random.Random(7), []
    while not stop.exists():
        free = [s.id for s in seat_views(session_id) if s.state == "available"]
        try:
            sold.append(sell(seller, session_id, [rnd.choice(free)], PaymentInput("cash")).id)
            db.session.commit()
        except SeatsTaken:
            db.session.rollback()
        if len(sold) % 3 == 0 and sold:
            void_order(seller, sold.pop(0), "returned", method="cash")
            db.session.commit()
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backup_app(request):
    app, drop = app_on(request.param, request, "backup")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def empty_target(backup_app, tmp_path):
    """An app on a new, empty database of the same kind, to restore into."""
    url = backup_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        target = sqlalchemy_url(_own_postgres_database(url.replace("+psycopg", ""), "restored"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": target, "TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()
    if target.startswith("postgresql"):
        drop_database(target)


def _orders() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Order))


def test_backup_while_selling_then_restore(backup_app, empty_target, tmp_path):
    world = build_world()
    stop = tmp_path / "stop"
    env = {**os.environ, "DATABASE_URL": backup_app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "backup-test",
           "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop), str(world["session"].id)], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE)
    try:
        wait_until(lambda: _orders() >= 10 or writer.poll() is not None, "the writer's first sales")
        assert writer.poll() is None, writer.stderr.read().decode()[-3000:]
        before = _orders()
        out = tmp_path / "festival.backup"
        result = backup_app.test_cli_runner().invoke(args=["backup", str(out)])
        assert result.exit_code == 0, result.output
        after = _orders()
        wait_until(lambda: _orders() >= after + 10 or writer.poll() is not None, "sales after the backup")
        assert writer.poll() is None, writer.stderr.read().decode()[-3000:]  # it sold throughout
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0, writer.stderr.read().decode()[-3000:]

    runner = empty_target.test_cli_runner()
    with empty_target.app_context():
        result = runner.invoke(args=["restore", str(out), "--yes"])
        assert result.exit_code == 0, result.output
        restored = db.session.scalar(select(func.count()).select_from(Order))
        assert before <= restored <= after  # the database as it was at one instant during the backup
        result = runner.invoke(args=["audit", "verify", "--lang", "en"])
        assert result.exit_code == 0 and result.output.startswith("ok:"), result.output
        result = runner.invoke(args=["revenue", "check", "--lang", "en"])
        assert result.exit_code == 0 and result.output.startswith("ok:"), result.output
        db.session.remove()
    # the live database went on and checks too
    result = backup_app.test_cli_runner().invoke(args=["audit", "verify", "--lang", "en"])
    assert result.exit_code == 0, result.output


def test_restore_refuses_a_file_that_is_no_backup(backup_app, tmp_path):
    build_world()
    entries = db.session.scalar(text("SELECT count(*) FROM audit_entries"))
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    db.session.remove()
    result = backup_app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "neither an SQLite database nor a pg_dump archive" in result.output
    assert db.session.scalar(text("SELECT count(*) FROM audit_entries")) == entries


def test_backup_to_an_unwritable_place_says_why(backup_app, tmp_path):
    result = backup_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "missing-dir" / "x.backup")])
    assert result.exit_code == 1 and "no such folder" in result.output, result.output
