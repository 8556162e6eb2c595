"""Statements the nine can sign (issue 11, items 1-6 and 13): shares by kind with their rule and rate,
net sales and by-product revenue per organization, the central fund's reconciliation, one
organization's statement on its own, complimentary seats without voided ones, a CSV for people beside
the machine CSV, closed periods linked to their statements, and the rules page's two-decimals message."""
import csv
import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from conftest import login, require_postgres_url
from ticketing import create_app
from ticketing.config import sqlalchemy_url
from test_revenue import CENTRAL, rules_strategy
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.ledger.models import LedgerEntry
from ticketing.ledger.split import SHARE_KINDS, Rule, split_order, split_parts
from ticketing.revenue import services, statements
from ticketing.revenue.exports import statement_pdf
from ticketing.revenue.models import ClosedPeriod
from ticketing.sales.services import PaymentInput, sell, set_quota, void_order
from ticketing.timeutil import BANGKOK, utcnow

ROOT = Path(__file__).resolve().parent.parent


# --- 1. the kinds of a share, pure ---------------------------------------------------------------

def test_an_organization_that_sells_and_operates_gets_two_lines():
    rules = [Rule("commission", None, None, 1000, None), Rule("operator_fee", 3, None, 300, None)]
    parts = split_parts([("vip", 80000)], 3, rules, CENTRAL, 80000)
    assert [(p.organization_id, p.kind, p.basis_points, p.fixed_satang, p.amount_satang) for p in parts] == [
        (CENTRAL, "central_share", None, None, 69600), (3, "seller_commission", 1000, None, 8000),
        (3, "operator_fee", 300, None, 2400)]
    assert split_order([("vip", 80000)], 3, rules, CENTRAL, 80000) == {CENTRAL: 69600, 3: 10400}
    assert "processor_fee" in SHARE_KINDS


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.tuples(st.sampled_from(["front", "vip"]), st.integers(0, 500_000)), min_size=1, max_size=8),
       seller=st.sampled_from([None, 1, 2, 3]), rules=rules_strategy, discount=st.integers(0, 100))
def test_parts_add_up_per_party_and_in_total(lines, seller, rules, discount):
    paid = sum(p for _c, p in lines) * (100 - discount) // 100
    parts = split_parts(lines, seller, rules, CENTRAL, paid)
    assert sum(p.amount_satang for p in parts) == paid and all(p.amount_satang > 0 for p in parts)
    per_party = {}
    for p in parts:
        per_party[p.organization_id] = per_party.get(p.organization_id, 0) + p.amount_satang
    assert per_party == split_order(lines, seller, rules, CENTRAL, paid)
    assert len({(p.organization_id, p.kind, p.basis_points, p.fixed_satang) for p in parts}) == len(parts)


# --- with real sales ------------------------------------------------------------------------------

@pytest.fixture
def nine(make):
    """Commission 10 %; the tourism association operates for 3 % and also sells; the others sell by
    cash (they hold it) or PromptPay to the central fund's account (the central fund owes them)."""
    festival = make.festival(sessions=1)
    tourism = make.org("tourism")
    make.user("treasurer", roles=["treasurer"])
    version = services.save_rules(None, festival, [
        {"kind": "commission", "basis_points": 1000},
        {"kind": "operator_fee", "organization_id": tourism.id, "basis_points": 300}])
    tourism_seller = make.user("tourism1", roles=["seller"], org=tourism)
    cash_seller, transfer_seller = make.user("cash1"), make.user("transfer1")
    seats = inventory.seat_views(festival.sessions[0].id)
    session = festival.sessions[0].id
    orders = [sell(tourism_seller, session, [seats[0].id, seats[1].id], PaymentInput("cash")),
              sell(cash_seller, session, [seats[2].id], PaymentInput("cash")),
              sell(transfer_seller, session, [seats[3].id, seats[4].id], PaymentInput("promptpay"))]
    void_order(cash_seller, sell(cash_seller, session, [seats[5].id], PaymentInput("cash")).id, "ยกเลิก")
    db.session.commit()
    return {"festival": festival, "version": version, "tourism": tourism, "sellers": {
        "tourism": tourism_seller, "cash": cash_seller, "transfer": transfer_seller}, "orders": orders,
        "seats": seats}


