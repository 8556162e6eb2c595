"""Online orders in the settlement (issue 13, item 1), refunding them from the orders desk (item 4) and
`flask shop reconcile` (item 6).

Online orders are made through the real path: a buyer holds seats in the shop, pays at the Stripe
stand-in (tests/stripe_standin.py, driven by the real ``stripe`` library) and a signed
``checkout.session.completed`` webhook makes the order, with Stripe's fee from the balance transaction.
Every figure is worked out by hand below and checked to the satang on the page, in the JSON (page and
API), both CSVs, the XLSX and the PDF.

The festival: commission 10 % for a selling organization, an operator fee of 3 % for the Tourism
Association on every ticket. Front seats cost 1,500 baht, VIP seats 800 baht.

- online order A: two front seats (3,000 baht), Stripe's fee 12.34 baht; one ticket refunded through Stripe
- online order B: one front seat (1,500 baht), Stripe's fee 5.00 baht
- counter order C: one VIP seat (800 baht), cash, by the seller of another member
"""
import csv
import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, text

from browser import LiveServer, screenshot
from conftest import login
from test_browser import _fonts_loaded, _login, browser  # noqa: F401  (fixture)
from test_revenue_exports import babel_app, make_statement  # noqa: F401  (fixture)
from ticketing import create_app
from stripe_fixtures import stripe_standin  # noqa: F401  (fixture)
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.ledger.models import LedgerEntry
from ticketing.revenue import check, services, statements
from ticketing.sales.models import Order, Refund
from ticketing.sales.services import PaymentInput, sell
from ticketing.seating.models import PriceCategory
from ticketing.shop.models import Cart
from ticketing.timeutil import BANGKOK, utcnow

SECRET = "whsec_online_statements"
BUYER = {"name": "สมหญิง ใจดี", "phone": "081 234 5678", "email": "somying@example.com"}
FRONT, VIP = 150_000, 80_000
FEE_A, FEE_B = 1_234, 500

# what the statement must say, worked out by hand (satang)
ONLINE = {"code": "online", "tickets_sold": 3, "gross_satang": 3 * FRONT, "tickets_voided": 1,
          "refunds_satang": FRONT, "net_sales_satang": 2 * FRONT, "fees_satang": FEE_A + FEE_B,
          "categories": [{"code": "front", "name_th": "แถวหน้า", "name_en": "Front", "tickets": 3,
                          "gross_satang": 3 * FRONT}]}
TOURISM_SHARE = 3 * FRONT * 3 // 100 - FRONT * 3 // 100 + VIP * 3 // 100          # 9,000 + 4,500 - 4,500 + 2,400
SELLER_SHARE = VIP // 10                                                          # 8,000
CENTRAL_SHARE = 3 * FRONT + VIP - FRONT - TOURISM_SHARE - SELLER_SHARE           # 360,600
CENTRAL = {"gross_satang": 3 * FRONT + VIP, "refunds_satang": FRONT, "net_sales_satang": 2 * FRONT + VIP,
           "shares_to_organizations_satang": TOURISM_SHARE + SELLER_SHARE, "central_share_satang": CENTRAL_SHARE,
           "fees_satang": FEE_A + FEE_B, "expenses_satang": 0, "custody_satang": 2 * FRONT,
           "net_satang": CENTRAL_SHARE - FEE_A - FEE_B, "receivable_satang": VIP - SELLER_SHARE,
           "payable_satang": TOURISM_SHARE, "reconciled_satang": CENTRAL_SHARE}


def baht(satang: int) -> str:
    return f"{satang // 100:,}.{satang % 100:02d}"


def _post_event(client, standin, kind, obj):
    body, headers = standin.webhook(standin.event(kind, obj), SECRET)
    return client.post("/stripe/webhook", data=body, headers=headers)


