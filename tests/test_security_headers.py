"""Headers and uploads (issue 14, item 4): security headers on every response, a Content-Security-Policy
that pages work under (no inline script; checked in Chromium with its console), no-store on receipts and
tickets, receipts checked by content and downloaded, secure cookies outside the demo, and a production
install that refuses to start without its own secret."""
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from browser import browser, live  # noqa: F401 (fixtures)
from conftest import ROOT, login
from ticketing import create_app
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.revenue.models import Expense
from ticketing.sales.services import PaymentInput, sell
from ticketing.tickets.views import phone_url

TEMPLATES = ROOT / "templates"


def _policy(resp) -> dict[str, str]:
    return {part.split()[0]: part for part in (p.strip() for p in resp.headers["Content-Security-Policy"].split(";"))
            if part}


def _assert_security_headers(resp, what):
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
    assert resp.headers.get("Referrer-Policy") == "same-origin", what
    assert resp.headers.get("X-Frame-Options") == "DENY", what
    policy = _policy(resp)
    assert policy.get("frame-ancestors") == "frame-ancestors 'none'", what
    if resp.mimetype != "application/pdf":
        assert policy["script-src"] == "script-src 'self'", what  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'self'", what


def test_every_response_carries_the_security_headers(client, make):
    make.user("boss", roles=["admin"])
    samples = {
        "page": client.get("/login"), "redirect": client.get("/lang/en?next=/"), "missing page": client.get("/nope"),
        "static file": client.get("/static/js/confirm.js"), "API error": client.get("/api/v1/festivals"),
        "API document": client.get("/api/v1/openapi.json"), "refused sign-in": client.post(
            "/login", data={"username": "boss", "password": "wrong"}),
    }
    for what, resp in samples.items():
        _assert_security_headers(resp, what)


def test_https_answers_tell_the_browser_to_keep_to_https(app):
    """Strict-Transport-Security on answers over HTTPS only (plain HTTP cannot set it), and behind a proxy
    only when the proxy is trusted to say the scheme (TRUSTED_PROXIES)."""
    client = app.test_client()
    assert client.get("/login", base_url="https://tickets.example").headers["Strict-Transport-Security"] \
        == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login").headers
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in client.get("/login", headers=forwarded).headers  # not trusted
    behind = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                         "TRUSTED_PROXIES": 1})
    answer = behind.test_client().get("/login", headers=forwarded)
    assert answer.status_code == 200 and answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    with behind.app_context():
        db.engine.dispose()


def test_every_page_without_parameters_carries_them(app, client, make):
    """Every GET route of the URL map that needs no parameter, as an admin: a new page cannot forget them."""
    make.user("boss", roles=["admin"])
    login(client, "boss")
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments]
    assert len(rules) > 10
    for rule in rules:
        _assert_security_headers(client.get(rule.rule), rule.rule)


def test_templates_have_no_inline_script_or_event_handler():
    """The policy forbids inline scripts: one left in a template would silently stop working."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:  # JSON data blocks do not run
                problems.append(f"{path.relative_to(ROOT)}: inline {tag}")
        for handler in re.findall(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", text):
            problems.append(f"{path.relative_to(ROOT)}: event handler {handler}=")
        if re.search(r"""(href|src|action)\s*=\s*["']\s*javascript:""", text, re.I):
            problems.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert problems == []


@pytest.fixture
def sold(make):
    session = make.festival(sessions=2).sessions[0]
    seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(session.id)
    order = sell(seller, session.id, [seats[0].id], PaymentInput("cash"), {"email": "b@example.com"})
    db.session.commit()
    return order


def test_receipts_and_tickets_are_not_stored(app, client, sold):
    login(client, "seller1")
    with app.test_request_context():
        phone = phone_url(sold)
    path = "/" + phone.split("/", 3)[3] if phone.startswith("http") else phone
    pages = [f"/counter/orders/{sold.id}", f"/counter/orders/{sold.id}/tickets-a6.pdf", f"/orders/{sold.id}", path,
             f"{path}/tickets-a6.pdf", f"{path}/{sold.tickets[0].id}.svg"]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "no-store", url
        _assert_security_headers(resp, url)
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


# --- uploaded receipts -------------------------------------------------------------------------------

def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture
def treasurer(app, client, make, tmp_path):
    festival = make.festival()
    make.user("treasurer", roles=["treasurer"])
    app.config["INSTANCE_PATH"] = str(tmp_path)
    login(client, "treasurer")
    return festival


def _upload(client, festival, name, content):
    return client.post(f"/revenue/expenses?festival={festival.id}", content_type="multipart/form-data", data={
        "spent_on": "2027-07-01", "category": "promotion", "amount": "1500", "payee": "Ubon Print",
        "receipt": (io.BytesIO(content), name)})


