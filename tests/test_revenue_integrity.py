"""Issue 11, items 7-12: what `revenue check` and the database must catch, on the suite's database
(SQLite, and PostgreSQL with TEST_DATABASE_URL).

Tampering is done the way someone with the tables' owner rights would: with raw SQL, lifting the
append-only triggers for the one transaction that edits (``triggers_lifted``). On PostgreSQL that is
``ALTER TABLE ... DISABLE TRIGGER USER``, which the owner of a table may run without being superuser
(``SET session_replication_role = replica`` would need superuser, which the application's role should
never be); on SQLite, which has no such switch, the triggers are dropped and made again from their own
SQL. Either way the triggers are back when the edit commits, and the check must still name it.
"""
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ticketing.accounts.services import issue_token
from ticketing.errors import Conflict
from ticketing.extensions import db
from ticketing.gate.models import CheckIn
from ticketing.inventory import services as inventory
from ticketing.ledger.models import LedgerEntry, SplitRuleSet
from ticketing.revenue import check, services, statements
from ticketing.revenue.models import ClosedPeriod
from ticketing.sales.services import PaymentInput, sell, void_order
from ticketing.timeutil import utcnow
from waiting import wait_until


@contextmanager
def triggers_lifted(*tables):
    """Lift every trigger of ``tables`` for one transaction, as the tables' owner could; commit."""
    if db.engine.dialect.name == "postgresql":
        for table in tables:
            db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield
        for table in tables:
            db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    else:
        names = ", ".join(f"'{t}'" for t in tables)
        saved = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                        f"AND tbl_name IN ({names})")).all()
        for name, _sql in saved:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        yield
        for _name, sql in saved:
            db.session.execute(text(sql))
    db.session.commit()


@pytest.fixture
def sold(make):
    """Two orders of the same seller, cash (1,500 + 800 baht) and transfer (800 baht), with a 10 %
    commission and a 20-baht operator fee per ticket for the Tourism Association."""
    festival = make.festival(sessions=2)
    tourism = make.org("tourism")
    version = services.save_rules(None, festival, [
        {"kind": "commission", "basis_points": 1000},
        {"kind": "operator_fee", "organization_id": tourism.id, "fixed_satang": 2000}])
    db.session.commit()
    seller = make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    seats = inventory.seat_views(festival.sessions[0].id)
    cash = sell(seller, festival.sessions[0].id, [seats[0].id, seats[11].id], PaymentInput("cash"))
    transfer = sell(seller, festival.sessions[0].id, [seats[12].id], PaymentInput("transfer", reference="KBANK-1"))
    db.session.commit()
    assert check.problems() == []
    return dict(festival=festival, tourism=tourism, version=version, seller=seller, other=other, cash=cash,
                transfer=transfer, central=make.central())


def _check(runner) -> list[str]:
    result = runner.invoke(args=["revenue", "check", "--lang", "en"])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


def _named(lines, order_id, *words) -> list[str]:
    return [line for line in lines if line.startswith(f"order {order_id}:") and all(w in line for w in words)]


# --- item 7: the five edits, each named by `revenue check` ------------------------------------------

def test_moving_50_baht_from_the_central_fund_to_the_seller_is_named(runner, sold):
    order, org = sold["cash"], sold["seller"].organization
    rows = [dict(r) for r in db.session.execute(text(
        "SELECT * FROM ledger_entries WHERE order_id = :o AND kind = 'share' AND source = 'sale' ORDER BY id"),
        {"o": order.id}).mappings()]
    next(r for r in rows if r["organization_id"] == sold["central"].id)["amount_satang"] -= 5000
    next(r for r in rows if r["organization_id"] == org.id)["amount_satang"] += 5000
    with triggers_lifted("ledger_entries"):
        db.session.execute(text("DELETE FROM ledger_entries WHERE order_id = :o AND kind = 'share' "
                                "AND source = 'sale'"), {"o": order.id})
        for row in rows:
            row.pop("id")
            db.session.execute(text(f"INSERT INTO ledger_entries ({', '.join(row)}) "
                                    f"VALUES ({', '.join(':' + k for k in row)})"), row)
    # Totals still add up: only the recomputation from the tickets can see it.
    assert db.session.scalar(select(func.sum(LedgerEntry.amount_satang)).where(
        LedgerEntry.order_id == order.id, LedgerEntry.kind == "share")) == 230000
    lines = _check(runner)
    assert _named(lines, order.id, "shares differ", f"{org.code} 28000 in the ledger, 23000 expected",
                  "central 198000 in the ledger, 203000 expected"), lines
    assert not [line for line in lines if sold["transfer"].id in line]