def buy_online(app, standin, session, seat_ids, fee) -> Order:
    """A buyer's phone: hold the seats in the shop, pay at Stripe, and Stripe's signed webhook."""
    buyer = app.test_client()
    held = buyer.post(f"/shop/s/{session.id}/hold", data={"seat_ids": ",".join(map(str, seat_ids))})
    assert held.status_code == 303, held.data[:300]
    cart = db.session.get(Cart, held.headers["Location"].rsplit("/", 1)[1])
    paying = buyer.post(f"/shop/cart/{cart.id}/pay", data=BUYER)
    assert paying.status_code == 303 and paying.headers["Location"].startswith(standin.url), paying.data[:300]
    db.session.refresh(cart)
    checkout = standin.pay(cart.checkout_session_id, fee=fee)
    done = _post_event(buyer, standin, "checkout.session.completed", checkout)
    assert done.status_code == 200 and done.json["outcome"] == "completed", done.json
    return db.session.scalar(select(Order).where(Order.payments.any(reference=checkout["payment_intent"])))


@pytest.fixture
def shop_setup(app, make, stripe_standin, tmp_path):
    festival = make.festival()
    session = festival.sessions[0]
    tourism = make.org("tourism")
    version = services.save_rules(None, festival, [
        {"kind": "commission", "basis_points": 1000},
        {"kind": "operator_fee", "organization_id": tourism.id, "basis_points": 300}])
    codes = dict(db.session.execute(select(PriceCategory.id, PriceCategory.code)).all())
    views = inventory.seat_views(session.id)
    seats = [v for v in views if codes[v.category_id] == "front"][:8] + [v for v in views
                                                                          if codes[v.category_id] == "vip"]
    inventory.allocate_seats(None, session, [s.id for s in seats[:8]], inventory.ONLINE)
    db.session.commit()
    app.config.update(STRIPE_SECRET_KEY=stripe_standin.secret_key, STRIPE_API_BASE=stripe_standin.url,
                      STRIPE_WEBHOOK_SECRET=SECRET, MAIL_OUTBOX=str(tmp_path / "outbox"))
    make.user("boss", roles=["admin"])
    make.user("treasurer", roles=["treasurer"])
    return {"festival": festival, "session": session, "seats": seats, "standin": stripe_standin,
            "tourism": tourism, "version": version, "central": make.central()}


@pytest.fixture
def sold(app, client, make, shop_setup):
    """Orders A (online, one ticket refunded through Stripe by the admin), B (online) and C (counter)."""
    s = shop_setup
    a = buy_online(app, s["standin"], s["session"], [s["seats"][0].id, s["seats"][1].id], FEE_A)
    b = buy_online(app, s["standin"], s["session"], [s["seats"][2].id], FEE_B)
    seller = make.user("seller1", roles=["seller"])
    c = sell(seller, s["session"].id, [s["seats"][8].id], PaymentInput("cash"))
    db.session.commit()
    login(client, "boss")
    resp = client.post(f"/shop/admin/orders/{a.id}/refund", data={"reason": "ป่วย", "ticket_ids": [a.tickets[0].id]})
    assert resp.status_code == 302
    client.get("/logout")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    return {**s, "a": a, "b": b, "c": c, "seller": seller}


def _today(festival, **extra):
    today = utcnow().astimezone(BANGKOK).date().isoformat()
    return {"festival": festival.id, "from": today, "to": today, **extra}


def _expected_orgs(sold):
    return {"tourism": {"gross_satang": 0, "share_satang": TOURISM_SHARE, "custody_satang": 0,
                        "net_to_central_satang": -TOURISM_SHARE},
            sold["seller"].organization.code: {"gross_satang": VIP, "share_satang": SELLER_SHARE,
                                                "custody_satang": VIP, "net_to_central_satang": VIP - SELLER_SHARE}}


# --- the statement -------------------------------------------------------------------------------

