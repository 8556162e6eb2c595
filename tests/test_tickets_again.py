"""A buyer who lost the ticket e-mail has it sent again from the shop's page (``shop.resend``): only
their live orders for sessions not yet over, the same answer whether or not anything matched, at most
three requests an hour per address and twenty per client, counted whether or not the address bought, bad
addresses refused with nothing sent or noted."""
import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from browser import LiveServer, require_browser, screenshot
from conftest import login
from test_browser import _fonts_loaded, browser  # noqa: F401 (fixture)
from ticketing import create_app
from ticketing.accounts.models import RateLimitCounter
from ticketing.audit.models import AuditEntry
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import Order, OrderEmail
from ticketing.sales.services import PaymentInput, sell
from ticketing.timeutil import utcnow
from waiting import wait_until

SENT = "ระบบกำลังส่งลิงก์บัตรไปที่อีเมลนั้น"


@pytest.fixture
def orders(app, make, tmp_path):
    """Orders of somying@example.com: two live ones (one typed with capitals), one void, one for a session
    that is over; and one order of someone else."""
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    festival = make.festival(sessions=2)
    coming, past = festival.sessions
    seller = make.user("seller1", roles=["seller"])
    make.user("admin1", roles=["admin"])
    seats = {s.id: [v.id for v in inventory.seat_views(s.id)] for s in (coming, past)}

    def sale(session, i, address):
        return sell(seller, session.id, [seats[session.id][i]], PaymentInput("cash"), {"email": address})
    live_orders = [sale(coming, 0, "somying@example.com"), sale(coming, 1, "SomYing@Example.com ")]
    void = sale(coming, 2, "somying@example.com")
    over = sale(past, 0, "somying@example.com")
    other = sale(coming, 3, "someone@example.com")
    db.session.flush()
    db.session.execute(update(Order).where(Order.id == void.id).values(status="void"))
    past.starts_at = utcnow() - timedelta(hours=13)  # no end time: over 12 hours after it started
    db.session.commit()
    return {"live": live_orders, "void": void, "over": over, "other": other, "outbox": tmp_path / "outbox"}


def _mails(outbox) -> list:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(outbox.glob("*.eml"))] if outbox.exists() else []


def _ask(client, address):
    return client.post("/shop/tickets-again", data={"email": address})


def _mailed(orders, n: int) -> list:
    """The outbox once it holds ``n`` messages (they are sent from a thread, after the answer)."""
    return wait_until(lambda: len(found := _mails(orders["outbox"])) == n and found, f"{n} e-mails in the outbox")


def _noted() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(OrderEmail)),
            db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.email")))


def test_the_live_orders_of_that_address_are_sent_again(client, orders):
    page = client.get("/shop/tickets-again")
    assert page.status_code == 200 and "ส่งบัตรของฉันอีกครั้ง" in page.get_data(as_text=True)
    answer = _ask(client, "  SOMYING@example.com ")
    assert answer.status_code == 303
    assert SENT in client.get(answer.headers["Location"]).get_data(as_text=True)
    mails = _mailed(orders, 2)
    assert {m["To"] for m in mails} == {"SOMYING@example.com"}
    bodies = " ".join(m.get_content() for m in mails)
    for order in orders["live"]:
        assert f"/t/{order.access_token}" in bodies
    for order in (orders["void"], orders["over"], orders["other"]):
        assert order.access_token not in bodies
    sent = db.session.scalars(select(OrderEmail)).all()
    assert {e.order_id for e in sent} == {o.id for o in orders["live"]} and {e.by_id for e in sent} == {None}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.email")).all()
    assert {e.object_id for e in entries} == {o.id for o in orders["live"]}
    assert {e.user_id for e in entries} == {None}
    assert {e.organization_id for e in entries} == {orders["live"][0].organization_id}
    # the orders desk says who asked
    login(client, "admin1")
    page = client.get(f"/orders/{orders['live'][0].id}").get_data(as_text=True)
    assert page.count("ผู้ซื้อ ขอผ่านร้านออนไลน์") == 2  # in the e-mails sent and in the audit trail