def test_changing_an_orders_seller_is_named(runner, sold):
    order, seller, other = sold["cash"], sold["seller"].organization, sold["other"].organization
    db.session.execute(text("UPDATE orders SET organization_id = :other WHERE id = :o"),
                       {"other": other.id, "o": order.id})
    db.session.commit()
    lines = _check(runner)
    assert _named(lines, order.id, f"cash held by {seller.code}", f"sold by {other.code}"), lines
    assert _named(lines, order.id, "shares differ", f"{seller.code} 23000 in the ledger, 0 expected",
                  f"{other.code} 0 in the ledger, 23000 expected"), lines


def test_changing_ticket_prices_is_named(runner, sold):
    order = sold["cash"]
    db.session.execute(text("UPDATE tickets SET price_satang = price_satang + 10000 WHERE order_id = :o"),
                       {"o": order.id})
    db.session.commit()
    lines = _check(runner)
    assert _named(lines, order.id, "prices add up to 250000", "total is 230000"), lines


def test_a_used_rule_version_is_frozen_and_editing_it_anyway_is_named(runner, sold):
    festival, version = sold["festival"], sold["version"]
    where = {"f": festival.id, "v": version}
    for statement in ("UPDATE split_rules SET basis_points = 1500 WHERE festival_id = :f AND version = :v "
                      "AND kind = 'commission'",
                      "DELETE FROM split_rules WHERE festival_id = :f AND version = :v",
                      "INSERT INTO split_rules (festival_id, version, kind, basis_points, created_at) "
                      "VALUES (:f, :v, 'commission', 0, '2027-01-01 00:00:00')",
                      "UPDATE split_rule_sets SET version = 99 WHERE festival_id = :f AND version = :v",
                      "DELETE FROM split_rule_sets WHERE festival_id = :f AND version = :v"):
        with pytest.raises(DBAPIError, match="in use"):
            db.session.execute(text(statement), where)
            db.session.flush()
        db.session.rollback()
    # A version no sale used yet may still be corrected (nothing was computed with it).
    unused = services.save_rules(None, festival, [{"kind": "commission", "basis_points": 500}])
    db.session.execute(text("UPDATE split_rules SET basis_points = 600 WHERE festival_id = :f AND version = :v"),
                       {"f": festival.id, "v": unused})
    db.session.commit()
    # Someone who owns the tables lifts the trigger and edits 10 % to 15 %: every order of the version is named.
    with triggers_lifted("split_rules"):
        db.session.execute(text("UPDATE split_rules SET basis_points = 1500 WHERE festival_id = :f AND "
                                "version = :v AND kind = 'commission'"), where)
    lines = _check(runner)
    org = sold["seller"].organization.code
    assert _named(lines, sold["cash"].id, f"rule version {version}", f"{org} 23000 in the ledger, 34500 expected")
    assert _named(lines, sold["transfer"].id, f"rule version {version}", f"{org} 8000 in the ledger, 12000 expected")


def test_deleting_a_payment_with_its_ledger_entries_is_named(runner, sold):
    order = sold["transfer"]
    with triggers_lifted("ledger_entries"):
        db.session.execute(text("DELETE FROM ledger_entries WHERE order_id = :o"), {"o": order.id})
        db.session.execute(text("DELETE FROM payments WHERE order_id = :o"), {"o": order.id})
    assert db.session.scalar(text("SELECT status FROM orders WHERE id = :o"), {"o": order.id}) == "paid"
    lines = _check(runner)
    assert _named(lines, order.id, "no payment", "paid with 1 tickets worth 80000"), lines
    assert _named(lines, order.id, "shares differ", "central 0 in the ledger"), lines