def test_online_orders_have_their_own_line_and_the_fee_is_the_central_funds_cost(sold):
    a, b = sold["a"], sold["b"]
    assert a.channel == b.channel == "online" and a.organization_id is None and b.organization_id is None
    fees = db.session.execute(select(LedgerEntry.order_id, LedgerEntry.share_kind, LedgerEntry.organization_id,
                                     LedgerEntry.amount_satang).where(LedgerEntry.source == "fee")).all()
    central = sold["central"].id
    assert sorted(fees) == sorted([(a.id, "processor_fee", central, FEE_A), (a.id, "central_share", central, -FEE_A),
                                   (b.id, "processor_fee", central, FEE_B), (b.id, "central_share", central, -FEE_B)])
    now = utcnow()
    s = statements.build(sold["festival"].id, now.replace(year=now.year - 1), now.replace(year=now.year + 1))
    d = s.to_dict()
    assert d["online"] == ONLINE
    assert {k: d["central"][k] for k in CENTRAL} == CENTRAL
    # the fee moved out of the central fund's share into its own line: the lines still add up to the share
    lines = {(x["kind"], x["rule_version"], x["fee"]): x["amount_satang"] for x in d["central"]["shares"]}
    assert lines == {("central_share", sold["version"], False): CENTRAL_SHARE,
                     ("central_share", None, True): -(FEE_A + FEE_B), ("processor_fee", None, True): FEE_A + FEE_B}
    by_code = {o["code"]: o for o in d["organizations"]}
    for code, figures in _expected_orgs(sold).items():
        assert {k: by_code[code][k] for k in figures} == figures, code
    assert check.statement_problems(s) == [] and check.problems() == []
    # one organization's statement has no festival-wide lines
    one = statements.build(sold["festival"].id, now.replace(year=now.year - 1), now.replace(year=now.year + 1),
                           sold["tourism"].id)
    assert one.online is None and one.central is None


def test_adjacent_periods_add_up_with_online_orders(sold):
    """The refund is later than the sales: a cut between them puts each in its own period."""
    refund_at = db.session.scalar(select(Refund.created_at))
    now = utcnow()
    start, end = now.replace(year=now.year - 1), now.replace(year=now.year + 1)
    first = statements.build(sold["festival"].id, start, refund_at).online
    second = statements.build(sold["festival"].id, refund_at, end).online
    assert first.refunds_satang == 0 and first.gross_satang == 3 * FRONT and second.refunds_satang == FRONT
    assert first.fees_satang + second.fees_satang == FEE_A + FEE_B
    assert first.tickets_voided + second.tickets_voided == 1


