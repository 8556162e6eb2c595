"""The gate page in a real headless Chromium (Playwright) against a real HTTP server: a hand scanner
(keyboard wedge), the camera (Chromium's fake camera showing a real ticket's QR), and offline scans
that sync when the network returns, with a conflict planted by a second device."""
from datetime import timedelta

import pytest

from browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, live, require_browser, screenshot  # noqa: F401 (live: fixture)
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.gate import services as gate
from ticketing.gate.models import CheckIn
from ticketing.inventory import services as inventory
from ticketing.sales.services import PaymentInput, sell
from ticketing.seating.models import Seat
from ticketing.tickets import services as tickets
from ticketing.timeutil import utcnow

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
ANSWER = "#answer:not([hidden])"


@pytest.fixture
def playwright():
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield b
    b.close()


@pytest.fixture
def gate_day(make):
    """A session whose gates are open, entrance N bound to stand A and S unbound, six sold tickets, a gate user."""
    festival = make.festival()
    session = festival.sessions[0]
    session.gate_opens_at = utcnow() - timedelta(hours=1)  # the test sessions start in 2027
    admin = make.user("boss", roles=["admin"])
    north = gate.save_entrance(admin, festival.id, None, code="N", name_th="ประตูเหนือ", name_en="North", stands=["A"])
    gate.save_entrance(admin, festival.id, None, code="S", name_th="ประตูใต้", name_en="South", stands=[])
    seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(session.id)
    order = sell(seller, session.id, [s.id for s in seats[:6]], PaymentInput("cash"), {})
    guard = make.user("gate1", roles=["gate"])
    db.session.commit()

    class Day:
        pass
    d = Day()
    d.festival, d.session, d.north, d.guard, d.order = festival, session, north, guard, order
    d.codes = [tickets.code_for(t) for t in order.tickets]
    d.labels = [db.session.get(Seat, t.seat_id).label for t in order.tickets]
    d.rows = [db.session.get(Seat, t.seat_id).row_label for t in order.tickets]
    d.scan_url = f"/gate/sessions/{session.id}/entrances/{north.id}?mode=entry"
    return d


