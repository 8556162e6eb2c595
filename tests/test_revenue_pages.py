"""The treasurer's pages: dashboard, exports read back, rules, expenses, closing; who sees what."""
import csv
import io
import subprocess
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from conftest import login
from ticketing.extensions import db
from ticketing.money import format_thb
from ticketing.inventory import services as inventory
from ticketing.revenue import check, services
from ticketing.ledger.models import SplitRule
from ticketing.revenue.models import ClosedPeriod, Expense
from ticketing.sales.services import PaymentInput, sell, void_order
from ticketing.timeutil import BANGKOK, utcnow


@pytest.fixture
def day_of_sales(make):
    """A festival day: three organizations sell, one voids; a commission of 10%."""
    festival = make.festival(sessions=2)
    services.save_rules(None, festival, [{"kind": "commission", "basis_points": 1000}])
    sellers = [make.user(f"seller{i}", roles=["seller"]) for i in range(1, 4)]
    make.user("treasurer", roles=["treasurer"])
    seats = inventory.seat_views(festival.sessions[0].id)
    payments = [PaymentInput("cash"), PaymentInput("transfer", reference="KBANK-77"), PaymentInput("promptpay")]
    orders = [sell(s, festival.sessions[0].id, [seats[i * 3].id, seats[i * 3 + 1].id], payment)
              for i, (s, payment) in enumerate(zip(sellers, payments))]
    void_order(sellers[0], orders[0].id, "ลูกค้ายกเลิก")
    db.session.commit()
    return festival, sellers, orders


def _query(festival):
    today = utcnow().astimezone(BANGKOK).date().isoformat()
    return {"festival": festival.id, "from": today, "to": today}


def test_dashboard_for_the_treasurer(client, day_of_sales):
    festival, _s, _o = day_of_sales
    login(client, "treasurer")
    page = client.get("/revenue/", query_string=_query(festival)).get_data(as_text=True)
    assert page.count('class="chart"') == 4 and 'id="central-summary"' in page and 'id="fairness-table"' in page
    assert check.problems() == []


