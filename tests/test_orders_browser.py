"""The orders desk in a real Chromium: find yesterday's order from a phone number and reprint it;
refund one ticket of a four-ticket order and see the ledger and the statement move by that ticket."""
import csv
import io
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from test_browser import _fonts_loaded, _login, browser, live  # noqa: F401  (fixtures)
from browser import screenshot
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.revenue import services as revenue
from ticketing.sales.models import Order
from ticketing.sales.services import PaymentInput, sell
from ticketing.timeutil import BANGKOK, utcnow


def _day(make):
    festival = make.festival()
    revenue.save_rules(None, festival, [{"kind": "commission", "basis_points": 1000}])
    seller = make.user("seller1", roles=["seller"])
    make.user("treasurer", roles=["treasurer"])
    session = festival.sessions[0]
    seats = [s.id for s in inventory.seat_views(session.id)]
    names = ["สมชาย ใจดี", "สมหญิง รักไทย", "John Smith", "นงลักษณ์ ศรีสุข", "ประเสริฐ มั่นคง"]
    orders = []
    for i, name in enumerate(names):
        orders.append(sell(seller, session.id, seats[10 + i * 4: 14 + i * 4], PaymentInput("cash"),
                           {"name": name, "phone": f"08{i}-555-01{i}{i}", "email": ""}))
    db.session.commit()
    return festival, session, seller, orders


def _page(browser, live, username, width=1280, height=900, mobile=False):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile,
                                  has_touch=mobile, accept_downloads=True)
    page = context.new_page()
    _login(page, live, username)
    return page


def test_find_yesterdays_order_by_phone_and_reprint_it(live, browser, make):  # noqa: F811
    _festival, _session, _seller, orders = _day(make)
    wanted = orders[3]
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(update(Order).where(Order.id == wanted.id).values(created_at=yesterday))
    db.session.commit()
    for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page = _page(browser, live, "seller1", *size, mobile=name == "phone")
        page.goto(f"{live.url}/orders/")
        _fonts_loaded(page)
        screenshot(page, f"orders-page-{name}-th")
        page.fill("#q", "083 555 0133")  # typed with spaces; stored as 083-555-0133
        page.keyboard.press("Enter")
        page.wait_for_selector("#orders-table")
        rows = page.locator("#orders-table tbody tr")
        assert rows.count() == 1 and wanted.number in rows.first.inner_text()
        _fonts_loaded(page)
        screenshot(page, f"orders-found-{name}-th")
        page.click(f"text={wanted.number}")
        page.wait_for_selector("#order-number")
        assert page.inner_text("#order-number") == wanted.number
        assert "นงลักษณ์" in page.inner_text("#buyer")
        _fonts_loaded(page)
        screenshot(page, f"order-page-{name}-th")
        # Reprint the tickets (the PDF answers) and the receipt.
        pdf = page.request.get(live.url + page.get_attribute("#reprint-80mm", "href"))
        assert pdf.status == 200 and pdf.body()[:4] == b"%PDF"
        page.click("#reprint-receipt")
        page.wait_for_selector("#receipt")
        assert page.inner_text("#receipt-total") == "3,200.00"
        page.context.close()


def _statement(page, live, festival):
    today = utcnow().astimezone(BANGKOK).date().isoformat()
    return page.request.get(f"{live.url}/revenue/statement.json?festival={festival.id}&from={today}&to={today}").json()


def _ledger_rows(page, live, festival, order_id):
    today = utcnow().astimezone(BANGKOK).date().isoformat()
    text = page.request.get(f"{live.url}/revenue/ledger.csv?festival={festival.id}&from={today}&to={today}").text()
    return [row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if order_id in row.values()]


def test_refund_one_ticket_of_four_moves_ledger_and_statement_by_that_ticket(live, browser, make):  # noqa: F811
    festival, _session, seller, orders = _day(make)
    order = orders[0]
    treasurer = _page(browser, live, "treasurer")
    before = _statement(treasurer, live, festival)
    rows_before = _ledger_rows(treasurer, live, festival, order.id)

    page = _page(browser, live, "seller1")
    page.goto(f"{live.url}/orders/{order.id}")
    _fonts_loaded(page)
    page.locator("#order-tickets input[name=ticket_ids]").nth(2).check()
    page.check("input[name=refund_method][value=cash]")
    page.fill("#reason", "ลูกค้าไม่มา 1 ที่")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#void-button")
    page.wait_for_selector(".flash.success")
    expect(page.locator("#order-tickets tr.ticket-void")).to_have_count(1)  # (the page may still be arriving)
    expect(page.locator("#order-tickets tr.ticket-valid")).to_have_count(3)
    assert "800.00" in page.inner_text("#order-refunds")
    _fonts_loaded(page)
    screenshot(page, "order-page-refunded-desktop-th")

    after = _statement(treasurer, live, festival)
    mine = {o["organization_id"]: o for o in after["organizations"]}[seller.organization_id]
    was = {o["organization_id"]: o for o in before["organizations"]}[seller.organization_id]
    assert mine["tickets_voided"] - was["tickets_voided"] == 1
    assert mine["refunds_satang"] - was["refunds_satang"] == 80000
    assert was["share_satang"] - mine["share_satang"] == 8000          # 10 % of one 800-baht ticket
    assert was["custody_satang"] - mine["custody_satang"] == 80000      # the cash went back from the drawer
    assert after["central"]["refunds_satang"] - before["central"]["refunds_satang"] == 80000
    new_rows = [r for r in _ledger_rows(treasurer, live, festival, order.id) if r["source"] == "refund"]
    assert len(rows_before) == len(_ledger_rows(treasurer, live, festival, order.id)) - len(new_rows)
    # exactly that ticket's shares (10 % to the seller, the rest to the central fund) and its cash
    assert sorted((r["kind"], int(r["amount_satang"])) for r in new_rows) == [
        ("custody", -80000), ("share", -72000), ("share", -8000)]
