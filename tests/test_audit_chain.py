"""The audit log is a hash chain (``ticketing/audit/chain.py``): every kind of change writes an entry, the
database chains it at commit in commit order, and ``flask audit verify`` names the first entry that was
edited, deleted or slipped in by someone working on the database directly; an export kept by an
organization catches even a chain rewritten consistently. On SQLite and on PostgreSQL."""
import json
import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import g
from flask_babel import force_locale, refresh
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from conftest import SMALL_MAP, drop_database, empty_tables, fresh_database, login, require_postgres_url
from ticketing import create_app
from ticketing.audit import record
from ticketing.audit.chain import GENESIS, compare, export_lines, link_hash, verify
from ticketing.audit.models import AuditEntry, AuditLink
from ticketing.config import sqlalchemy_url
from ticketing.extensions import db


def _own_postgres_database(url: str, what: str) -> str:
    """A new, empty database beside ``url``'s (which may be the shared one others use)."""
    from sqlalchemy.engine import make_url
    server = make_url(sqlalchemy_url(url))
    name = f"{server.database}_{what}_{os.getpid()}"
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def app_on(kind: str, request, what: str):
    """An app on a database of ``kind`` (a copy of the suite's template when the suite runs on that kind,
    else a database of its own, migrated here), and a function that drops it afterwards."""
    database_url = request.getfixturevalue("database_url")
    if kind == "postgresql":
        url = require_postgres_url()
    else:
        url = database_url if database_url.startswith("sqlite") else \
            f"sqlite:///{request.getfixturevalue('tmp_path_factory').mktemp(what) / f'{what}.sqlite3'}"
    copied = url == database_url
    if copied:
        url = fresh_database(request.getfixturevalue("_migrated"))
    elif kind == "postgresql":
        url = _own_postgres_database(url, what)
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "TESTING": True, "WTF_CSRF_ENABLED": False})

    @app.before_request
    def _fresh_request_state():  # the test holds one app context open: start each request afresh (conftest.app)
        g.pop("_login_user", None)
        db.session.expire_all()
        refresh()

    if not copied:
        with app.app_context():
            upgrade()
            db.engine.dispose()

    def drop():
        if copied or kind == "postgresql":
            drop_database(url)
    return app, drop


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def chain_app(request):
    app, drop = app_on(request.param, request, "audit")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def world(chain_app):
    return build_world()


def build_world() -> dict:
    """Organizations, users of every role, a festival with a session whose gates are open, an entrance."""
    from ticketing.accounts.services import save_organization, save_user
    from ticketing.festivals.services import save_festival
    from ticketing.gate.services import save_entrance
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.seating.mapfile import parse_map
    from ticketing.timeutil import utcnow

    db.session.remove()  # nothing of the previous test's rows in the identity map
    empty_tables()
    save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
    org_a = save_organization(None, None, code="wat-a", kind="member", name_th="วัด ก", name_en="Temple A")
    org_b = save_organization(None, None, code="wat-b", kind="member", name_th="วัด ข", name_en="Temple B")
    admin = save_user(None, None, username="admin", roles=["admin"], organization_id=None, password="secret-pass")
    treasurer = save_user(None, None, username="treasurer", roles=["treasurer"], organization_id=None,
                          password="secret-pass")
    seller_a = save_user(admin, None, username="seller-a", roles=["seller"], organization_id=org_a.id,
                         password="secret-pass")
    seller_b = save_user(admin, None, username="seller-b", roles=["seller"], organization_id=org_b.id,
                         password="secret-pass")
    guard = save_user(admin, None, username="gate", roles=["gate"], organization_id=None, password="secret-pass")
    festival = save_festival(admin, None, name_th="งานแห่เทียน", name_en="Candle Festival", year=2027)
    import_map(admin, festival, parse_map(json.dumps(SMALL_MAP)))
    session = save_session(admin, festival, None, name_th="รอบ 1", name_en="Session 1",
                           starts_at=datetime(2027, 7, 19, tzinfo=timezone.utc))
    session.gate_opens_at = utcnow() - timedelta(hours=1)
    entrance = save_entrance(admin, festival.id, None, code="N", name_th="ประตูเหนือ", name_en="North", stands=["A"])
    db.session.commit()
    return {"org_a": org_a, "org_b": org_b, "admin": admin, "treasurer": treasurer, "seller_a": seller_a,
            "seller_b": seller_b, "gate": guard, "festival": festival, "session": session, "entrance": entrance}