def _today_query(festival, **extra):
    today = utcnow().astimezone(BANGKOK).date().isoformat()
    return {"festival": festival.id, "from": today, "to": today, **extra}


def _whole(festival):
    now = utcnow()
    return statements.build(festival.id, now.replace(year=now.year - 1), now.replace(year=now.year + 1))


def test_the_ledger_records_each_kind_with_its_rule_and_rate(nine):
    order = nine["orders"][0]
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                           LedgerEntry.kind == "share")).all()
    got = {(e.organization_id, e.share_kind, e.rule_version, e.basis_points, e.fixed_satang) for e in entries}
    tourism, version = nine["tourism"].id, nine["version"]
    assert (tourism, "seller_commission", version, 1000, None) in got
    assert (tourism, "operator_fee", version, 300, None) in got
    assert {e.share_kind for e in entries} == {"seller_commission", "operator_fee", "central_share"}
    custody = db.session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id,
                                                           LedgerEntry.kind == "custody")).all()
    assert [e.share_kind for e in custody] == [None]
    # a refund reverses each kind with its own rate
    voided = db.session.scalars(select(LedgerEntry).where(LedgerEntry.source == "refund",
                                                          LedgerEntry.kind == "share")).all()
    assert voided and all(e.share_kind in SHARE_KINDS and e.rule_version == version for e in voided)
    with pytest.raises(Exception):  # a share without a kind is refused by the database
        db.session.execute(text("INSERT INTO ledger_entries (at, festival_id, session_id, order_id, source, kind, "
                                "organization_id, amount_satang) SELECT at, festival_id, session_id, order_id, "
                                "source, 'share', organization_id, 0 FROM ledger_entries LIMIT 1"))
        db.session.flush()
    db.session.rollback()


def test_statement_separates_commission_and_operator_fee_and_reconciles(nine):
    s = _whole(nine["festival"])
    by_code = {o.code: o for o in s.organizations}
    tourism = by_code["tourism"]
    price = nine["orders"][0].total_satang // 2
    all_sold = sum(o.total_satang for o in nine["orders"])
    assert tourism.commission_satang == nine["orders"][0].total_satang // 10
    assert tourism.operator_fee_satang == all_sold * 3 // 100  # 3 % of every member's sales, voids reversed
    assert tourism.commission_satang + tourism.operator_fee_satang == tourism.share_satang
    assert {(line.kind, line.basis_points) for line in tourism.shares} == {("seller_commission", 1000),
                                                                          ("operator_fee", 300)}
    assert all(line.rule_version == nine["version"] for line in tourism.shares)
    for org in s.organizations:
        assert org.net_sales_satang == org.gross_satang - org.refunds_satang
        assert org.commission_satang + org.operator_fee_satang == org.share_satang
        assert sum(line.amount_satang for line in org.shares) == org.share_satang
    cash = next(o for o in s.organizations if o.organization_id == nine["sellers"]["cash"].organization_id)
    assert cash.refunds_satang == price and cash.net_sales_satang == price
    c = s.central
    assert c.receivable_satang == sum(o.net_to_central_satang for o in s.organizations if o.net_to_central_satang > 0)
    assert c.payable_satang > 0  # the PromptPay seller's money went to the central fund's account
    assert c.custody_satang + c.receivable_satang - c.payable_satang == c.central_share_satang == c.reconciled_satang
    assert sum(line.amount_satang for line in c.shares) == c.central_share_satang
    assert c.net_sales_satang == c.gross_satang - c.refunds_satang == all_sold