def test_every_format_shows_the_online_line_to_the_satang(client, sold, tmp_path):
    festival = sold["festival"]
    query = _today(festival)
    login(client, "treasurer")
    # the page
    page = client.get("/revenue/", query_string=query).get_data(as_text=True)
    line = page.split('id="online-line"')[1].split("</tbody>")[0]
    assert "ร้านค้าออนไลน์" in line
    cells = [c.split("</td>")[0] for c in line.split('<td class="num">')[1:]]
    assert cells[0] == "3" and cells[2:5] == [baht(3 * FRONT), baht(FRONT), baht(2 * FRONT)], cells
    central = page.split('id="central-summary"')[1].split("</section>")[0]
    assert baht(FEE_A + FEE_B) in central and baht(CENTRAL["net_satang"]) in central
    assert baht(CENTRAL_SHARE) in central and "do not reconcile" not in page
    shares = page.split('id="share-lines"')[1].split("</section>")[0]
    assert "ค่าธรรมเนียมผู้ให้บริการชำระเงิน" in shares and baht(FEE_A + FEE_B) in shares
    assert 'class="flash error"' not in page
    # JSON: the page's export and the API
    body = client.get("/revenue/statement.json", query_string=query).json
    assert body["online"] == ONLINE and {k: body["central"][k] for k in CENTRAL} == CENTRAL
    api = client.get("/api/v1/revenue/statement", query_string={
        "festival": festival.id, "from": "2000-01-01T00:00:00+07:00", "to": "2100-01-01T00:00:00+07:00"}).json
    assert api["online"] == ONLINE and {k: api["central"][k] for k in CENTRAL} == CENTRAL
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    statement_schema = next(v for k, v in schema.items() if k.startswith("Statement") and "online" in v.get(
        "properties", {}))
    assert statement_schema["properties"]["online"]
    online_schema = next(v for k, v in schema.items() if k.startswith("OnlineSales"))
    assert set(online_schema["properties"]) == set(ONLINE)
    # the CSV for software: an "online" record, integer satang
    machine = list(csv.DictReader(io.StringIO(client.get("/revenue/statement.csv", query_string={
        **query, "format": "machine"}).get_data(as_text=True))))
    online = [r for r in machine if r["record_type"] == "online"]
    assert len(online) == 1 and online[0]["organization_code"] == "online"
    assert {k: int(online[0][k]) for k in ("tickets_sold", "tickets_voided", "gross_satang", "refunds_satang",
                                           "net_sales_satang", "fees_satang")} == {
        k: ONLINE[k] for k in ("tickets_sold", "tickets_voided", "gross_satang", "refunds_satang", "net_sales_satang",
                               "fees_satang")}
    row = next(r for r in machine if r["record_type"] == "central")
    assert {k: int(row[k]) for k in CENTRAL} == CENTRAL
    fee_lines = sorted((r["share_kind"], int(r["amount_satang"])) for r in machine
                       if r["record_type"] == "share" and r["organization_code"] == "" and r["rule_version"] == "")
    assert fee_lines == [("central_share", -(FEE_A + FEE_B)), ("processor_fee", FEE_A + FEE_B)]
    # the CSV for people: the online row of the organizations' table, baht
    people = list(csv.reader(io.StringIO(client.get("/revenue/statement.csv", query_string=query).get_data(
        as_text=True).lstrip("\ufeff"))))
    row = next(r for r in people if r and r[0] == "online")
    assert row[1] == "ร้านค้าออนไลน์" and row[2:8] == ["3", "", "1", baht(3 * FRONT), baht(FRONT), baht(2 * FRONT)]
    assert ["ค่าธรรมเนียมการชำระเงิน", baht(FEE_A + FEE_B)] in people or any(
        r[-1] == baht(FEE_A + FEE_B) for r in people if len(r) == 2)
    assert any(len(r) == 2 and r[1] == baht(CENTRAL["net_satang"]) for r in people)
    # XLSX: the summary's online row and the online sheet, exact decimals
    book = openpyxl.load_workbook(io.BytesIO(client.get("/revenue/statement.xlsx", query_string=query).data))
    summary = book.worksheets[0]
    row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "online")
    assert (row[3], row[4], row[5]) == (3, None, 1)
    assert [round(row[i] * 100) for i in (6, 7, 11)] == [3 * FRONT, FRONT, 2 * FRONT]
    assert row[8] is row[9] is row[10] is None  # no seller's share: the central fund holds the money
    values = {r[1]: round(r[6] * 100) for r in summary.iter_rows(values_only=True)
              if r[1] and isinstance(r[6], (int, float))}
    assert values["ค่าธรรมเนียมการชำระเงิน Payment fees"] == FEE_A + FEE_B, values
    assert values["สุทธิ Net"] == CENTRAL["net_satang"]
    sheet = book["online"]
    figures = {r[0]: round(r[4] * 100) for r in sheet.iter_rows(values_only=True)
               if r[0] and isinstance(r[4], (int, float))}
    assert figures["ค่าธรรมเนียมผู้ให้บริการชำระเงิน (บาท) Payment processor fees (baht)"] == FEE_A + FEE_B, figures
    assert figures["ยอดขายสุทธิ (บาท) Net sales (baht)"] == 2 * FRONT
    assert figures["front"] == 3 * FRONT
    # the PDF, read back as text
    (tmp_path / "s.pdf").write_bytes(client.get("/revenue/statement.pdf", query_string=query).data)
    pdf = subprocess.run(["pdftotext", "-layout", str(tmp_path / "s.pdf"), "-"], capture_output=True,
                         text=True).stdout
    block = pdf.split("ร้านค้าออนไลน์")[1].split("สรุปกองกลาง")[0]
    for figure in (baht(3 * FRONT), baht(FRONT), baht(2 * FRONT), baht(FEE_A + FEE_B)):
        assert figure in block, (figure, block)
    assert "Online shop" in pdf and baht(CENTRAL["net_satang"]) in pdf.split("สรุปกองกลาง")[1]


