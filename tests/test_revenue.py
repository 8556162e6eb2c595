"""Revenue: exact splits, the ledger beside every sale and refund, statements, closing, check."""
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ticketing.accounts.services import issue_token
from ticketing.errors import Conflict, Invalid
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.revenue import check, services, statements
from ticketing.ledger.models import LedgerEntry
from ticketing.ledger.split import Rule, split_order, ticket_shares
from ticketing.sales.services import PaymentInput, sell, void_order
from ticketing.timeutil import utcnow

CENTRAL = 0


# --- the split, pure --------------------------------------------------------------------------

def test_commission_and_operator_fee():
    rules = [Rule("commission", None, None, 1000, None), Rule("operator_fee", 7, None, None, 5000)]
    assert split_order([("vip", 80000)], 3, rules, CENTRAL, 80000) == {3: 8000, 7: 5000, CENTRAL: 67000}


def test_most_specific_rule_wins():
    rules = [Rule("commission", None, None, 1000, None), Rule("commission", None, "front", 500, None),
             Rule("commission", 3, None, 2000, None), Rule("commission", 3, "front", 0, None)]
    assert ticket_shares(10000, "front", 3, rules) == {3: 0}
    assert ticket_shares(10000, "vip", 3, rules) == {3: 2000}
    assert ticket_shares(10000, "front", 4, rules) == {4: 500}
    assert ticket_shares(10000, "vip", 4, rules) == {4: 1000}


def test_online_sale_and_no_rules_go_to_the_central_fund():
    rules = [Rule("commission", None, None, 1000, None)]
    assert split_order([("vip", 80000)], None, rules, CENTRAL, 80000) == {CENTRAL: 80000}
    assert split_order([("vip", 80000)], 3, [], CENTRAL, 80000) == {CENTRAL: 80000}


def test_zero_price_sale_splits_to_nothing():
    assert split_order([("vip", 0)], 3, [Rule("commission", None, None, 1000, None)], CENTRAL, 0) == {}


def test_one_satang_remainder_nine_ways():
    """Nine operators at 11.11% each: the satang left after the whole parts goes to the largest
    remainder, ties to the lowest organization id; nothing is lost or made up."""
    rules = [Rule("operator_fee", org, None, 1111, None) for org in range(1, 10)]
    assert split_order([("vip", 1)], None, rules, CENTRAL, 1) == {1: 1}
    result = split_order([("vip", 100)], None, rules, CENTRAL, 100)  # 11.11 each, 0.01 central
    assert result == {1: 12, **{o: 11 for o in range(2, 10)}}


def test_shares_over_the_price_are_scaled_down():
    rules = [Rule("commission", None, None, 8000, None), Rule("operator_fee", 9, None, None, 5000)]
    result = split_order([("vip", 10000)], 3, rules, CENTRAL, 10000)
    assert sum(result.values()) == 10000 and result.get(CENTRAL, 0) == 0


rules_strategy = st.lists(st.builds(
    Rule, st.sampled_from(["commission", "operator_fee"]), st.sampled_from([None, 1, 2, 3]),
    st.sampled_from([None, "front", "vip"]), st.one_of(st.none(), st.integers(0, 10_000)),
    st.none()), max_size=6).map(lambda rs: [r if r.basis_points is not None else
                                            Rule(r.kind, r.organization_id or (1 if r.kind == "operator_fee" else None),
                                                 r.category_code, None, 3333) for r in rs
                                            if r.kind == "commission" or r.organization_id is not None])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.tuples(st.sampled_from(["front", "vip"]), st.integers(0, 500_000)), min_size=1, max_size=8),
       seller=st.sampled_from([None, 1, 2, 3]), rules=rules_strategy)
