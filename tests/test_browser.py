"""Pages in a real headless Chromium (Playwright) against a real HTTP server."""

from playwright.sync_api import expect
from browser import ARTIFACTS, browser, live, screenshot  # noqa: F401 (browser, live: fixtures)
from conftest import ROOT
from ticketing.extensions import db
from ticketing.festivals.services import save_festival
from ticketing.inventory import services
from ticketing.inventory.sessions import save_session
from ticketing.timeutil import utcnow

EXAMPLE = ROOT / "seating_maps" / "candle-grandstand.example.json"
#: the map's zoom, as the page sets it: 'scale(1.49…) translate(…)'
TRANSFORM = "document.querySelector('#seatmap svg').style.transform"


def _login(page, live, username, password="secret-pass"):
    page.goto(f"{live.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # sellers land on the counter, others at home


def _fonts_loaded(page):
    """Wait until the web font is in and no font is still loading, so that a picture shows Sarabun."""
    page.wait_for_function("document.fonts.check('16px Sarabun', 'ที่นั่ง') && document.fonts.status === 'loaded'")


def test_admin_imports_map_deals_equal_shares_and_sees_the_table(live, browser, make):
    make.user("boss", roles=["admin"])
    orgs = [make.org(f"m{i}") for i in range(1, 10)]
    festival = save_festival(None, None, name_th="งานแห่เทียนพรรษา", name_en="Candle Festival", year=2027)
    session = save_session(None, festival, None, name_th="รอบเช้า", name_en="Morning", starts_at=utcnow())
    db.session.commit()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _login(page, live, "boss")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ที่นั่ง')")
    page.goto(f"{live.url}/admin/festivals/{festival.id}/map/")
    page.set_input_files("input[type=file]", str(EXAMPLE))
    page.click("button.primary")
    expect(page.locator(".flash.success")).to_have_count(1)  # on the page the upload leads to
    page.goto(f"{live.url}/admin/sessions/{session.id}/seats")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("#deal-equal-shares")
    page.wait_for_selector(".flash.success")
    assert len(questions) == 1  # a mass change asks first
    rows = page.locator("#allocation-table tbody tr")
    assert rows.count() == 10  # nine organizations and the shared pool
    totals = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(9)]
    assert max(totals) - min(totals) <= 1 and min(totals) > 200
    # Each organization's seats are drawn in its own colour.
    fills = page.evaluate("""() => {
        const seen = new Set();
        document.querySelectorAll('#seatmap circle.seat').forEach(c => seen.add(getComputedStyle(c).fill));
        return [...seen];
    }""")
    assert len(fills) >= 9
    _fonts_loaded(page)
    screenshot(page, "admin-equal-shares")
    assert {o.id for o in orgs} == {s.organization_id for s in services.seat_views(session.id)}


def test_admin_selects_seats_by_tapping_and_blocks_them(live, browser, make):
    make.user("boss", roles=["admin"])
    session = make.festival().sessions[0]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _login(page, live, "boss")
    page.goto(f"{live.url}/admin/sessions/{session.id}/seats")
    seats = page.locator("#seatmap circle.seat")
    for i in (0, 1, 2):
        seats.nth(i).click()
    assert page.inner_text("#selected-count") == "3"
    assert "A1" in page.inner_text(".seat-info")
    page.click("[data-zoom=in]")
    # zoomed in, and the zoom's animation over (read during it, the scale is not yet the one kept)
    page.wait_for_function(f"parseFloat({TRANSFORM}.replace('scale(', '')) > 1"
                           " && document.querySelector('#seatmap svg').getAnimations().length === 0")
    scale = page.evaluate(TRANSFORM).split(")")[0]
    page.select_option("#action", "block")
    page.click("#selection-form button.primary")  # no reason: refused, and nothing is lost
    page.wait_for_selector(".flash.error")
    # the page's script (it runs once the page is parsed, after the flash is there) brings back the choice
    expect(page.locator("#selected-count")).to_have_text("3")
    expect(page.locator("#action")).to_have_value("block")  # not back to "allocate"
    page.wait_for_function(f"scale => {TRANSFORM}.split(')')[0] === scale", arg=scale)  # the zoom from before
    page.select_option("#action", "block")
    page.fill("#reason", "ประธานในพิธี")
    page.click("#selection-form button.primary")
    page.wait_for_selector(".flash.success")
    db.session.expire_all()
    assert [s.state for s in services.seat_views(session.id)[:4]] == ["blocked"] * 3 + ["available"]


def test_seller_sees_its_allocation_highlighted_in_thai(live, browser, make):
    session = make.festival().sessions[0]
    seller = make.user("seller1", roles=["seller"])
    other = make.org("other")
    views = services.seat_views(session.id)
    services.allocate_seats(None, session, [v.id for v in views[:10]], seller.organization_id)
    services.allocate_seats(None, session, [v.id for v in views[10:20]], other.id)
    db.session.commit()
    page = browser.new_page(viewport={"width": 1024, "height": 768}, has_touch=True)
    _login(page, live, "seller1")
    page.goto(f"{live.url}/sessions/{session.id}/map")
    styles = page.evaluate("""() => [...document.querySelectorAll('#seatmap circle.seat')].slice(0, 30)
        .map(c => [getComputedStyle(c).stroke, getComputedStyle(c).fill])""")
    own, others, pool = styles[:10], styles[10:20], styles[20:30]
    assert all(s[0] == "rgb(17, 17, 17)" for s in own)
    assert all(s[1] == "rgb(227, 229, 232)" for s in others)
    assert all(s[1] != "rgb(227, 229, 232)" and s[0] != "rgb(17, 17, 17)" for s in pool)
    assert "ที่นั่งขององค์กรคุณ" in page.inner_text(".legend")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ที่นั่ง')")
    _fonts_loaded(page)
    screenshot(page, "seller-map-th")
    page.click("text=English")
    expect(page.locator(".legend")).to_contain_text("Your organization's seats")