def _seats(session_id, n, skip=0):
    from ticketing.inventory.services import seat_views
    return [s.id for s in seat_views(session_id)][skip:skip + n]


def _sell(seller, session, seats):
    from ticketing.sales.services import PaymentInput, sell
    order = sell(seller, session.id, seats, PaymentInput("cash"))
    db.session.commit()
    return order


def _scan(world, ticket, mode="entry"):
    from ticketing.gate.checkin import Scan, check_in
    from ticketing.tickets.services import code_for
    answer = check_in(world["gate"], Scan(world["session"].id, world["entrance"].id, "gate-1",
                                          os.urandom(8).hex(), code=code_for(ticket), mode=mode))
    db.session.commit()
    return answer


def _verify_cli(app) -> tuple[int, str]:
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--lang", "en"])
    return result.exit_code, result.output


def _actions() -> set[str]:
    return set(db.session.scalars(select(AuditEntry.action)))


def test_every_kind_of_change_is_chained(chain_app, world):
    """Sales, voids, refunds, allocations, rule and price changes, users, roles, tokens, check-ins and
    closed periods all write entries, and the chain over them verifies."""
    from ticketing.accounts.services import issue_token, revoke_token, save_user
    from ticketing.accounts.models import ApiToken
    from ticketing.inventory.services import allocate_seats
    from ticketing.revenue.services import close_period, save_rules
    from ticketing.sales.services import void_order
    from ticketing.seating.models import PriceCategory
    from ticketing.seating.services import set_category_price

    admin, session = world["admin"], world["session"]
    allocate_seats(admin, session, _seats(session.id, 10), world["org_a"].id)
    save_rules(admin, world["festival"], [{"kind": "commission", "organization_id": None, "basis_points": 1000}])
    category = db.session.scalars(select(PriceCategory)).first()
    set_category_price(admin, category, 160000)
    save_user(admin, world["seller_b"], username="seller-b", roles=["seller", "gate"],
              organization_id=world["org_b"].id)
    issue_token(admin, world["gate"])
    revoke_token(admin, db.session.scalars(select(ApiToken)).first().id)
    db.session.commit()
    order = _sell(world["seller_a"], session, _seats(session.id, 3))
    void_order(world["seller_a"], order.id, "wrong seat", [order.tickets[0].id], method="cash")
    db.session.commit()
    assert _scan(world, order.tickets[1]).result == "ok"
    assert _scan(world, order.tickets[1]).result == "already_used"  # refused: recorded, no entry
    other = _sell(world["seller_b"], session, _seats(session.id, 2, skip=20))
    void_order(world["seller_b"], other.id, "changed mind", method="cash")
    close_period(admin, world["festival"], datetime(2026, 1, 1, tzinfo=timezone.utc),
                 datetime(2026, 1, 2, tzinfo=timezone.utc))
    db.session.commit()

    assert {"inventory.allocate", "revenue.rules", "seating.price", "user.create", "user.update", "token.issue",
            "token.revoke", "order.sell", "order.void_tickets", "order.void", "checkin.entry",
            "revenue.close"} <= _actions()
    admitted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "checkin.entry")).all()
    assert [(e.object_id, e.organization_id, e.user_id) for e in admitted] == \
        [(order.tickets[1].id, world["org_a"].id, world["gate"].id)]
    assert db.session.scalar(select(AuditEntry.organization_id).where(AuditEntry.object_id == other.id,
                                                                      AuditEntry.action == "order.void")) \
        == world["org_b"].id
    # who may act in an organization's name is filed under that organization, whoever made the change
    assert db.session.scalar(select(AuditEntry.organization_id).where(
        AuditEntry.object_id == str(world["seller_a"].id), AuditEntry.action == "user.create")) == world["org_a"].id
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    links = db.session.execute(select(AuditLink.seq, AuditLink.prev_hash, AuditLink.hash).order_by(AuditLink.seq)).all()
    assert [seq for seq, _p, _h in links] == list(range(1, entries + 1))
    assert links[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(links, links[1:]))
    code, output = _verify_cli(chain_app)
    assert code == 0 and output.startswith(f"ok: {entries} entries chained; head {entries} {links[-1].hash}"), output


