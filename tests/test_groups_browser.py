"""Issue 12 in a real Chromium: a group of six proposed over two rows and sold; a shift opened with a
float, closed short and reconciled by the treasurer (with its A4 and 80 mm prints); the phone ticket
offline after the first visit."""
from sqlalchemy import select

from browser import ARTIFACTS, screenshot
from test_browser import _fonts_loaded, _login, _seller_context, browser, live  # noqa: F401 (fixtures)
from test_groups_and_shifts import GROUP_MAP
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales import services as sales
from ticketing.sales.models import Order, Shift, Ticket
from ticketing.seating.models import Seat


def _print_picture(page, name: str, width: int):
    """The page as printed: print styles, on paper ``width`` CSS pixels wide (A4 = 794, 80 mm = 302)."""
    page.set_viewport_size({"width": width, "height": 1100})
    page.emulate_media(media="print")
    _fonts_loaded(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.emulate_media(media="screen")


def test_group_of_six_is_proposed_over_two_rows_and_sold(live, browser, make):  # noqa: F811
    festival = make.festival(GROUP_MAP)
    session = festival.sessions[0]
    make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(session.id)
    # every row of the stand keeps runs of 3 and 4 only (as when seats are dealt out in fours)
    inventory.block_seats(None, session, [s.id for s in seats if s.section == "S1" and s.label == "4"], "officials")
    db.session.commit()
    page = _seller_context(browser, live, "seller1")
    page.goto(f"{live.url}/counter/sessions/{session.id}")
    page.select_option("#best-category", "std")  # not the table of six
    page.focus("#best-count")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('selected-count').textContent === '6'")
    page.wait_for_function("document.activeElement.id === 'confirm'")
    assert page.get_attribute("#proposal", "data-kind") == "block"
    assert page.locator("#proposal .proposal-lines li").count() == 2
    assert "2 แถว" in page.inner_text("#proposal .proposal-summary")
    assert page.locator("#seatmap circle.prop").count() == 6
    page.wait_for_function("""() => {  // the map zooms to the proposal: every proposed seat shows
        const box = document.getElementById('seatmap').getBoundingClientRect();
        return [...document.querySelectorAll('#seatmap circle.prop')].map(c => c.getBoundingClientRect())
          .every(r => r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom);
    }""")
    _fonts_loaded(page)
    screenshot(page, "counter-group-of-six-th")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt")
    sold = db.session.execute(select(Seat.row_label, Seat.label).join(Ticket, Ticket.seat_id == Seat.id)).all()
    rows = {row for row, _label in sold}
    assert len(sold) == 6 and rows == {"A", "B"}
    assert sorted(l for r, l in sold if r == "A") == sorted(l for r, l in sold if r == "B")


def test_shift_with_a_float_closed_short_and_seen_by_the_treasurer(live, browser, make):  # noqa: F811
    festival = make.festival()
    session = festival.sessions[0]
    make.user("seller1", roles=["seller"])
    make.user("treasurer1", roles=["treasurer"])
    page = _seller_context(browser, live, "seller1")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live.url}/counter/shift")
    page.fill("#opening_float", "2,000")
    page.click("#open-shift-form button[type=submit]")
    page.wait_for_url(f"{live.url}/counter/")
    page.goto(f"{live.url}/counter/sessions/{session.id}")
    page.wait_for_function("document.activeElement.id === 'best-count'")
    page.keyboard.type("2")  # two front seats, 1,500 baht each, cash
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'confirm'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt")
    page.goto(f"{live.url}/counter/shift")
    assert page.inner_text("#expected-cash") == "5,000.00"  # 2,000 float + 3,000 cash
    page.fill("#counted_cash", "4,900")
    page.click("form button.primary[data-confirm]")
    page.wait_for_selector("#shift-report")
    assert page.inner_text("#difference") == "-100.00"
    assert "seller1" in page.inner_text("#shift-seller")
    _print_picture(page, "shift-report-a4-th", 794)
    page.goto(page.url + "?paper=80mm")
    page.wait_for_selector(".paper-80mm")
    _print_picture(page, "shift-report-80mm-th", 302)

    treasurer = _seller_context(browser, live, "treasurer1")
    treasurer.on("dialog", lambda dialog: dialog.accept())
    treasurer.goto(f"{live.url}/counter/shifts/")
    row = treasurer.locator("#shifts-table tr[data-shift]")
    assert row.count() == 1
    assert row.locator("td.difference").inner_text() == "-100.00"
    assert "short" in (row.locator("td.difference").get_attribute("class") or "")
    assert treasurer.inner_text("#handover-table tbody") .count("2,900.00") == 1  # held: 4,900 - 2,000 float
    _fonts_loaded(treasurer)
    screenshot(treasurer, "treasurer-shifts-th")
    row.locator("button.receive").click()
    treasurer.wait_for_selector("#shifts-table .received")
    shift = db.session.scalar(select(Shift))
    db.session.refresh(shift)
    assert shift.cash_received_at is not None and shift.counted_cash_satang - shift.expected_cash_satang == -10000


def test_phone_ticket_works_offline_after_the_first_visit(live, browser, make):  # noqa: F811
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    seat = inventory.seat_views(festival.sessions[0].id)[0].id
    order = sales.sell(seller, festival.sessions[0].id, [seat], sales.PaymentInput("cash"))
    db.session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="allow")
    page = context.new_page()
    page.goto(f"{live.url}/t/{order.access_token}")  # the first and only visit online
    page.wait_for_function("document.body.dataset.offlineReady === '1'")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    response = page.reload()
    assert response is not None and response.ok and response.from_service_worker
    assert page.locator(".ticket .qr svg").count() == 1
    _fonts_loaded(page)
    context.set_offline(False)
    assert db.session.scalar(select(Order.id)) == order.id