def _seller_context(browser, live, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live, username)
    return page


def test_counter_sale_is_seen_by_another_counter(live, browser, make):
    """The other counter's map shows the sale without a reload (it polls every second; what the polling
    costs is measured in bench/polling.py, not here)."""
    session = make.festival().sessions[0]
    make.user("seller1", roles=["seller"])
    make.user("seller2", roles=["seller"])
    first = _seller_context(browser, live, "seller1")
    second = _seller_context(browser, live, "seller2")
    for page in (first, second):
        page.goto(f"{live.url}/counter/sessions/{session.id}")
    seats = first.locator("#seatmap circle.seat")
    seats.nth(0).click()
    first.wait_for_function("document.getElementById('selected-count').textContent === '1'")
    seats.nth(1).click()
    first.wait_for_function("document.getElementById('selected-count').textContent === '2'")
    assert first.inner_text("#total") == "3,000.00"
    first.fill("#received", "3500")
    assert first.inner_text("#change") == "500.00"
    first.click("#confirm")
    first.wait_for_selector("#receipt")
    assert first.inner_text("#receipt-total") == "3,000.00"
    second.wait_for_function("""() => ['1', '2'].every(id =>
        document.querySelector(`#seatmap circle[data-id="${id}"]`).classList.contains('s'))""")
    screenshot(first, "counter-receipt-th")


def test_counter_keyboard_sale_of_four_adjacent_seats(live, browser, make):
    """Type 4, Enter (best seats held, focus on Confirm), Enter: the sale is done in 3 interactions."""
    session = make.festival().sessions[0]
    make.user("seller1", roles=["seller"])
    page = _seller_context(browser, live, "seller1")
    page.goto(f"{live.url}/counter/sessions/{session.id}")
    page.wait_for_function("document.activeElement.id === 'best-count'")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('selected-count').textContent === '4'")
    page.wait_for_function("document.activeElement.id === 'confirm'")
    screenshot(page, "counter-best-four-th")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt")
    assert page.inner_text("#receipt-total") == "6,000.00"


def test_tablet_counter_on_the_full_grandstand_zooms_then_picks(live, browser, make):
    """On a tablet the 2,338-seat map fits the screen width (no sideways scrolling); its seats are too
    small for a finger, so the first tap zooms in there and the next one picks a seat. A seat of
    another organization is refused on the spot, with the reason."""
    import json

    session = make.festival(plan=json.loads(EXAMPLE.read_text(encoding="utf-8"))).sessions[0]
    seller = make.user("seller1", roles=["seller"])
    other = make.org("other")
    views = services.seat_views(session.id)
    services.allocate_seats(None, session, [v.id for v in views[:40]], other.id)
    db.session.commit()
    context = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    page = context.new_page()
    _login(page, live, seller.username)
    page.goto(f"{live.url}/counter/sessions/{session.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    expect(page.locator("#confirm")).to_be_disabled()  # nothing chosen yet (waits for the page's script)
    size = "document.querySelector('#seatmap circle.seat').getBoundingClientRect().width"
    assert page.evaluate(size) < 14
    box = page.locator("#seatmap").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(f"{size} >= 14")
    assert page.inner_text("#selected-count") == "0"  # that tap only zoomed
    centre = page.evaluate("""() => { const v = document.getElementById('seatmap').getBoundingClientRect();
        const seat = [...document.querySelectorAll('#seatmap circle.seat.a')].map(c => c.getBoundingClientRect())
          .find(r => r.x > v.x + 10 && r.right < v.right - 10 && r.y > v.y + 10 && r.bottom < v.bottom - 10);
        return [seat.x + seat.width / 2, seat.y + seat.height / 2]; }""")
    page.mouse.click(*centre)
    page.wait_for_function("document.getElementById('selected-count').textContent === '1'")
    assert not page.locator("#confirm").is_disabled()
    # The seat-tap the map sends for a seat of the other organization (it may be off screen now).
    page.evaluate(f"""() => document.getElementById('seatmap').dispatchEvent(new CustomEvent('seat-tap',
        {{detail: document.querySelector('#seatmap circle.o{other.id}')}}))""")
    page.wait_for_function("document.getElementById('counter-error').textContent.includes('องค์กรอื่น')")
    assert page.inner_text("#selected-count") == "1"
    screenshot(page, "counter-tablet-zoomed-th")
    context.close()


def test_promptpay_sale_shows_a_scannable_qr(live, browser, make):
    import zxingcpp
    from PIL import Image
    session = make.festival().sessions[0]
    central = make.central()
    central.promptpay_id = "0801234567"
    make.user("seller1", roles=["seller"])
    db.session.commit()
    page = _seller_context(browser, live, "seller1")
    page.goto(f"{live.url}/counter/sessions/{session.id}")
    page.locator("#seatmap circle.seat").nth(10).click()  # one VIP seat, 800 baht
    page.wait_for_function("document.getElementById('selected-count').textContent === '1'")
    page.check("input[value=promptpay]")
    page.wait_for_selector("#promptpay-qr svg")
    path = ARTIFACTS / "promptpay-qr.png"
    page.locator("#promptpay-qr").screenshot(path=str(path))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(path))]
    from ticketing.promptpay import payload
    assert decoded == [payload("0801234567", 80000)]
    page.click("#confirm")
    page.wait_for_selector("#receipt")