def test_a_seller_and_a_chosen_organization_get_no_online_line(client, sold):
    login(client, "seller1")
    body = client.get("/revenue/statement.json", query_string=_today(sold["festival"])).json
    assert body["online"] is None and body["central"] is None
    page = client.get("/revenue/", query_string=_today(sold["festival"])).get_data(as_text=True)
    assert 'id="online-line"' not in page
    login(client, "treasurer")
    api = client.get("/api/v1/revenue/statement", query_string={"festival": sold["festival"].id,
                                                                "organization": sold["tourism"].id}).json
    assert "online" not in api and "central" not in api


def test_dashboard_charts_name_the_online_shop_and_add_up_to_net_sales(client, sold):
    from ticketing.revenue import dashboard
    now = utcnow()
    data = dashboard.breakdowns(sold["festival"].id, now.replace(year=now.year - 1), now.replace(year=now.year + 1))
    assert dict(data["organization"])["ร้านค้าออนไลน์"] == 2 * FRONT
    # a refund of one ticket takes that ticket off its category, not the whole order's
    assert data["category"] == [("แถวหน้า", 2 * FRONT), ("วีไอพี", VIP)]
    for key, rows in data.items():
        assert sum(amount for _label, amount in rows) == CENTRAL["net_sales_satang"], key
    login(client, "treasurer")
    page = client.get("/revenue/", query_string=_today(sold["festival"])).get_data(as_text=True)
    chart = page.split('<section class="charts">')[1].split("</section>")[0]
    assert "ร้านค้าออนไลน์" in chart


# --- revenue check and the fee entries -------------------------------------------------------------

def _insert_entry(order, organization_id, share_kind, amount):
    db.session.execute(text(
        "INSERT INTO ledger_entries (at, festival_id, session_id, order_id, source, kind, organization_id, "
        "amount_satang, share_kind) SELECT at, festival_id, session_id, order_id, 'fee', 'share', :org, :amount, "
        ":kind FROM ledger_entries WHERE order_id = :o LIMIT 1"),
        {"org": organization_id, "amount": amount, "kind": share_kind, "o": order.id})


def _check(runner) -> list[str]:
    result = runner.invoke(args=["revenue", "check", "--lang", "en"])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


def test_revenue_check_accepts_the_fee_entries(runner, sold):
    result = runner.invoke(args=["revenue", "check", "--lang", "en"])
    assert result.exit_code == 0 and result.output.startswith("ok"), result.output


def test_fee_entries_on_a_counter_order_are_named(runner, sold):
    """A pair that adds up to zero, so every total still agrees: only the fee check sees it."""
    c, central = sold["c"], sold["central"].id
    _insert_entry(c, central, "processor_fee", 700)
    _insert_entry(c, central, "central_share", -700)
    db.session.commit()
    lines = _check(runner)
    named = [line for line in lines if line.startswith(f"order {c.id}:")]
    assert named == [f"order {c.id}: it has payment processor fee entries, but it was not sold online "
                     "(channel counter)"], lines
    assert not [line for line in lines if sold["a"].id in line or sold["b"].id in line]


def test_a_fee_that_does_not_add_up_to_zero_is_named(runner, sold):
    b = sold["b"]
    _insert_entry(b, sold["central"].id, "processor_fee", 100)
    db.session.commit()
    lines = _check(runner)
    assert f"order {b.id}: its payment processor fee entries add up to 100, not zero" in lines, lines
    assert f"order {b.id}: ledger share 150100 != payments - refunds 150000" in lines, lines