@pytest.mark.parametrize("name, content", [
    ("receipt.pdf", b"<html><script>alert(document.cookie)</script></html>"),
    ("receipt.pdf", _png()),                       # a picture calling itself a PDF
    ("receipt.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),  # and the other way round
    ("receipt.jpg", b"GIF89a\x01\x00\x01\x00"),
    ("receipt.jpeg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
])
def test_a_receipt_whose_content_is_not_what_it_says_is_refused(client, treasurer, name, content):
    resp = _upload(client, treasurer, name, content)
    assert "ไม่ใช่ PDF, PNG หรือ JPEG ตามที่ชื่อไฟล์บอก" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Expense)) is None
    assert not any(Path(client.application.config["INSTANCE_PATH"]).glob("receipts/*"))


@pytest.mark.parametrize("name, content, mimetype", [
    ("ใบเสร็จ.png", _png(), "image/png"), ("scan.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "image/jpeg"),
    ("vtr.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")])
def test_a_receipt_is_kept_and_served_as_a_download(client, treasurer, name, content, mimetype):
    _upload(client, treasurer, name, content)
    expense = db.session.scalar(select(Expense))
    resp = client.get(f"/revenue/expenses/{expense.id}/receipt")
    assert resp.data == content and resp.mimetype == mimetype
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Content-Type-Options"] == "nosniff"


# --- cookies and secrets by environment --------------------------------------------------------------

def test_demo_runs_with_its_generated_secret_over_http(monkeypatch):
    for name in ("TICKETING_ENV", "DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"TESTING": True})
    assert app.config["TICKETING_ENV"] == "demo" and app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False and app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("secret", [None, "", "changeme", "secret"])
def test_production_refuses_to_start_without_a_secret_of_its_own(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.delenv("TICKETING_ENV", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    # Also with TICKETING_ENV=production on the demo's own SQLite file, whose secret is generated.
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("TICKETING_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_with_its_secret_starts_with_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "k8Jq2-production-secret-of-its-own-Xw")
    monkeypatch.delenv("TICKETING_ENV", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app()
    assert app.config["TICKETING_ENV"] == "production" and app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")  # a trial over plain HTTP, said out loud
    assert create_app().config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("TICKETING_ENV", "staging")
    with pytest.raises(RuntimeError, match="TICKETING_ENV"):
        create_app()


# --- pages work under the policy, in Chromium --------------------------------------------------------

def _watch(page, problems):
    """Collect console errors and warnings (a CSP violation is one), script errors and failed loads (by
    address: the console does not say which). The browser's own guess at /favicon.ico is not ours."""
    def console(msg):
        if msg.type in ("error", "warning") and not msg.text.startswith("Failed to load resource"):
            problems.append(f"{page.url}: console {msg.type}: {msg.text}")

    def response(resp):
        if resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
            problems.append(f"{page.url}: {resp.status} for {resp.url}")

    page.on("console", console)
    page.on("pageerror", lambda err: problems.append(f"{page.url}: {err}"))
    page.on("response", response)


def test_pages_work_under_the_policy_with_no_console_error(live, browser, make, sold):
    """The counter, the receipt, the phone ticket, the gate and the admin pages in Chromium: no
    Content-Security-Policy violation or script error in the console, and the moved scripts still act."""
    make.user("boss", roles=["admin"])
    make.user("guard", roles=["gate"])
    problems = []
    page = None

    def sign_in(username):
        nonlocal page
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _watch(page, problems)
        page.goto(f"{live.url}/login")
        page.fill("#username", username)
        page.fill("#password", "secret-pass")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)

    sign_in("seller1")
    page.goto(f"{live.url}/counter/sessions/{sold.session_id}")
    page.wait_for_selector("#seatmap svg")
    page.goto(f"{live.url}/counter/orders/{sold.id}")
    page.evaluate("window.print = () => { document.body.dataset.printed = '1'; }")
    page.click("button[data-print]")  # behaviours.js, not an inline onclick
    assert page.evaluate("document.body.dataset.printed") == "1"
    phone = page.get_attribute("#phone-link", "href")

    sign_in("boss")
    page.goto(f"{live.url}/admin/users")
    page.click("text=seller1")
    page.click("text=" + ("สร้างโทเค็น API" if page.locator("text=สร้างโทเค็น API").count() else "Create an API token"))
    page.wait_for_selector("#new-token")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.click("button[data-copy]")
    page.wait_for_function("async () => (await navigator.clipboard.readText()).startsWith('cft_')")
    page.goto(f"{live.url}/gate/dashboard")
    value = page.locator("select[data-autosubmit] option").nth(1).get_attribute("value")
    page.select_option("select[data-autosubmit]", value)  # sends its form (behaviours.js)
    page.wait_for_url(lambda url: f"session={value}" in url)
    page.goto(f"{live.url}/admin/sessions/{sold.session_id}/seats")
    page.wait_for_selector("#seatmap svg")

    sign_in("guard")
    page.goto(f"{live.url}/gate/")
    page.wait_for_load_state("networkidle")

    buyer = browser.new_context(viewport={"width": 390, "height": 800})
    phone_page = buyer.new_page()
    _watch(phone_page, problems)
    phone_page.goto(f"{live.url}/t/{phone.split('/t/', 1)[1]}")
    phone_page.wait_for_function("document.body.dataset.offlineReady === '1'")  # phone.js ran and kept the page
    buyer.close()
    assert problems == []