def test_a_void_and_its_reversal_pass_and_a_missing_reversal_is_named(runner, sold):
    void_order(sold["seller"], sold["cash"].id, "ลูกค้ายกเลิก")
    db.session.commit()
    assert check.problems() == []
    with triggers_lifted("ledger_entries"):
        db.session.execute(text("DELETE FROM ledger_entries WHERE order_id = :o AND source = 'refund'"),
                           {"o": sold["cash"].id})
    lines = _check(runner)
    assert _named(lines, sold["cash"].id, "reversed shares differ"), lines
    assert _named(lines, sold["cash"].id, "money given back differs"), lines


# --- item 8: the database refuses DELETE (and TRUNCATE) of what is append-only ------------------------

@pytest.mark.parametrize("table", ["ledger_entries", "audit_entries", "checkins"])
def test_append_only_tables_refuse_delete_and_truncate(sold, table):
    if table == "checkins":  # a scan, so that there is a row to refuse deleting
        db.session.add(CheckIn(session_id=sold["festival"].sessions[0].id, device="gate-1", nonce="n-1",
                               result="invalid", scanned_at=utcnow()))
        db.session.commit()
    rows = db.session.scalar(text(f"SELECT count(*) FROM {table}"))
    assert rows
    statements_ = [f"DELETE FROM {table}", f"UPDATE {table} SET id = id"]
    if db.engine.dialect.name == "postgresql":
        statements_.append(f"TRUNCATE {table} CASCADE")  # CASCADE: past any foreign key, to the trigger
    for statement in statements_:
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) == rows


def test_every_test_starts_from_a_fresh_database(app):
    for table in ("ledger_entries", "audit_entries", "orders", "organizations"):
        assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) == 0


# --- item 9: the closed stamp -------------------------------------------------------------------

def test_a_statement_is_closed_only_when_the_whole_period_is(make):
    festival = make.festival()
    t = datetime(2026, 7, 1, tzinfo=timezone.utc)
    services.close_period(None, festival, t, t + timedelta(hours=6))
    services.close_period(None, festival, t + timedelta(hours=6), t + timedelta(hours=12))
    db.session.commit()
    whole = statements.build(festival.id, t, t + timedelta(hours=12))
    assert whole.closed and whole.open_parts == []
    inside = statements.build(festival.id, t + timedelta(hours=1), t + timedelta(hours=7))
    assert inside.closed
    partly = statements.build(festival.id, t - timedelta(hours=2), t + timedelta(hours=13))
    assert not partly.closed and partly.partly_closed
    assert partly.open_parts == [[(t - timedelta(hours=2)).isoformat(), t.isoformat()],
                                 [(t + timedelta(hours=12)).isoformat(), (t + timedelta(hours=13)).isoformat()]]
    open_ = statements.build(festival.id, t + timedelta(days=1), t + timedelta(days=2))
    assert not open_.closed and not open_.partly_closed


def test_the_revenue_page_says_which_part_may_still_change(client, make):
    from conftest import login
    festival = make.festival()
    make.user("treasurer", roles=["treasurer"])
    day = datetime(2026, 7, 1, tzinfo=timezone.utc)
    start, _end = statements.day_bounds(day.date())
    services.close_period(None, festival, start, start + timedelta(days=1))
    db.session.commit()
    login(client, "treasurer")
    client.set_cookie("lang", "en")
    page = client.get("/revenue/", query_string={"festival": festival.id, "from": "2026-07-01",
                                                 "to": "2026-07-02"}).get_data(as_text=True)
    assert "Only part of this period is closed" in page and "2 July 2026" in page
    page = client.get("/revenue/", query_string={"festival": festival.id, "from": "2026-07-01",
                                                 "to": "2026-07-01"}).get_data(as_text=True)
    assert "This period is closed" in page and "Only part" not in page


# --- item 10: statements over adjacent periods add up ------------------------------------------------

ADDITIVE = ("tickets_sold", "gross_satang", "complimentary_tickets", "tickets_voided", "refunds_satang",
            "share_satang", "custody_satang", "net_to_central_satang")