def test_a_fee_moved_to_a_member_or_larger_than_the_payment_is_named(runner, sold):
    b, tourism, central = sold["b"], sold["tourism"], sold["central"].id
    _insert_entry(b, tourism.id, "processor_fee", 100_000)
    _insert_entry(b, central, "central_share", -100_000)
    _insert_entry(b, central, "processor_fee", 100_000)
    _insert_entry(b, central, "central_share", -100_000)
    db.session.commit()
    lines = [line for line in _check(runner) if line.startswith(f"order {b.id}:")]
    assert any("is a processor_fee line for tourism; a fee moves only the central fund's share" in line
               for line in lines), lines
    assert f"order {b.id}: its payment processor fee is 200500, outside 0 to what was paid (150000)" in lines
    assert not any("add up to" in line for line in lines)


# --- the orders desk: an online order is refunded through Stripe -------------------------------------

def test_the_order_page_offers_an_admin_the_stripe_refund_of_an_online_order(client, sold):
    b = sold["b"]
    login(client, "boss")
    page = client.get(f"/orders/{b.id}").get_data(as_text=True)
    form = page.split('id="stripe-refund-form"')[0].rsplit("<form", 1)[1] + page.split(
        'id="stripe-refund-form"')[1].split("</form>")[0]
    assert f'action="/shop/admin/orders/{b.id}/refund"' in form
    assert 'name="ticket_ids"' in form and 'name="reason"' in form
    assert 'name="refund_method"' not in page and 'id="void-form"' not in page
    assert "Stripe" in form and "ร้านค้าออนไลน์" in page.split('id="buyer"')[0]  # sold by the online shop
    # the counter's cash / transfer form stays on a counter order
    counter = client.get(f"/orders/{sold['c'].id}").get_data(as_text=True)
    assert 'id="void-form"' in counter and 'name="refund_method"' in counter and "stripe-refund" not in counter
    # posting the form as it is (its action, its checkbox) refunds the chosen ticket through the stand-in
    action = re.search(r'<form method="post" action="([^"]+)" id="stripe-refund-form"', page).group(1)
    boxes = re.findall(r'name="ticket_ids" value="([^"]+)"', form)
    assert boxes == [t.id for t in b.tickets]
    resp = client.post(action, data={"reason": "ซื้อผิดรอบ", "ticket_ids": boxes})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orders/{b.id}")
    refund = db.session.scalar(select(Refund).where(Refund.order_id == b.id))
    assert refund.amount_satang == FRONT and refund.reference.startswith("re_")
    assert sold["standin"].get(refund.reference)["amount"] == FRONT
    assert sold["standin"].get(refund.reference)["payment_intent"] == b.payments[0].reference
    assert db.session.get(Order, b.id).status == "void" and check.problems() == []
    after = client.get(f"/orders/{b.id}").get_data(as_text=True)
    assert refund.reference in after.split('id="order-refunds"')[1]
    assert 'id="stripe-refund"' not in after  # nothing left to refund


def test_no_stripe_refund_form_for_a_treasurer_or_a_seller(client, sold):
    b = sold["b"]
    login(client, "treasurer")
    page = client.get(f"/orders/{b.id}")
    assert page.status_code == 200 and 'id="stripe-refund"' not in page.get_data(as_text=True)
    assert 'name="ticket_ids"' not in page.get_data(as_text=True)
    login(client, "seller1")  # an online order belongs to no member: a seller does not even see it
    assert client.get(f"/orders/{b.id}").status_code == 403
    assert client.post(f"/shop/admin/orders/{b.id}/refund", data={"reason": "x"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id == b.id)) == 0


def test_the_counter_refund_is_refused_for_an_online_order(client, sold):
    b = sold["b"]
    login(client, "boss")
    resp = client.post(f"/orders/{b.id}/void", data={"reason": "x", "refund_method": "cash",
                                                      "ticket_ids": [b.tickets[0].id]})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Stripe" in page
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id == b.id)) == 0
    assert db.session.get(Order, b.id).status == "paid"
    assert len(sold["standin"].calls("POST", "/v1/refunds")) == 1  # order A's, made by the fixture