def test_every_format_shows_each_kind_with_rule_and_rate(client, nine, tmp_path):
    festival = nine["festival"]
    login(client, "treasurer")
    query = _today_query(festival)
    page = client.get("/revenue/", query_string=query).get_data(as_text=True)
    shares = page.split('id="share-lines"')[1].split("</section>")[0]
    assert "ค่านายหน้าในฐานะผู้ขาย" in shares and "ค่าดำเนินการ" in shares and "กฎฉบับที่ 1, 10.00 %" in shares
    assert 'id="central-reconciliation"' in page
    body = client.get("/api/v1/revenue/statement", query_string={
        "festival": festival.id, "from": "2000-01-01T00:00:00+07:00", "to": "2100-01-01T00:00:00+07:00"}).json
    tourism = next(o for o in body["organizations"] if o["code"] == "tourism")
    assert {(s["kind"], s["basis_points"], s["rule_version"]) for s in tourism["shares"]} == {
        ("seller_commission", 1000, 1), ("operator_fee", 300, 1)}
    assert tourism["commission_satang"] + tourism["operator_fee_satang"] == tourism["share_satang"]
    c = body["central"]
    assert c["custody_satang"] + c["receivable_satang"] - c["payable_satang"] == c["central_share_satang"]
    machine = list(csv.DictReader(io.StringIO(client.get("/revenue/statement.csv", query_string={
        **query, "format": "machine"}).get_data(as_text=True))))
    kinds = {(r["organization_code"], r["share_kind"], r["basis_points"]) for r in machine if r["record_type"] == "share"}
    assert ("tourism", "operator_fee", "300") in kinds and ("tourism", "seller_commission", "1000") in kinds
    central = next(r for r in machine if r["record_type"] == "central")
    assert int(central["reconciled_satang"]) == int(central["central_share_satang"])
    book = openpyxl.load_workbook(io.BytesIO(client.get("/revenue/statement.xlsx", query_string=query).data))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Operator fee" in cells and "ค่าดำเนินการ" in cells and "v1, 3.00 %" in cells
    assert "Held + receivable - owed" in cells
    (tmp_path / "s.pdf").write_bytes(client.get("/revenue/statement.pdf", query_string=query).data)
    pdf = subprocess.run(["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True).stdout
    assert "ค่าดำเนินการ" in pdf and "Operator fee" in pdf and "3.00 %" in pdf
    assert "Held + receivable - owed" in pdf
    ledger = list(csv.DictReader(io.StringIO(client.get("/revenue/ledger.csv", query_string=query).get_data(
        as_text=True))))
    assert {(r["share_kind"], r["basis_points"]) for r in ledger if r["kind"] == "share"} == {
        ("seller_commission", "1000"), ("operator_fee", "300"), ("central_share", "")}
    assert {r["share_kind"] for r in ledger if r["kind"] == "custody"} == {""}


# --- 3. one organization's statement, chosen by the treasurer -------------------------------------

def test_the_treasurer_picks_one_organization(client, nine, tmp_path):
    festival, tourism = nine["festival"], nine["tourism"]
    login(client, "treasurer")
    query = _today_query(festival, organization=tourism.id)
    page = client.get("/revenue/", query_string=query).get_data(as_text=True)
    table = page.split('id="statement-table"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 1 and tourism.name_th in table
    assert f'<option value="{tourism.id}" selected' in page and 'id="central-summary"' not in page
    assert f"organization={tourism.id}" in page  # the export links keep the choice
    body = client.get("/revenue/statement.json", query_string=query).json
    assert [o["code"] for o in body["organizations"]] == ["tourism"] and body["central"] is None
    people = client.get("/revenue/statement.csv", query_string=query).get_data(as_text=True)
    assert tourism.name_th in people and "องค์กร org" not in people
    book = openpyxl.load_workbook(io.BytesIO(client.get("/revenue/statement.xlsx", query_string=query).data))
    assert len(book.sheetnames) == 2
    resp = client.get("/revenue/statement.pdf", query_string=query)
    assert "tourism" in resp.headers["Content-Disposition"]
    (tmp_path / "one.pdf").write_bytes(resp.data)
    pdf = subprocess.run(["pdftotext", str(tmp_path / "one.pdf"), "-"], capture_output=True, text=True).stdout
    assert tourism.name_th in pdf and "องค์กร org" not in pdf
    api = client.get("/api/v1/revenue/statement", query_string={
        "festival": festival.id, "organization": tourism.id, "from": "2000-01-01T00:00:00+07:00",
        "to": "2100-01-01T00:00:00+07:00"}).json
    assert [o["code"] for o in api["organizations"]] == ["tourism"] and "central" not in api
    # a seller cannot pick another organization: it always gets its own
    login(client, "cash1")
    body = client.get("/revenue/statement.json", query_string=query).json
    assert [o["organization_id"] for o in body["organizations"]] == [nine["sellers"]["cash"].organization_id]


# --- 4. complimentary seats -------------------------------------------------------------------------

def test_complimentary_seats_are_counted_without_voided_ones(make, nine):
    festival, seller = nine["festival"], nine["sellers"]["cash"]
    set_quota(None, festival, seller.organization_id, 5)
    db.session.commit()
    seats = nine["seats"]
    given = sell(seller, festival.sessions[0].id, [seats[10].id, seats[11].id, seats[12].id],
                 PaymentInput("complimentary", reason="VIP"))
    kept = sell(seller, festival.sessions[0].id, [seats[13].id], PaymentInput("complimentary", reason="VIP"))
    db.session.commit()
    before_void = utcnow()
    void_order(seller, given.id, "ยกเลิก")
    db.session.commit()
    line = next(o for o in _whole(festival).organizations if o.organization_id == seller.organization_id)
    assert line.complimentary_tickets == 1 and kept.status == "paid"
    # a period that ended before the void keeps its figure (a closed period never changes)
    earlier = statements.build(festival.id, before_void.replace(year=before_void.year - 1), before_void)
    line = next(o for o in earlier.organizations if o.organization_id == seller.organization_id)
    assert line.complimentary_tickets == 4


def test_one_thai_word_for_complimentary_seats():
    with open(ROOT / "translations/th/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    about = [m for m in catalog if m.id and "omplimentary" in (m.id if isinstance(m.id, str) else m.id[0])
             and not m.fuzzy]
    assert about
    for message in about:
        thai = message.string if isinstance(message.string, str) else " ".join(message.string)
        assert "บัตรเชิญ" not in thai, message.id
        if "seat" in str(message.id) or "ticket" in str(message.id):
            assert "ที่นั่งรับรอง" in thai, message.id


# --- 5. CSV for people and for machines --------------------------------------------------------------

def test_csv_for_people_is_baht_with_thai_headings_and_a_bom(client, nine):
    festival = nine["festival"]
    login(client, "treasurer")
    resp = client.get("/revenue/statement.csv", query_string=_today_query(festival))
    raw = resp.data
    assert raw.startswith("\ufeff".encode("utf-8")) and "charset=utf-8" in resp.headers["Content-Type"]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "รหัส")
    assert "ยอดขาย (บาท)" in header and "ค่านายหน้าในฐานะผู้ขาย (บาท)" in header and "ค่าดำเนินการ (บาท)" in header
    tourism = next(r for r in rows if r and r[0] == "tourism")
    sales = tourism[header.index("ยอดขาย (บาท)")]
    assert re.fullmatch(r"-?[\d,]+\.\d\d", sales)
    assert int(sales.replace(",", "").replace(".", "")) == nine["orders"][0].total_satang
    assert any("ถือ + ค้างรับ - ค้างจ่าย" in " ".join(r) for r in rows)
    client.get("/lang/en")
    english = client.get("/revenue/statement.csv", query_string=_today_query(festival)).data.decode("utf-8-sig")
    machine = client.get("/revenue/statement.csv", query_string=_today_query(festival, format="machine"))
    assert not machine.data.startswith(b"\xef\xbb\xbf")
    first = machine.data.decode("utf-8").splitlines()[0]
    assert first.startswith("record_type,organization_code") and "gross_satang" in first
    assert "Sales (baht)" in english and "ยอดขาย (บาท)" not in english and english.startswith("\ufeff") is False


# --- 6. closed periods link to their statements --------------------------------------------------------

def test_closed_periods_link_to_their_frozen_statement(client, nine, monkeypatch):
    festival = nine["festival"]
    login(client, "treasurer")
    today = utcnow().astimezone(BANGKOK).date()
    start, end = statements.day_bounds(today)
    monkeypatch.setattr(services, "utcnow", lambda: end + services.CLOSE_GRACE * 2)
    services.close_period(None, festival, start, end)
    db.session.commit()
    period = db.session.scalar(select(ClosedPeriod))
    page = client.get("/revenue/close", query_string={"festival": festival.id}).get_data(as_text=True)
    listing = page.split('id="closed-periods"')[1].split("</tbody>")[0]
    link = re.search(r'class="statement-link" href="([^"]+)"', listing).group(1).replace("&amp;", "&")
    assert f"from={today.isoformat()}" in link and f"to={today.isoformat()}" in link
    statement_page = client.get(link).get_data(as_text=True)
    assert 'id="statement-table"' in statement_page
    frozen = client.get(f"/revenue/closed/{period.id}.json").json
    assert frozen["statement"]["organizations"] == period.snapshot["organizations"]
    assert f"/revenue/closed/{period.id}.json" in listing


# --- 13. the rules page says why 12.345 % is refused ----------------------------------------------------

def test_rules_page_says_at_most_two_decimals(client, nine):
    login(client, "treasurer")
    page = client.post(f"/revenue/rules?festival={nine['festival'].id}", data={
        "kind-0": "commission", "org-0": "", "category-0": "", "percent-0": "12.345", "fixed-0": ""},
        follow_redirects=True).get_data(as_text=True)
    assert "ทศนิยมได้ไม่เกินสองตำแหน่ง" in page
    client.get("/lang/en")
    page = client.post(f"/revenue/rules?festival={nine['festival'].id}", data={
        "kind-0": "commission", "org-0": "", "category-0": "", "percent-0": "12.345", "fixed-0": ""},
        follow_redirects=True).get_data(as_text=True)
    assert "at most two decimals" in page


# --- the migration's backfill -------------------------------------------------------------------------

def _scratch_postgres() -> str:
    """A database of its own beside the test database (dropped and made again)."""
    url = make_url(sqlalchemy_url(require_postgres_url()))
    name = f"{url.database}_backfill"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_backfills_the_kind_of_old_entries(tmp_path, dialect):
    """Entries written before 0005 get a kind: central share, the seller's commission, an operator fee;
    the ledger stays append-only afterwards."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}" if dialect == "sqlite" else _scratch_postgres()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0004")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organizations (id, code, kind, name_th, name_en, position, is_example, "
                              "active) VALUES (1, 'central', 'central', 'ก', 'C', 0, FALSE, TRUE), "
                              "(2, 'seller', 'member', 'ข', 'S', 1, FALSE, TRUE), "
                              "(3, 'operator', 'member', 'ค', 'O', 2, FALSE, TRUE)"))
            conn.execute(text("INSERT INTO festivals (id, name_th, name_en, year, venue_th, venue_en) VALUES "
                              "(1, 'ก', 'F', 2027, '', '')"))
            conn.execute(text("INSERT INTO festival_sessions (id, festival_id, name_th, name_en, starts_at) VALUES "
                              "(1, 1, 'ก', 'S', '2027-07-19 00:00:00')"))
            conn.execute(text("INSERT INTO orders (id, session_id, channel, organization_id, payment_method, "
                              "total_satang, status, created_at, access_token, buyer_name, buyer_phone, "
                              "buyer_email) VALUES ('o1', 1, 'counter', 2, 'cash', 10000, 'paid', "
                              "'2027-07-19 00:00:00', 'tok', '', '', '')"))
            for org, kind, amount in ((1, "share", 8700), (2, "share", 1000), (3, "share", 300),
                                      (2, "custody", 10000)):
                conn.execute(text("INSERT INTO ledger_entries (at, festival_id, session_id, order_id, source, kind, "
                                  "organization_id, amount_satang, rule_version) VALUES ('2027-07-19 00:00:00', 1, "
                                  f"1, 'o1', 'sale', '{kind}', {org}, {amount}, 1)"))
        engine.dispose()
        upgrade(revision="0005")
        engine = create_engine(url)
        with engine.begin() as conn:
            kinds = dict(conn.execute(text("SELECT organization_id, share_kind FROM ledger_entries WHERE kind = 'share'")).all())
            assert kinds == {1: "central_share", 2: "seller_commission", 3: "operator_fee"}
            assert conn.execute(text("SELECT share_kind FROM ledger_entries WHERE kind = 'custody'")).scalar() is None
        with pytest.raises(DBAPIError), engine.begin() as conn:  # still append-only
            conn.execute(text("UPDATE ledger_entries SET amount_satang = 0"))
        engine.dispose()
        db.engine.dispose()