def test_split_is_exact_and_never_negative(lines, seller, rules):
    paid = sum(p for _c, p in lines)
    result = split_order(lines, seller, rules, CENTRAL, paid)
    assert sum(result.values()) == paid
    assert all(v > 0 for v in result.values())
    exact = {CENTRAL: Fraction(0)}
    for category, price in lines:
        shares = ticket_shares(price, category, seller, rules)
        for k, v in shares.items():
            exact[k] = exact.get(k, 0) + v
        exact[CENTRAL] += price - sum(shares.values())
    for party, value in exact.items():  # largest remainder: never more than one satang from the exact share
        assert abs(result.get(party, 0) - value) < 1


# --- the ledger with real sales -----------------------------------------------------------------

@pytest.fixture
def festival_with_rules(make):
    festival = make.festival(sessions=2)
    tourism = make.org("tourism")
    version = services.save_rules(None, festival, [
        {"kind": "commission", "basis_points": 1000},
        {"kind": "operator_fee", "organization_id": tourism.id, "fixed_satang": 2000}])
    db.session.commit()
    return festival, tourism, version


def _ledger(order_id, kind="share"):
    return dict(db.session.execute(select(LedgerEntry.organization_id, func.sum(LedgerEntry.amount_satang))
                                   .where(LedgerEntry.order_id == order_id, LedgerEntry.kind == kind)
                                   .group_by(LedgerEntry.organization_id)).all())


def test_sale_and_void_write_and_reverse_the_ledger(make, festival_with_rules):
    festival, tourism, version = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    central = make.central()
    seats = inventory.seat_views(festival.sessions[0].id)
    order = sell(seller, festival.sessions[0].id, [seats[0].id, seats[11].id], PaymentInput("cash"))
    db.session.commit()
    # 1,500 + 800 baht; commission 10% = 230 baht; operator 20 baht per ticket = 40 baht.
    assert _ledger(order.id) == {seller.organization_id: 23000, tourism.id: 4000, central.id: 230000 - 27000}
    assert _ledger(order.id, "custody") == {seller.organization_id: 230000}
    assert {e.rule_version for e in db.session.scalars(select(LedgerEntry))} == {version, None}
    assert check.problems() == []
    void_order(seller, order.id, "ลูกค้ายกเลิก")
    db.session.commit()
    assert set(_ledger(order.id).values()) == {0} and set(_ledger(order.id, "custody").values()) == {0}
    assert check.problems() == []


def test_rule_change_applies_to_later_sales_only(make, festival_with_rules):
    festival, tourism, version = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(festival.sessions[0].id)
    first = sell(seller, festival.sessions[0].id, [seats[11].id], PaymentInput("cash"))
    services.save_rules(None, festival, [{"kind": "commission", "basis_points": 500}])
    second = sell(seller, festival.sessions[0].id, [seats[12].id], PaymentInput("cash"))
    db.session.commit()
    assert _ledger(first.id)[seller.organization_id] == 8000
    assert _ledger(second.id)[seller.organization_id] == 4000
    assert db.session.scalar(select(LedgerEntry.rule_version).where(
        LedgerEntry.order_id == second.id, LedgerEntry.kind == "share").limit(1)) == version + 1


@pytest.mark.parametrize("rule", [
    {"kind": "gift"}, {"kind": "commission"}, {"kind": "commission", "basis_points": 10001},
    {"kind": "commission", "basis_points": 5, "fixed_satang": 5}, {"kind": "operator_fee", "basis_points": 5},
    {"kind": "commission", "basis_points": 5, "category_code": "nope"},
    {"kind": "commission", "basis_points": 5, "organization_id": 999}, {"kind": "commission", "fixed_satang": -1},
    {"kind": "commission", "basis_points": 12.5}])
def test_bad_rules_change_nothing(make, rule):
    festival = make.festival()
    with pytest.raises(Invalid):
        services.save_rules(None, festival, [rule])
    db.session.rollback()
    assert services.rules_of(festival.id) == []