# --- flask shop reconcile ---------------------------------------------------------------------------

def _days():
    today = utcnow().astimezone(BANGKOK).date()
    return ["--from", today.replace(day=1).isoformat(), "--to", today.isoformat()]


def test_reconcile_command_agrees_then_lists_a_payment_no_order_records(app, runner, sold):
    standin = sold["standin"]
    result = runner.invoke(args=["shop", "reconcile", *_days(), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        f"0 differences; Stripe listed 2 payments and 1 refunds from {_days()[1]} to {_days()[3]}."]
    # a buyer paid at Stripe but the webhook never came: Stripe has a payment no order records
    buyer = app.test_client()
    held = buyer.post(f"/shop/s/{sold['session'].id}/hold", data={"seat_ids": str(sold["seats"][5].id)})
    cart = db.session.get(Cart, held.headers["Location"].rsplit("/", 1)[1])
    buyer.post(f"/shop/cart/{cart.id}/pay", data=BUYER)
    db.session.refresh(cart)
    checkout = standin.pay(cart.checkout_session_id, fee=99)
    result = runner.invoke(args=["shop", "reconcile", *_days(), "--lang", "en"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == (f"missing_order {checkout['payment_intent']} order -: ours -, Stripe {baht(FRONT)} baht: "
                        "Stripe took a payment that no online order records.")
    assert lines[-1].startswith("1 differences; Stripe listed 3 payments") and len(lines) == 2
    thai = runner.invoke(args=["shop", "reconcile", *_days()])
    assert thai.exit_code == 1 and "Stripe" in thai.output and "differences" not in thai.output


def test_reconcile_command_without_stripe_or_with_bad_dates(app, runner, sold):
    reversed_ = runner.invoke(args=["shop", "reconcile", "--from", "2027-07-20", "--to", "2027-07-19", "--lang", "en"])
    assert reversed_.exit_code == 2 and "The end date must not be before the start date." in reversed_.output
    assert sold["standin"].calls("GET", "/v1/charges") == []
    bad = runner.invoke(args=["shop", "reconcile", "--from", "20-07-2027", "--to", "2027-07-19"])
    assert bad.exit_code == 2 and "--from" in bad.output
    sold["standin"].fail_next(10, status=500, retry=False)
    down = runner.invoke(args=["shop", "reconcile", *_days(), "--lang", "en"])
    assert down.exit_code == 2 and "did not answer" in down.output, down.output
    app.config["STRIPE_SECRET_KEY"] = ""
    result = runner.invoke(args=["shop", "reconcile", *_days(), "--lang", "en"])
    assert result.exit_code == 2 and "not configured" in result.output, result.output


def test_a_closed_period_freezes_the_online_line(runner, sold, monkeypatch):
    from ticketing.revenue.models import ClosedPeriod
    festival = sold["festival"]
    start, end = statements.day_bounds(utcnow().astimezone(BANGKOK).date())
    monkeypatch.setattr(services, "utcnow", lambda: end + services.CLOSE_GRACE * 2)
    period = services.close_period(None, festival, start, end)
    db.session.commit()
    assert period.snapshot["online"] == ONLINE
    # a period closed before statements had the online line still compares
    old_start = start.replace(year=start.year - 1)
    old = statements.build(festival.id, old_start, start).to_dict()
    for key in ("generated_at", "closed", "open_parts", "online"):
        old.pop(key)
    db.session.add(ClosedPeriod(festival_id=festival.id, starts_at=old_start, ends_at=start, snapshot=old))
    db.session.commit()
    assert check.problems() == []
    # a fee slipped in afterwards, inside the closed day, changes the online line: named
    _insert_entry(sold["b"], sold["central"].id, "processor_fee", 100)
    _insert_entry(sold["b"], sold["central"].id, "central_share", -100)
    db.session.commit()
    lines = _check(runner)
    assert lines == [f"closed period {period.id} ({start:%Y-%m-%d %H:%M}): the ledger no longer matches the "
                     "statement as closed"], lines


def test_an_admin_refunds_an_online_ticket_from_the_order_page_in_chromium(app, browser, sold):  # noqa: F811
    """The real page in a real browser (CSRF on): tick the ticket, give a reason, confirm, and Stripe refunds it."""
    a, standin = sold["a"], sold["standin"]
    server_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                             "STRIPE_SECRET_KEY": standin.secret_key, "STRIPE_API_BASE": standin.url,
                             "STRIPE_WEBHOOK_SECRET": SECRET, "MAIL_OUTBOX": app.config["MAIL_OUTBOX"]})
    try:
        with LiveServer(server_app) as live:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _login(page, live, "boss")
            page.goto(f"{live.url}/orders/{a.id}")
            _fonts_loaded(page)
            assert page.locator("#void-form").count() == 0 and page.locator("input[name=refund_method]").count() == 0
            boxes = page.locator("#order-tickets input[name=ticket_ids]")
            assert boxes.count() == 1  # the other ticket was refunded already
            boxes.first.check()
            page.fill("#reason", "ผู้ซื้อขอคืน")
            screenshot(page, "order-page-online-desktop-th")
            page.on("dialog", lambda dialog: dialog.accept())
            page.click("#stripe-refund-button")
            page.wait_for_selector(".flash.success")
            expect(page.locator("#order-tickets tr.ticket-void")).to_have_count(2)  # (the page may still be arriving)
            refunds = page.inner_text("#order-refunds")
            screenshot(page, "order-page-online-refunded-desktop-th")
            # the revenue page's online line moved by that ticket
            page.goto(f"{live.url}/revenue/?festival={sold['festival'].id}")
            _fonts_loaded(page)
            line = page.inner_text("#online-line")
            assert "ร้านค้าออนไลน์" in line and baht(2 * FRONT) in line and baht(FRONT) in line
            screenshot(page, "revenue-online-line-desktop-th")
            page.close()
    finally:
        with server_app.app_context():
            db.engine.dispose()
    db.session.expire_all()
    second = db.session.scalars(select(Refund).where(Refund.order_id == a.id).order_by(Refund.id)).all()[-1]
    assert second.amount_satang == FRONT and second.reference in refunds and baht(FRONT) in refunds
    assert standin.get(second.reference)["payment_intent"] == a.payments[0].reference
    assert [r.form["amount"] for r in standin.calls("POST", "/v1/refunds")][-1] == str(FRONT)
    assert db.session.get(Order, a.id).status == "void" and check.problems() == []


def test_an_organization_coded_online_keeps_its_sheet_and_the_online_line_gets_another(babel_app):
    """No database: a hand-made statement whose first member happens to be coded 'online'."""
    from ticketing.revenue.exports import statement_csv, statement_xlsx
    from ticketing.revenue.statements import CategoryLine, OnlineSales
    statement = make_statement()
    statement.organizations[0].code = "Online"
    statement.online = OnlineSales(categories=[CategoryLine("vip", "วีไอพี", "VIP", 2, 500_000)], tickets_sold=2,
                                   gross_satang=500_000, tickets_voided=0, refunds_satang=0,
                                   net_sales_satang=500_000, fees_satang=18_250)
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(statement)))
    assert book.sheetnames[1] == "Online" and book.sheetnames[-1] == "~online"
    assert book["~online"]["A8"].value == "ร้านค้าออนไลน์" and book["~online"]["A9"].value == "Online shop"
    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))
    online = [r for r in rows if r["record_type"] == "online"]
    assert [(r["organization_code"], r["gross_satang"], r["fees_satang"], r["share_satang"]) for r in online] == [
        ("online", "500000", "18250", "")]
    assert [r["record_type"] for r in rows].index("online") < [r["record_type"] for r in rows].index("central")