def _login(page, live, username, password="secret-pass"):
    page.goto(f"{live.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _fonts_loaded(page):
    page.wait_for_function("document.fonts.check('16px Sarabun', 'ผ่าน') && document.fonts.status === 'loaded'")


def _picture(page, name):
    """The screen as the guard sees it (the answer covers the screen, not the whole page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _scan_by_hand_scanner(page, code):
    """A keyboard-wedge scanner types the code and Enter into whatever has the focus."""
    page.keyboard.type(code, delay=0)
    page.keyboard.press("Enter")


def _answer(page, colour):
    from playwright.sync_api import expect
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-colour", colour)
    expect(answer).to_be_visible()
    return answer


def _next(page):
    """Tap the answer away (as the guard does), and the page is ready again."""
    page.click("#answer")
    page.wait_for_selector("#answer", state="hidden")


def test_hand_scanner_green_then_amber_then_red(live, browser, gate_day):
    from playwright.sync_api import expect
    d = gate_day
    page = browser.new_page(viewport=PHONE, has_touch=True)
    _login(page, live, "gate1")
    assert page.url.endswith("/gate/")  # gate staff start at the gate
    assert page.locator("#entrance option:not([disabled])").count() == 2
    page.select_option("#entrance", str(d.north.id))
    assert page.locator("#exit-choice").is_hidden()  # no re-entry in this session: no exit scans
    page.fill("#device", "phone-1")
    _fonts_loaded(page)
    screenshot(page, "gate-phone-setup")
    page.click("#start")
    page.wait_for_url(f"**{d.scan_url}")
    expect(page.locator("#device-name")).to_have_text("phone-1")
    page.wait_for_function("document.activeElement.id === 'wedge'")

    _scan_by_hand_scanner(page, d.codes[0])
    answer = _answer(page, "green")
    expect(page.locator("#answer-seat [data-fact=seat]")).to_have_text(d.labels[0])
    expect(page.locator("#answer-title")).to_have_text("ผ่าน")
    expect(page.locator("#answer-seat")).to_contain_text("โซน")
    expect(page.locator("#answer-seat [data-fact=row]")).to_have_text(d.rows[0])
    expect(page.locator("#answer-facts")).to_contain_text("อัฒจันทร์ A")
    assert answer.get_attribute("data-offline") == "0"
    _fonts_loaded(page)
    _picture(page, "gate-phone-green")

    # The same ticket again, straight away (the answer is still up: the next scan replaces it).
    _scan_by_hand_scanner(page, d.codes[0])
    _answer(page, "amber")
    expect(page.locator("#answer-when")).to_contain_text("ประตูเหนือ")
    expect(page.locator("#answer-when")).to_contain_text("น.")
    _picture(page, "gate-phone-amber")
    _next(page)

    forged = d.codes[1][:40] + ("A" if d.codes[1][40] != "A" else "B") + d.codes[1][41:]
    _scan_by_hand_scanner(page, forged)
    _answer(page, "red")
    expect(page.locator("#answer-message")).to_contain_text("ไม่ใช่ตั๋วที่ถูกต้อง")
    _picture(page, "gate-phone-red")
    _next(page)
    expect(page.locator("#last")).to_contain_text("ไม่ใช่ตั๋วที่ถูกต้อง")
    expect(page.locator("#last")).to_have_attribute("data-colour", "red")
    expect(page.locator("#count-admitted")).to_have_text("1")
    expect(page.locator("#count-to-come")).to_have_text("5")
    _fonts_loaded(page)
    screenshot(page, "gate-phone-ready")

    db.session.expire_all()
    rows = db.session.scalars(db.select(CheckIn).order_by(CheckIn.id)).all()
    assert [(r.result, r.device, r.offline) for r in rows] == [
        ("ok", "phone-1", False), ("already_used", "phone-1", False), ("invalid", "phone-1", False)]
    assert len({r.nonce for r in rows}) == 3  # a fresh nonce per scan


def test_hand_scanner_on_a_thai_keyboard_layout(live, browser, gate_day):
    """A USB scanner on a computer whose keyboard is switched to Thai types Thai characters for the
    code's letters; the page reads the keys pressed instead."""
    from playwright.sync_api import expect
    d = gate_day
    page = browser.new_page(viewport=TABLET)
    _login(page, live, "gate1")
    page.goto(live.url + d.scan_url)
    page.wait_for_function("document.activeElement.id === 'wedge'")
    cdp = page.context.new_cdp_session(page)
    thai = "ฟิสแอดเ้่าสวงผปแอิืทมใฝ"  # what the keys give on the Kedmanee layout (any Thai will do here)
    for i, char in enumerate(d.codes[4]):
        code = f"Digit{char}" if char.isdigit() else f"Key{char}"
        for kind in ("keyDown", "keyUp"):
            cdp.send("Input.dispatchKeyEvent", {"type": kind, "code": code, "key": thai[i % len(thai)],
                                                **({"text": thai[i % len(thai)]} if kind == "keyDown" else {})})
    assert page.eval_on_selector("#wedge", "el => /[\u0e00-\u0e7f]/.test(el.value)")
    page.keyboard.press("Enter")
    _answer(page, "green")
    expect(page.locator("#answer-seat [data-fact=seat]")).to_have_text(d.labels[4])


def test_tablet_lookup_admits_a_damaged_ticket(live, browser, gate_day):
    from playwright.sync_api import expect
    d = gate_day
    page = browser.new_page(viewport=TABLET)
    _login(page, live, "gate1")
    page.goto(live.url + d.scan_url)
    page.click("#lookup summary")
    page.fill("#lookup-q", d.order.id[:8])
    page.click("#lookup-form button")
    expect(page.locator("#lookup-results li")).to_have_count(6)
    seat = f"แถว {d.rows[2]} · ที่นั่ง {d.labels[2]}"
    page.locator("#lookup-results li").filter(has=page.locator("b", has_text=seat)).first.locator("button").click()
    _answer(page, "green")
    expect(page.locator("#answer-seat [data-fact=seat]")).to_have_text(d.labels[2])
    _fonts_loaded(page)
    _picture(page, "gate-tablet-green")
    _next(page)
    page.wait_for_function("document.activeElement.id === 'wedge'")  # ready for the hand scanner again
    expect(page.locator("#lookup-results li").filter(has=page.locator("b", has_text=seat))).to_contain_text("อยู่ข้างในตั้งแต่")
    _fonts_loaded(page)
    screenshot(page, "gate-tablet-ready")
    db.session.expire_all()
    manual = db.session.scalars(db.select(CheckIn).where(CheckIn.method == "manual")).all()
    assert [(m.result, m.ticket_id) for m in manual] == [("ok", d.order.tickets[2].id)]


def _y4m_of_qr(code: str, path) -> None:
    """A fake camera video (YUV4MPEG2, 640x480 greyscale) showing the ticket's QR."""
    import qrcode
    from PIL import Image
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(image, ((640 - image.width) // 2, (480 - image.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(20):
            f.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_camera_admits_a_ticket(live, playwright, gate_day, tmp_path):
    from playwright.sync_api import expect
    d = gate_day
    video = tmp_path / "ticket.y4m"
    _y4m_of_qr(d.codes[3], video)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport=PHONE, permissions=["camera"])
        page = context.new_page()
        _login(page, live, "gate1")
        page.goto(live.url + d.scan_url)
        expect(page.locator("#camera-box")).to_have_attribute("data-state", "on")
        _answer(page, "green")
        expect(page.locator("#answer-seat [data-fact=seat]")).to_have_text(d.labels[3])
        # The code stays in front of the camera: read again and again, sent once.
        page.wait_for_function("Number(document.body.dataset.cameraReads || 0) >= 10")
        expect(page.locator("#answer")).to_have_attribute("data-colour", "green")
        db.session.expire_all()
        assert db.session.scalars(db.select(CheckIn.result)).all() == ["ok"]
        page.click("#answer")
        _fonts_loaded(page)
        screenshot(page, "gate-phone-camera")
    finally:
        browser.close()


def test_offline_scans_queue_and_sync_with_a_conflict(live, browser, gate_day, client):
    from playwright.sync_api import expect
    d = gate_day
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _login(page, live, "gate1")
    page.evaluate("localStorage.setItem('gate.device', 'phone-1')")
    page.goto(live.url + d.scan_url)
    page.wait_for_function("document.body.dataset.bundle === 'stored' && document.body.dataset.offlineReady === '1'")

    context.set_offline(True)
    page.reload()  # the page itself now comes from the service worker, the bundle from IndexedDB
    page.wait_for_function("document.body.dataset.bundle === 'stored'")
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    expect(page.locator("#net")).to_have_text("ออฟไลน์")
    page.wait_for_function("document.activeElement.id === 'wedge'")

    for i in range(3):
        _scan_by_hand_scanner(page, d.codes[i])
        _answer(page, "green")
        expect(page.locator("#answer-seat [data-fact=seat]")).to_have_text(d.labels[i])
        expect(page.locator("#answer-offline")).to_be_visible()
        expect(page.locator("#queue")).to_have_attribute("data-count", str(i + 1))
    _fonts_loaded(page)
    _picture(page, "gate-phone-offline-green")
    _scan_by_hand_scanner(page, d.codes[0])  # this device's own earlier scan: already used
    _answer(page, "amber")
    expect(page.locator("#answer-offline")).to_be_visible()
    _scan_by_hand_scanner(page, "NOT-A-TICKET")
    _answer(page, "red")
    expect(page.locator("#queue")).to_have_attribute("data-count", "5")
    _next(page)

    # Meanwhile a second device, online, admits one of the three.
    token = issue_token(None, d.guard)
    db.session.commit()
    second = client.post("/api/v1/checkins", headers={"Authorization": f"Bearer {token}"},
                         json={"code": d.codes[1], "session_id": d.session.id, "entrance": d.north.id,
                               "device": "phone-2", "nonce": "phone-2-first"}).get_json()
    assert second["result"] == "ok"

    context.set_offline(False)
    expect(page.locator("#queue")).to_have_attribute("data-count", "0")
    expect(page.locator("#net")).to_have_attribute("data-state", "online")
    conflict = page.locator(".notice.conflict")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text(f"แถว {d.rows[1]} · ที่นั่ง {d.labels[1]}")
    expect(page.locator("#count-admitted")).to_have_text("3")
    _fonts_loaded(page)
    screenshot(page, "gate-phone-conflict")

    db.session.expire_all()
    rows = db.session.scalars(db.select(CheckIn).where(CheckIn.device == "phone-1").order_by(CheckIn.scanned_at)).all()
    assert len(rows) == 5 and all(r.offline for r in rows)
    assert [r.device_result for r in rows] == ["ok", "ok", "ok", "already_used", "invalid"]
    assert [r.result for r in rows] == ["ok", "already_used", "ok", "already_used", "invalid"]
    assert [r.conflict for r in rows] == [False, True, False, False, False]