def test_an_address_without_orders_gets_the_same_answer_and_nothing_is_sent(client, orders):
    answer = _ask(client, "nobody@example.com")
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert SENT in page and "nobody@example.com" in page
    assert _mails(orders["outbox"]) == [] and _noted() == (0, 0)


@pytest.mark.parametrize("address", ["", "somying", "somying@example", "a@b@example.com",
                                     "x" * 190 + "@example.com"])
def test_a_bad_address_is_refused_and_changes_nothing(client, orders, address):
    answer = _ask(client, address)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    # said once above the form and once at the field
    assert page.count("กรุณาใส่อีเมลที่ใช้ตอนซื้อ เช่น name@example.com") == 2 and 'aria-invalid="true"' in page
    assert _mails(orders["outbox"]) == [] and _noted() == (0, 0)


def test_an_address_is_served_three_times_an_hour_whether_or_not_it_bought(client, orders):
    for _ in range(3):
        assert _ask(client, "somying@example.com").status_code == 303
    _mailed(orders, 6)
    answer = _ask(client, "Somying@example.com")  # the fourth: refused, nothing sent
    assert answer.status_code == 429 and "ขอส่งบัตรบ่อยเกินไป" in answer.get_data(as_text=True)
    assert len(_mails(orders["outbox"])) == 6 and _noted() == (6, 6)
    assert _ask(client, "someone@example.com").status_code == 303  # another address is not held back
    _mailed(orders, 7)
    # an address that bought nothing is counted the same: the limit does not tell who bought
    assert [_ask(client, "nobody@example.com").status_code for _ in range(4)] == [303, 303, 303, 429]
    db.session.execute(delete(RateLimitCounter))  # the hour is over
    db.session.commit()
    assert _ask(client, "somying@example.com").status_code == 303
    _mailed(orders, 9)


def test_a_client_trying_address_after_address_is_held_back(app, client, orders):
    app.config["TICKETS_AGAIN_PER_CLIENT"] = 2
    assert _ask(client, "a@example.com").status_code == 303
    assert _ask(client, "b@example.com").status_code == 303
    assert _ask(client, "somying@example.com").status_code == 429  # trying addresses one after another
    assert _mails(orders["outbox"]) == [] and _noted() == (0, 0)


def test_a_staff_email_does_not_count_against_the_buyer(client, orders):
    login(client, "admin1")
    for _ in range(3):
        client.post(f"/orders/{orders['live'][0].id}/email", data={"email": "somying@example.com"})
    client.post("/logout")
    assert len(_mails(orders["outbox"])) == 3
    _ask(client, "somying@example.com")
    _mailed(orders, 5)


def test_the_page_in_a_phone_browser(app, browser, orders):  # noqa: F811
    require_browser()
    server_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                             "MAIL_OUTBOX": str(orders["outbox"])})
    with LiveServer(server_app) as live:
        _ask_in_a_phone_browser(live, browser, orders)
    with server_app.app_context():
        db.engine.dispose()


def _ask_in_a_phone_browser(live, browser, orders):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live.url}/shop/")
    page.click("#tickets-again-link")
    page.fill("#email", "somying")
    page.click("#tickets-again button[type=submit]")
    page.wait_for_selector("#email-error")
    assert page.get_attribute("#email", "aria-invalid") == "true"
    _fonts_loaded(page)
    screenshot(page, "shop-tickets-again-error-th")
    page.fill("#email", "somying@example.com")
    page.click("#tickets-again button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert SENT in page.inner_text(".flash.success")
    assert page.input_value("#email") == ""
    _fonts_loaded(page)
    screenshot(page, "shop-tickets-again-sent-th")
    _mailed(orders, 2)
    context.close()