def _figures(statement) -> dict:
    """Every additive figure of a statement, flat: {(party, figure): amount}, zeros left out."""
    numbers = {("central", k): v for k, v in vars(statement.central).items() if isinstance(v, int)}
    for line in statement.organizations:
        numbers.update({(line.organization_id, k): getattr(line, k) for k in ADDITIVE})
        for c in line.categories:
            numbers[(line.organization_id, c.code, "tickets")] = c.tickets
            numbers[(line.organization_id, c.code, "gross")] = c.gross_satang
    return {k: v for k, v in numbers.items() if v}


def _add(a: dict, b: dict) -> dict:
    total = {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}
    return {k: v for k, v in total.items() if v}


@pytest.fixture
def a_day_of_sales_and_expenses(make, app):
    """Sales, a void and expenses spread over one Ubon day (times stamped as given)."""
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    seats = [s.id for s in inventory.seat_views(festival.sessions[0].id)]
    day = datetime(2027, 7, 10, tzinfo=timezone.utc)
    start, end = statements.day_bounds(day.date())
    for i, hours in enumerate((1, 5, 9, 13, 20)):
        order = sell(seller, festival.sessions[0].id, [seats[i]], PaymentInput("cash"))
        db.session.flush()
        moment = start + timedelta(hours=hours)
        db.session.execute(text("UPDATE orders SET created_at = :t WHERE id = :o"), {"t": moment.replace(tzinfo=None),
                                                                                    "o": order.id})
        with triggers_lifted("ledger_entries"):  # the sale's time, as if it had been made then
            db.session.execute(text("UPDATE ledger_entries SET at = :t WHERE order_id = :o"),
                               {"t": moment.replace(tzinfo=None), "o": order.id})
    for hours, amount in ((0, 100_000), (11, 250_000), (23, 7_000)):
        services.add_expense(None, festival, spent_on=day.date(), spent_time=(start + timedelta(hours=hours))
                             .astimezone(statements.BANGKOK).time(), category="video", amount_satang=amount, payee="x")
    db.session.commit()
    return festival, start, end


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 24 * 60 * 60 * 1_000_000), min_size=1, max_size=3, unique=True))
def test_statements_over_adjacent_periods_add_up_to_their_union(a_day_of_sales_and_expenses, cuts):
    festival, start, end = a_day_of_sales_and_expenses
    points = [start] + [start + timedelta(microseconds=c) for c in sorted(cuts)] + [end]
    parts = [_figures(statements.build(festival.id, a, b)) for a, b in zip(points, points[1:]) if b > a]
    total = parts[0]
    for part in parts[1:]:
        total = _add(total, part)
    union = _figures(statements.build(festival.id, start, end))
    assert union[("central", "expenses_satang")] == 357_000 and union[("central", "gross_satang")] > 0
    assert total == union


def test_an_expense_counts_at_its_moment(make, app):
    festival = make.festival()
    day = datetime(2027, 7, 10).date()
    start, end = statements.day_bounds(day)
    services.add_expense(None, festival, spent_on=day, category="video", amount_satang=100, payee="x")
    from datetime import time
    services.add_expense(None, festival, spent_on=day, spent_time=time(15, 30), category="food",
                         amount_satang=20, payee="y")
    db.session.commit()
    noon = start + timedelta(hours=12)
    assert statements.expenses_total(festival.id, start, noon) == 100
    assert statements.expenses_total(festival.id, noon, end) == 20
    assert statements.expenses_total(festival.id, start, end) == 120


# --- item 11: racing saves and closings ------------------------------------------------------------

def _waits_for_a_lock() -> bool:
    if db.engine.dialect.name != "postgresql":
        return True  # SQLite keeps a waiting writer to itself
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND wait_event_type = 'Lock'")) > 0