def test_ledger_is_append_only_in_the_database(make, festival_with_rules):
    festival, _t, _v = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    sell(seller, festival.sessions[0].id, [inventory.seat_views(festival.sessions[0].id)[0].id], PaymentInput("cash"))
    db.session.commit()
    with pytest.raises((DBAPIError, IntegrityError)):
        db.session.execute(text("UPDATE ledger_entries SET amount_satang = amount_satang + 1"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(RuntimeError):
        entry = db.session.scalar(select(LedgerEntry).limit(1))
        entry.amount_satang = 1
        db.session.flush()
    db.session.rollback()


# --- statements, closing, expenses, check ----------------------------------------------------------

def _day():
    return statements.day_bounds(utcnow().astimezone(statements.BANGKOK).date())


def test_statement_adds_up_and_explains_who_owes_whom(make, festival_with_rules):
    festival, tourism, _v = festival_with_rules
    cash_seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(festival.sessions[0].id)
    sell(cash_seller, festival.sessions[0].id, [seats[0].id], PaymentInput("cash"))  # 1,500 held at its counter
    transfer = sell(cash_seller, festival.sessions[0].id, [seats[11].id], PaymentInput("transfer", reference="KBANK-1"))
    services.add_expense(None, festival, spent_on=utcnow().astimezone(statements.BANGKOK).date(), category="promotion",
                         amount_satang=1_500_000, payee="อัพอุบล", note="VTR 8-10 นาที")
    db.session.commit()
    statement = statements.build(festival.id, *_day())
    line = next(o for o in statement.organizations if o.organization_id == cash_seller.organization_id)
    assert (line.tickets_sold, line.gross_satang, line.share_satang, line.custody_satang) == (2, 230000, 23000, 150000)
    assert line.net_to_central_satang == 127000
    assert [(c.code, c.tickets, c.gross_satang) for c in line.categories] == [("front", 1, 150000), ("vip", 1, 80000)]
    c = statement.central
    assert c.gross_satang == 230000 and c.custody_satang == 80000 and c.expenses_satang == 1_500_000
    assert c.shares_to_organizations_satang + c.central_share_satang == 230000
    assert c.net_satang == c.central_share_satang - 1_500_000
    assert check.statement_problems(statement) == []
    void_order(cash_seller, transfer.id, "โอนผิด")
    db.session.commit()
    assert check.problems() == []


def test_a_period_closes_only_after_a_grace_time(make, festival_with_rules):
    """A sale takes its ledger time when it starts: a period that ended a minute ago may still get one."""
    festival, _t, _v = festival_with_rules
    with pytest.raises(Conflict) as refused:
        services.close_period(None, festival, utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=1))
    assert refused.value.code == "period_not_over"
    services.close_period(None, festival, utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=11))


def test_closed_period_and_a_refund_after_it(make, festival_with_rules, monkeypatch):
    monkeypatch.setattr(services, "CLOSE_GRACE", timedelta(0))  # close the period the sale is in, now
    festival, _t, _v = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(festival.sessions[0].id)
    order = sell(seller, festival.sessions[0].id, [seats[0].id], PaymentInput("cash"))
    db.session.commit()
    start = utcnow() - timedelta(hours=1)
    sold_at = db.session.scalar(select(func.max(LedgerEntry.at)).where(LedgerEntry.order_id == order.id))
    end = sold_at + timedelta(microseconds=1)  # the period ends right after the sale: it is over already
    with pytest.raises(Conflict):
        services.close_period(None, festival, start, utcnow() + timedelta(hours=1))  # not over yet
    period = services.close_period(None, festival, start, end)
    db.session.commit()
    with pytest.raises(Conflict):
        services.close_period(None, festival, start, end)
    db.session.rollback()
    void_order(seller, order.id, "refund after closing")
    db.session.commit()
    closed = statements.build(festival.id, start, end)
    assert closed.closed and closed.central.gross_satang == 150000 and closed.central.refunds_satang == 0
    later = statements.build(festival.id, end, utcnow() + timedelta(seconds=1))
    assert later.central.refunds_satang == 150000 and not later.closed
    assert check.problems() == []
    assert period.snapshot["central"]["gross_satang"] == 150000