def test_entries_are_append_only(chain_app, world):
    entry_id = db.session.scalar(select(func.max(AuditEntry.id)))
    for statement in (f"UPDATE audit_entries SET action = 'x' WHERE id = {entry_id}",
                      f"DELETE FROM audit_entries WHERE id = {entry_id}",
                      "UPDATE audit_chain SET hash = 'x' WHERE seq = 1", "DELETE FROM audit_chain WHERE seq = 1"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def tamper(app, *statements: str) -> None:
    """Change the database directly, as its owner could: the append-only and chain triggers lifted."""
    db.session.remove()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND tbl_name IN ('audit_entries', 'audit_chain')").fetchall()
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        for _name, sql in triggers:
            conn.execute(sql)
        conn.commit()
        conn.close()
    else:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no triggers, no foreign keys
            for statement in statements:
                conn.execute(text(statement))
        engine.dispose()


def _some_history(world, sales=4):
    for i in range(sales):
        order = _sell(world["seller_a"], world["session"], _seats(world["session"].id, 1, skip=i))
        _scan(world, order.tickets[0])
    return db.session.execute(select(AuditLink.seq, AuditLink.entry_id).order_by(AuditLink.seq)).all()


#: (the change, made directly in the database, and how ``audit verify`` names it); a pair: PostgreSQL's and
#: SQLite's spelling
TAMPERING = [
    ("UPDATE audit_entries SET after = '{\"seats\": [1], \"total_satang\": 1, \"method\": \"cash\"}' "
     "WHERE id = %(entry)s", "Entry %(entry)s (link %(seq)s) does not match its hash"),
    ("UPDATE audit_entries SET user_id = NULL WHERE id = %(entry)s", "Entry %(entry)s (link %(seq)s) does not match its hash"),
    (("UPDATE audit_entries SET at = at + interval '1 second' WHERE id = %(entry)s",
      "UPDATE audit_entries SET at = datetime(at, '+1 second') || '.000000' WHERE id = %(entry)s"),
     "Entry %(entry)s (link %(seq)s) does not match its hash"),
    ("UPDATE audit_chain SET hash = '%(zeros)s' WHERE seq = %(seq)s", "Entry %(entry)s (link %(seq)s) does not match"),
    ("UPDATE audit_chain SET prev_hash = '%(zeros)s' WHERE seq = %(seq)s",
     "Link %(seq)s does not follow link %(before)s"),
    ("DELETE FROM audit_entries WHERE id = %(entry)s", "Entry %(entry)s (link %(seq)s) was deleted"),
    ("DELETE FROM audit_chain WHERE seq = %(seq)s;DELETE FROM audit_entries WHERE id = %(entry)s",
     "Links %(seq)s to %(seq)s are missing"),
    ("INSERT INTO audit_entries (id, at, action, object_type, object_id) "
     "VALUES (100000, '2027-01-01 00:00:00.000000', 'order.sell', 'order', 'x')",
     "Entry 100000 is not in the chain"),
]


@pytest.mark.parametrize("change, expected", TAMPERING,
                         ids=["edit-after", "edit-user", "edit-time", "edit-hash", "edit-prev-hash", "delete-entry",
                              "delete-entry-and-link", "insert-entry"])
def test_tampering_is_found_at_its_place(chain_app, world, change, expected):
    links = _some_history(world)
    seq, entry = links[len(links) // 2]
    assert _verify_cli(chain_app)[0] == 0
    pg = chain_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if isinstance(change, tuple):
        change = change[0 if pg else 1]
    values = {"entry": entry, "seq": seq, "before": seq - 1, "zeros": "0" * 64}
    tamper(chain_app, *(statement % values for statement in change.split(";")))
    code, output = _verify_cli(chain_app)
    assert code == 1 and output.startswith(expected % values), output


def test_commit_order_not_id_order(chain_app, world):
    """PostgreSQL: two transactions insert entries and the later id commits first; each link follows the
    entry that became visible before it, so the chain verifies. SQLite: the premise of its simpler trigger,
    that a second transaction cannot write at all before the first one commits."""
    db.session.remove()
    engine = create_engine(chain_app.config["SQLALCHEMY_DATABASE_URI"], connect_args=(
        {} if engine_is_pg(chain_app) else {"timeout": 0}))
    insert = text("INSERT INTO audit_entries (at, action, object_type, object_id) "
                  "VALUES (:at, :action, 'test', '1') RETURNING id")
    at = "2027-01-01 00:00:00.000000"
    first, second = engine.connect(), engine.connect()
    early = first.execute(insert, {"action": "test.first", "at": at}).scalar_one()
    if not engine_is_pg(chain_app):
        with pytest.raises(Exception, match="database is locked"):
            second.execute(insert, {"action": "test.second", "at": at})
        second.rollback()
        first.commit()
        late = second.execute(insert, {"action": "test.second", "at": at}).scalar_one()
        second.commit()
        expected = [late, early]
    else:
        late = second.execute(insert, {"action": "test.second", "at": at}).scalar_one()
        assert late > early
        second.commit()
        first.commit()
        expected = [early, late]  # newest link first: the early id committed last
    first.close(), second.close()
    engine.dispose()
    assert db.session.scalars(select(AuditLink.entry_id).order_by(AuditLink.seq.desc()).limit(2)).all() == expected
    assert _verify_cli(chain_app)[0] == 0


def engine_is_pg(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_a_rolled_back_entry_leaves_no_link(chain_app, world):
    before = db.session.scalar(select(func.count()).select_from(AuditLink))
    record(None, "test.rolled_back", "test", 1)
    db.session.flush()
    db.session.rollback()
    record(None, "test.kept", "test", 2)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditLink)) == before + 1
    assert _verify_cli(chain_app)[0] == 0


def test_concurrent_writers_make_one_chain(chain_app, world):
    """Eight threads, each with its own connection, commit 25 entries each at the same time."""
    start = threading.Barrier(8)
    errors = []

    def writer(n):
        try:
            with chain_app.app_context():
                start.wait()
                for i in range(25):
                    record(None, "test.concurrent", "writer", f"{n}-{i}", None, {"n": n, "i": i})
                    db.session.commit()
                db.session.remove()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "test.concurrent")) == 200
    verdict = verify()
    assert verdict.ok and verdict.entries == db.session.scalar(select(func.count()).select_from(AuditEntry))