def _race(app, work, names=("first", "second")):
    """Run ``work(name)`` in two threads, each with its own app context (its own database connection),
    released together by a barrier; return {name: result or the error raised}."""
    barrier, results = threading.Barrier(len(names)), {}

    def run(name):
        with app.app_context():
            barrier.wait(30)
            try:
                results[name] = work(name)
                db.session.commit()
            except Exception as err:  # noqa: BLE001 - the loser's refusal is the result
                db.session.rollback()
                results[name] = err
    threads = [threading.Thread(target=run, args=(n,), name=n) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_treasurers_saving_rules_at_once_get_two_versions(app, make):
    festival = make.festival()
    services.save_rules(None, festival, [{"kind": "commission", "basis_points": 1000}])
    db.session.commit()
    festival_id = festival.id

    def save(name):
        from ticketing.festivals.models import Festival
        return services.save_rules(None, db.session.get(Festival, festival_id),
                                   [{"kind": "commission", "basis_points": 500 if name == "first" else 700}])
    results = _race(app, save)
    assert sorted(results.values()) == [2, 3], results
    db.session.expire_all()
    assert sorted(db.session.scalars(select(SplitRuleSet.version).where(SplitRuleSet.festival_id == festival_id))) \
        == [1, 2, 3]


def test_the_unique_index_stops_a_second_version_n_without_the_claim(app, make, monkeypatch):
    """The claim taken away, both saves read the same newest version before either writes: the unique
    index lets one make it and refuses the other (a clear Conflict, nothing saved)."""
    festival = make.festival()
    festival_id = festival.id
    monkeypatch.setattr(services, "claim_festival", lambda festival_id: None)
    both_read = threading.Barrier(2)

    def after_read(_conn, _cursor, statement, *_args):
        if "max(split_rule_sets.version)" in statement and threading.current_thread().name in ("first", "second"):
            both_read.wait(30)
    event.listen(db.engine, "after_cursor_execute", after_read)
    try:
        def save(name):
            from ticketing.festivals.models import Festival
            return services.save_rules(None, db.session.get(Festival, festival_id),
                                       [{"kind": "commission", "basis_points": 500}])
        results = _race(app, save)
    finally:
        event.remove(db.engine, "after_cursor_execute", after_read)
    outcomes = sorted(map(repr, results.values()))
    assert 1 in results.values(), results
    refused = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].code == "rules_saved_meanwhile", outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SplitRuleSet)) == 1


def test_two_overlapping_closings_at_once_close_one_period(app, make):
    festival = make.festival()
    festival_id = festival.id
    t = utcnow() - timedelta(days=2)
    periods = {"first": (t, t + timedelta(hours=10)), "second": (t + timedelta(hours=5), t + timedelta(hours=15))}
    claimed = threading.Event()

    def hold_the_claim(_conn, _cursor, statement, *_args):
        # the first closing, having claimed the festival, goes on only once the second waits for it
        if threading.current_thread().name == "first" and statement.lstrip().upper().startswith("UPDATE FESTIVALS"):
            claimed.set()
            wait_until(_waits_for_a_lock, "the second closing to wait for the claim")

    def close(name):
        from ticketing.festivals.models import Festival
        if name == "second":
            assert claimed.wait(30)
        return services.close_period(None, db.session.get(Festival, festival_id), *periods[name]).id
    event.listen(db.engine, "after_cursor_execute", hold_the_claim)
    try:
        results = _race(app, close)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold_the_claim)
    assert isinstance(results["first"], int), results
    assert isinstance(results["second"], Conflict) and results["second"].code == "period_closed", results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ClosedPeriod)) == 1


# --- item 12: the statement API without a period ---------------------------------------------------

def test_statement_api_without_from_and_to_gives_the_whole_festival(client, sold):
    make_token = issue_token(None, sold["seller"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {make_token}"}
    festival = sold["festival"].id
    whole = client.get("/api/v1/revenue/statement", query_string={"festival": festival}, headers=headers)
    assert whole.status_code == 200, whole.json
    line = whole.json["organizations"][0]
    assert line["gross_satang"] == 310000 and line["tickets_sold"] == 3
    first = db.session.scalar(select(func.min(LedgerEntry.at)))
    assert datetime.fromisoformat(whole.json["starts_at"]) == first
    later = first + timedelta(hours=1)
    only_from = client.get("/api/v1/revenue/statement", headers=headers,
                           query_string={"festival": festival, "from": later.isoformat()})
    assert only_from.status_code == 200 and datetime.fromisoformat(only_from.json["starts_at"]) == later
    only_to = client.get("/api/v1/revenue/statement", headers=headers,
                         query_string={"festival": festival, "to": later.isoformat()})
    assert only_to.status_code == 200 and only_to.json["organizations"][0]["gross_satang"] == 310000
    bad = client.get("/api/v1/revenue/statement", headers=headers, query_string={"festival": festival, "from": "x"})
    assert bad.status_code == 422