def test_check_command_names_a_mismatch(runner, make, festival_with_rules):
    festival, _t, _v = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    order = sell(seller, festival.sessions[0].id, [inventory.seat_views(festival.sessions[0].id)[0].id],
                 PaymentInput("cash"))
    db.session.commit()
    result = runner.invoke(args=["revenue", "check"])
    assert result.exit_code == 0 and result.output.startswith("ok")
    db.session.execute(text("UPDATE payments SET amount_satang = amount_satang + 1 WHERE order_id = :o"), {"o": order.id})
    db.session.commit()
    result = runner.invoke(args=["revenue", "check"])
    assert result.exit_code == 1 and f"order {order.id}" in result.output


def test_expense_validation(make, app, tmp_path):
    festival = make.festival()
    app.config["INSTANCE_PATH"] = str(tmp_path)
    bad = [dict(spent_on="2027-07-01"), dict(amount_satang=0), dict(amount_satang=1.5), dict(payee=" "),
           dict(receipt_name="r.exe", receipt_bytes=b"MZ"), dict(receipt_name="r.pdf", receipt_bytes=b"")]
    for override in bad:
        fields = dict(spent_on=date(2027, 7, 1), category="video", amount_satang=1_500_000, payee="อัพอุบล", **{})
        fields.update(override)
        with pytest.raises(Invalid):
            services.add_expense(None, festival, **fields)
    expense = services.add_expense(None, festival, spent_on=date(2027, 7, 1), category="video",
                                   amount_satang=1_500_000, payee="อัพอุบล", receipt_name="ใบเสร็จ.pdf",
                                   receipt_bytes=b"%PDF-1.4 test")
    assert (tmp_path / "receipts").exists() and expense.receipt_path.endswith(".pdf")


def test_an_expense_cannot_land_in_a_closed_period(make, app, tmp_path):
    festival = make.festival()
    app.config["INSTANCE_PATH"] = str(tmp_path)
    day = date(2026, 7, 20)
    services.close_period(None, festival, statements.day_bounds(day)[0], statements.day_bounds(day)[1])
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        services.add_expense(None, festival, spent_on=day, category="video", amount_satang=100, payee="x",
                             receipt_name="r.pdf", receipt_bytes=b"%PDF-1.4")
    assert refused.value.code == "period_closed" and not (tmp_path / "receipts").exists()
    services.add_expense(None, festival, spent_on=day + timedelta(days=1), category="video", amount_satang=100,
                         payee="x")


def test_statement_api_permissions(client, make, festival_with_rules):
    festival, _t, _v = festival_with_rules
    seller = make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    treasurer = make.user("treasurer", roles=["treasurer"])
    gate = make.user("gate1", roles=["gate"])
    sell(seller, festival.sessions[0].id, [inventory.seat_views(festival.sessions[0].id)[0].id], PaymentInput("cash"))
    db.session.commit()
    start, end = _day()
    query = {"festival": festival.id, "from": start.isoformat(), "to": end.isoformat()}

    def get(user, **override):
        token = issue_token(None, user)
        db.session.commit()
        return client.get("/api/v1/revenue/statement", query_string={**query, **override},
                          headers={"Authorization": f"Bearer {token}"})
    full = get(treasurer).json
    assert len(full["organizations"]) >= 3 and full["central"]["gross_satang"] == 150000
    own = get(seller).json
    assert [o["organization_id"] for o in own["organizations"]] == [seller.organization_id] and "central" not in own
    assert get(other).json["organizations"][0]["gross_satang"] == 0
    assert get(gate).status_code == 403
    assert get(treasurer, to=start.isoformat()).status_code == 422
    assert get(treasurer, festival="999").status_code == 404
    assert get(treasurer, **{"from": "yesterday"}).status_code == 422


# --- property: random days keep every invariant --------------------------------------------------