def test_dashboard_shows_sales_per_day_over_a_longer_period(client, day_of_sales):
    festival, _s, orders = day_of_sales
    login(client, "treasurer")
    today = utcnow().astimezone(BANGKOK).date()
    query = {"festival": festival.id, "from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()}
    page = client.get("/revenue/", query_string=query).get_data(as_text=True)
    assert page.count('class="chart"') == 5
    day_chart = page.split('class="chart"')[1].split("</svg>")[0]
    assert day_chart.count("<rect") == 3  # one bar per day
    net = sum(o.total_satang for o in orders[1:])  # the first order was voided the same day
    assert format_thb(net) in day_chart


def test_a_seller_sees_only_its_own_organization(client, day_of_sales):
    festival, sellers, _o = day_of_sales
    login(client, "seller2")
    page = client.get("/revenue/", query_string=_query(festival)).get_data(as_text=True)
    table = page.split('id="statement-table"')[1].split("</table>")[0]
    assert 'id="central-summary"' not in page and table.count("<tr><td>") == 1
    body = client.get("/revenue/statement.json", query_string=_query(festival)).json
    assert [o["organization_id"] for o in body["organizations"]] == [sellers[1].organization_id]
    assert client.get("/revenue/rules").status_code == 403
    assert client.get("/revenue/ledger.csv").status_code == 403


def test_a_sellers_exports_hold_only_its_own_figures(client, day_of_sales, tmp_path):
    festival, sellers, _o = day_of_sales
    login(client, "seller2")
    query = _query(festival)
    body = client.get("/revenue/statement.json", query_string=query).json
    assert body["central"] is None and len(body["organizations"]) == 1
    rows = list(csv.DictReader(io.StringIO(client.get("/revenue/statement.csv", query_string={
        **query, "format": "machine"}).get_data(as_text=True))))
    assert [r["record_type"] for r in rows] == ["organization", "share"]
    assert rows[1]["share_kind"] == "seller_commission" and rows[1]["basis_points"] == "1000"
    book = openpyxl.load_workbook(io.BytesIO(client.get("/revenue/statement.xlsx", query_string=query).data))
    cells = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value is not None)
    assert "Central fund summary" not in cells and "สรุปกองกลาง" not in cells
    (tmp_path / "mine.pdf").write_bytes(client.get("/revenue/statement.pdf", query_string=query).data)
    text = subprocess.run(["pdftotext", str(tmp_path / "mine.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "สรุปกองกลาง" not in text and body["organizations"][0]["name_th"] in text


@pytest.mark.parametrize("query", [{"from": "9999-12-31"}, {"to": "0001-01-01"}, {"from": "2026-13-01"},
                                   {"festival": "abc"}, {"festival": str(10**23)}])
def test_odd_dates_and_festivals_get_a_message_not_an_error(client, day_of_sales, query):
    login(client, "treasurer")
    for path in ("/revenue/", "/revenue/statement.csv", "/revenue/ledger.csv"):
        assert client.get(path, query_string=query).status_code == 200, path
    page = client.get("/revenue/", query_string=query).get_data(as_text=True)
    if "festival" not in query:  # a wrong date is said; an unknown festival falls back to the first
        assert "2000" in page and 'class="flash error"' in page


def test_exports_match_the_json_statement_to_the_satang(client, day_of_sales):
    festival, _s, _o = day_of_sales
    login(client, "treasurer")
    query = _query(festival)
    statement = client.get("/revenue/statement.json", query_string=query).json
    by_code = {o["code"]: o for o in statement["organizations"]}
    rows = list(csv.DictReader(io.StringIO(client.get("/revenue/statement.csv", query_string={
        **query, "format": "machine"}).get_data(as_text=True))))
    for row in rows:
        if row["record_type"] == "organization" and row["organization_code"] in by_code:
            line = by_code[row["organization_code"]]
            for key in ("gross_satang", "refunds_satang", "share_satang", "custody_satang", "net_to_central_satang"):
                assert int(row[key]) == line[key], key
    book = openpyxl.load_workbook(io.BytesIO(client.get("/revenue/statement.xlsx", query_string=query).data))
    assert len(book.sheetnames) == 1 + len(by_code) + 1  # the summary, each organization, the online shop
    pdf = client.get("/revenue/statement.pdf", query_string=query)
    assert pdf.data.startswith(b"%PDF")


def test_ledger_csv_streams_every_entry(client, day_of_sales):
    festival, _s, orders = day_of_sales
    login(client, "treasurer")
    resp = client.get("/revenue/ledger.csv", query_string=_query(festival))
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert {r["order_id"] for r in rows} == {o.id for o in orders}
    assert sum(int(r["amount_satang"]) for r in rows if r["kind"] == "share") == \
        sum(o.total_satang for o in orders[1:])


def test_rules_page_makes_a_new_version_and_refuses_bad_rows(client, day_of_sales):
    festival, sellers, _o = day_of_sales
    login(client, "treasurer")
    before = db.session.scalar(select(SplitRule.version).order_by(SplitRule.version.desc()).limit(1))
    client.post(f"/revenue/rules?festival={festival.id}", data={"kind-0": "commission", "percent-0": "abc"})
    assert db.session.scalar(select(SplitRule.version).order_by(SplitRule.version.desc()).limit(1)) == before
    kept = client.post(f"/revenue/rules?festival={festival.id}", data={"kind-0": "commission", "percent-0": "-5",
                                                                       "kind-1": "commission", "percent-1": "7"})
    page = kept.get_data(as_text=True)
    assert 'value="-5"' in page and 'value="7"' in page  # a refused save loses nothing
    client.post(f"/revenue/rules?festival={festival.id}", data={
        "kind-0": "commission", "percent-0": "12.5",
        "kind-1": "operator_fee", "org-1": str(sellers[2].organization_id), "fixed-1": "20"})
    rules = services.rules_of(festival.id)
    assert {(r.kind, r.basis_points, r.fixed_satang) for r in rules} == {("commission", 1250, None),
                                                                           ("operator_fee", None, 2000)}


def test_expense_page_with_receipt_and_bad_input(client, day_of_sales, app, tmp_path):
    festival, _s, _o = day_of_sales
    app.config["INSTANCE_PATH"] = str(tmp_path)
    login(client, "treasurer")
    url = f"/revenue/expenses?festival={festival.id}"
    client.post(url, data={"spent_on": "2027-07-01", "category": "video", "amount": "-5", "payee": "x"})
    client.post(url, data={"spent_on": "01/07/2027", "category": "video", "amount": "15000", "payee": "x"})
    client.post(url, data={"spent_on": "2027-07-01", "category": "video", "amount": "9" * 20, "payee": "x"})
    client.post(url, data={"spent_on": "9999-07-01", "category": "video", "amount": "15000", "payee": "x"})
    kept = client.post(url, data={"spent_on": "2027-07-01", "category": "วิดีโอ", "amount": "abc", "payee": "อัพอุบล"})
    assert 'value="อัพอุบล"' in kept.get_data(as_text=True)  # what was typed comes back
    assert db.session.scalar(select(Expense)) is None
    client.post(url, content_type="multipart/form-data", data={
        "spent_on": "2027-07-01", "category": "ประชาสัมพันธ์", "amount": "15,000", "payee": "อัพอุบล",
        "note": "VTR", "receipt": (io.BytesIO(b"%PDF-1.4 receipt"), "vtr.pdf")})
    expense = db.session.scalar(select(Expense))
    assert expense.amount_satang == 1_500_000
    assert client.get(f"/revenue/expenses/{expense.id}/receipt").data == b"%PDF-1.4 receipt"


def test_close_page(client, day_of_sales):
    festival, _s, _o = day_of_sales
    login(client, "treasurer")
    today = utcnow().astimezone(BANGKOK).date()
    client.post(f"/revenue/close?festival={festival.id}", data={"from": today.isoformat(), "to": today.isoformat()})
    assert db.session.scalar(select(ClosedPeriod)) is None  # today is not over
    yesterday = (today - timedelta(days=1)).isoformat()
    client.post(f"/revenue/close?festival={festival.id}", data={"from": yesterday, "to": yesterday})
    assert db.session.scalar(select(ClosedPeriod)) is not None
    client.post(f"/revenue/close?festival={festival.id}", data={"from": "nonsense", "to": yesterday})
    assert len(db.session.scalars(select(ClosedPeriod)).all()) == 1