def _rewrite_from(app, seq: int, new_after: str) -> None:
    """What the database's owner could do: change an entry and recompute every link from it on."""
    rows = db.session.execute(text(
        "SELECT l.seq, l.prev_hash, e.id, " +
        ("to_char(e.at, 'YYYY-MM-DD HH24:MI:SS.US')" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres")
         else "CAST(e.at AS TEXT)") +
        ", e.user_id, e.organization_id, e.action, e.object_type, e.object_id, CAST(e.before AS TEXT), "
        "CAST(e.after AS TEXT) FROM audit_chain l JOIN audit_entries e ON e.id = l.entry_id "
        "WHERE l.seq >= :seq ORDER BY l.seq"), {"seq": seq}).all()
    statements, prev = [], rows[0][1]
    for i, row in enumerate(rows):
        fields = list(row[2:])
        if i == 0:
            fields[-1] = new_after
            statements.append(f"UPDATE audit_entries SET after = '{new_after}' WHERE id = {row[2]}")
        digest = link_hash(row[0], prev, *fields)
        statements.append(f"UPDATE audit_chain SET prev_hash = '{prev}', hash = '{digest}' WHERE seq = {row[0]}")
        prev = digest
    tamper(app, *statements)


def test_export_and_compare(chain_app, world, tmp_path):
    links = _some_history(world)
    full = list(export_lines())
    assert json.loads(full[-1]) == {"head": {"seq": links[-1].seq, "hash": db.session.scalar(
        select(AuditLink.hash).where(AuditLink.seq == links[-1].seq))}}
    assert compare(full) == []
    mine = list(export_lines(world["org_b"]))  # org B sold nothing: org A's sales are hashes only
    sells = [json.loads(line) for line in mine[1:-1]]
    sale_lines = [s for s in sells if s.get("entry", {}).get("action") == "order.sell"]
    assert sale_lines == [] and len(sells) == len(links) and all("hash" in s for s in sells)
    assert compare(mine) == []

    seq = links[len(links) // 2].seq
    _rewrite_from(chain_app, seq, '{"forged": true}')
    assert verify().ok  # consistent again: only an export kept elsewhere shows it
    with force_locale("en"):
        problems, mine_problems = compare(full), compare(mine)
    assert len(problems) == 1 and problems[0].startswith(f"Link {seq} differs from the export"), problems
    assert mine_problems[0].startswith(f"Link {seq} differs from the export")
    path = tmp_path / "kept.jsonl"
    path.write_text("".join(full), encoding="utf-8")
    result = chain_app.test_cli_runner().invoke(args=["audit", "compare", str(path), "--lang", "en"])
    assert result.exit_code == 1 and f"Link {seq} differs" in result.output


def test_a_damaged_export_says_so(chain_app, world):
    _some_history(world, sales=2)
    lines = list(export_lines())
    edited = json.loads(lines[2])
    edited["entry"]["action"] = "x"
    with force_locale("en"):
        damaged, short, nonsense = (compare(lines[:2] + [json.dumps(edited) + "\n"] + lines[3:]), compare(lines[:-1]),
                                    compare(["nonsense\n"]))
    assert damaged == ["The export itself is broken at link 2."]
    assert short == ["The export is cut short: it has no head line."]
    assert nonsense == ["This is not an audit export (no header line)."]
    with force_locale("th"):  # Thai first
        assert compare(["nonsense\n"]) == ["ไฟล์นี้ไม่ใช่ไฟล์ส่งออกบันทึกตรวจสอบ (ไม่มีบรรทัดหัวไฟล์)"]


def test_audit_page_filters_and_export(chain_app, world):
    from conftest import login
    links = _some_history(world, sales=3)
    _sell(world["seller_b"], world["session"], _seats(world["session"].id, 1, skip=30))
    client = chain_app.test_client()
    client.set_cookie("lang", "en")
    login(client, "seller-a")
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.jsonl").status_code == 403
    login(client, "treasurer")
    page = client.get("/audit/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "checkin.entry" in html and "order.sell" in html
    seq, digest = db.session.execute(select(AuditLink.seq, AuditLink.hash).order_by(AuditLink.seq.desc())).first()
    assert digest in html and f"entry {seq}, hash" in html

    def actions(**args):
        body = client.get("/audit/", query_string=args).get_data(as_text=True)
        return [part.split('"')[0] for part in body.split('data-action="')[1:]]
    # newest first; org B's own creation and its seller's account are filed under it too
    assert actions(organization=world["org_b"].id) == ["order.sell", "shift.open", "user.create", "organization.create"]
    assert set(actions(user=world["gate"].id)) == {"checkin.entry"} and len(actions(user=world["gate"].id)) == 3
    assert set(actions(kind="order.sell")) == {"order.sell"} and len(actions(kind="order.sell")) == 4
    assert len(actions(kind="checkin.")) == 3
    assert actions(**{"from": "2026-01-01", "to": "2026-01-02"}) == []
    today = datetime.now(timezone(timedelta(hours=7))).date().isoformat()
    assert len(actions(**{"from": today, "to": today})) == db.session.scalar(select(func.count()).select_from(AuditEntry))
    bad = client.get("/audit/", query_string={"from": "soon"})
    assert bad.status_code == 200 and "Give a date such as 2027-07-19." in bad.get_data(as_text=True)

    export = client.get("/audit/export.jsonl", query_string={"organization": world["org_b"].id})
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    lines = export.get_data(as_text=True).splitlines(keepends=True)
    assert compare(lines) == [] and json.loads(lines[-1])["head"]["seq"] == seq
    full = [json.loads(line) for line in lines[1:-1]]
    assert {e["entry"]["organization_id"] for e in full if "entry" in e} <= {None, world["org_b"].id}
    assert len(full) == seq and len(links) < seq


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_chains_the_entries_written_before_it(kind, request, tmp_path):
    """An install upgraded from before the chain: its entries are chained in id order, then new ones follow."""
    from flask_migrate import downgrade
    if kind == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'old.sqlite3'}", None
    else:
        url = _own_postgres_database(require_postgres_url(), "audit_migration")
        drop = url
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "TESTING": True})
    try:
        with app.app_context():
            upgrade(revision="0009")
            for n in range(5):
                db.session.execute(text(
                    "INSERT INTO audit_entries (at, action, object_type, object_id, after) "
                    "VALUES (:at, 'order.sell', 'order', :oid, :after)"),
                    {"at": f"2026-11-0{n + 1} 10:00:00.123456", "oid": f"old-{n}", "after": '{"seats": [1]}'})
            db.session.commit()
            db.session.remove()
            upgrade()
            record(None, "test.after_upgrade", "test", 1)
            db.session.commit()
            verdict = verify()
            assert verdict.ok and verdict.entries == 6
            assert db.session.scalars(select(AuditLink.entry_id).order_by(AuditLink.seq)).all() == [1, 2, 3, 4, 5, 6]
            db.session.remove()  # nothing of ours may hold a table the downgrade drops
            downgrade(revision="0009")  # and back: the chain's table and triggers go, the entries stay
            assert db.session.execute(text("SELECT count(*) FROM audit_entries")).scalar() == 6
            db.session.remove()
            db.engine.dispose()
    finally:
        if drop:
            drop_database(drop)


def test_the_database_field_function_agrees_with_python(request):
    """PostgreSQL's ``audit_field`` (the chain's link is hashed in the database) gives the text that
    ``chain._field`` gives, NULL, Thai and JSON included; it is PL/pgSQL since 0014 (an SQL function was
    planned again at each of its ten calls per audited commit)."""
    from ticketing.audit.chain import _field
    app, drop = app_on("postgresql", request, "audit_field")
    values = [None, "", "order.sell", "ผู้ขาย ก", '{"seats": [1, 2], "name": "สมชาย"}', "12"]
    try:
        with app.app_context():
            language = db.session.execute(text(
                "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                "WHERE p.proname = 'audit_field'")).scalar_one()
            got = [db.session.execute(text("SELECT audit_field(:v)"), {"v": v}).scalar_one() for v in values]
            db.session.rollback()
            db.engine.dispose()
    finally:
        drop()
    assert language == "plpgsql"
    assert got == [_field(v) for v in values]