sale_op = st.tuples(st.just("sell"), st.integers(0, 2), st.integers(1, 4),
                    st.sampled_from(["cash", "transfer", "promptpay", "complimentary"]), st.integers(0, 1))
void_op = st.tuples(st.just("void"), st.integers(0, 30))
rules_op = st.tuples(st.just("rules"), st.integers(0, 10_000), st.integers(0, 90_000), st.sampled_from([None, "vip"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(sale_op, sale_op, void_op, rules_op), min_size=1, max_size=14))
def test_random_sales_voids_and_rule_changes_keep_every_invariant(make, ops):
    """Whatever mix of sales (every method), voids and rule changes happens, the ledger equals payments
    minus refunds, each statement adds up, and shares + central = gross - refunds, to the satang."""
    from ticketing.sales.services import set_quota

    festival = make.festival(sessions=2)
    sellers = [make.user(roles=["seller"]) for _ in range(3)]
    for seller in sellers:
        set_quota(None, festival, seller.organization_id, 4)
    free = {s.id: [v.id for v in inventory.seat_views(s.id)] for s in festival.sessions}
    orders = []
    for op in ops:
        if op[0] == "sell":
            _kind, who, count, method, session_no = op
            session = festival.sessions[session_no]
            seats = free[session.id][:count]
            if not seats:
                continue
            payment = PaymentInput(method, reference="REF-1" if method == "transfer" else "",
                                   reason="แขก" if method == "complimentary" else "")
            try:
                orders.append((sellers[who], sell(sellers[who], session.id, seats, payment)))
            except Invalid:  # complimentary quota used up: nothing written
                db.session.rollback()
                continue
            del free[session.id][:count]
        elif op[0] == "void" and orders:
            seller, order = orders[op[1] % len(orders)]
            if order.status != "void":
                void_order(seller, order.id, "ยกเลิก")
                free[order.session_id].extend(t.seat_id for t in order.tickets)
        elif op[0] == "rules":
            _kind, bps, fixed, category = op
            services.save_rules(None, festival, [
                {"kind": "commission", "basis_points": bps},
                {"kind": "operator_fee", "organization_id": sellers[2].organization_id, "category_code": category,
                 "fixed_satang": fixed}])
        db.session.commit()
    assert check.problems() == []
    statement = statements.build(festival.id, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    assert check.statement_problems(statement) == []
    c = statement.central
    assert c.shares_to_organizations_satang + c.central_share_satang == c.gross_satang - c.refunds_satang
    paid = sum(o.total_satang for _s, o in orders)
    refunded = sum(o.total_satang for _s, o in orders if o.status == "void")
    assert (c.gross_satang, c.refunds_satang) == (paid, refunded)


def test_a_period_is_said_as_people_say_it():
    from datetime import datetime, timezone

    from ticketing.timeutil import period_bounds_text
    start, end = statements.day_bounds(date(2027, 7, 19))[0], statements.day_bounds(date(2027, 7, 21))[0]
    assert period_bounds_text(start, end, "th") == ("19 กรกฎาคม 2570", "20 กรกฎาคม 2570")
    assert period_bounds_text(start, start + timedelta(days=1), "en") == ("19 July 2027", "19 July 2027")
    noon = datetime(2027, 7, 19, 5, 0, tzinfo=timezone.utc)  # 12:00 in Ubon
    assert period_bounds_text(start, noon, "th")[1] == "19 กรกฎาคม 2570 เวลา 12:00 น."


def test_renaming_or_adding_an_organization_does_not_change_a_closed_period(make, festival_with_rules):
    from ticketing.accounts.services import save_organization

    festival, tourism, _v = festival_with_rules
    day = date(2026, 7, 20)
    services.close_period(None, festival, *statements.day_bounds(day))
    db.session.commit()
    save_organization(None, tourism, code=tourism.code, kind="member", name_th="สมาคมใหม่", name_en="Renamed")
    make.org("newcomer")
    db.session.commit()
    assert check.problems() == []
