"""The online shop against the real stripe library and a local Stripe stand-in: holds, checkout,
signed webhooks (bad, stale, future, replayed, duplicated, out of order), late payments, refunds,
reconciliation. Webhooks are posted signed exactly as Stripe signs them."""
import re
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from browser import LiveServer
from stripe_fixtures import stripe_standin  # noqa: F401  (fixture)
from ticketing import create_app
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.ledger.models import LedgerEntry
from ticketing.revenue.check import problems
from ticketing.sales.models import Order, Payment, Refund, Ticket
from ticketing.shop.models import Cart, StripeEvent
from ticketing.timeutil import utcnow

SECRET = "whsec_test_secret"


@pytest.fixture
def shop(app, make, stripe_standin, tmp_path):
    festival = make.festival()
    session = festival.sessions[0]
    seats = inventory.seat_views(session.id)
    online = [s.id for s in seats[:8]]
    inventory.allocate_seats(None, session, online, inventory.ONLINE)
    db.session.commit()
    app.config.update(STRIPE_SECRET_KEY=stripe_standin.secret_key, STRIPE_API_BASE=stripe_standin.url,
                      STRIPE_WEBHOOK_SECRET=SECRET, MAIL_OUTBOX=str(tmp_path / "outbox"))
    return {"session": session, "online": online, "pool": [s.id for s in seats[8:12]], "standin": stripe_standin,
            "outbox": tmp_path / "outbox"}


def _hold(client, shop, ids=None, **form):
    data = {"seat_ids": ",".join(map(str, ids))} if ids else form
    resp = client.post(f"/shop/s/{shop['session'].id}/hold", data=data)
    return resp


def _cart(client, shop, ids) -> Cart:
    resp = _hold(client, shop, ids)
    assert resp.status_code == 303, resp.data[:500]
    return db.session.get(Cart, resp.headers["Location"].rsplit("/", 1)[1])


BUYER = {"name": "สมหญิง ใจดี", "phone": "081 234 5678", "email": "somying@example.com"}


def _pay(client, cart, buyer=BUYER):
    return client.post(f"/shop/cart/{cart.id}/pay", data=buyer)


def _post_event(client, standin, kind, obj, *, event_id=None, timestamp=None, secret=SECRET):
    body, headers = standin.webhook(standin.event(kind, obj, id=event_id), secret, timestamp)
    return client.post("/stripe/webhook", data=body, headers=headers)


def _orders():
    return db.session.scalar(select(func.count()).select_from(Order))


def _paid_cart(client, shop, ids, method="card"):
    cart = _cart(client, shop, ids)
    resp = _pay(client, cart)
    assert resp.status_code == 303 and resp.headers["Location"].startswith(shop["standin"].url), resp.data[:300]
    db.session.refresh(cart)
    return cart, shop["standin"].pay(cart.checkout_session_id, method=method, fee=1234)


def test_no_keys_the_shop_says_payment_is_unavailable_and_still_holds(app, client, make):
    festival = make.festival()
    session = festival.sessions[0]
    inventory.allocate_seats(None, session, [s.id for s in inventory.seat_views(session.id)[:4]], inventory.ONLINE)
    db.session.commit()
    page = client.get("/shop/").get_data(as_text=True)
    assert "ขณะนี้ยังชำระเงินออนไลน์ไม่ได้" in page  # Thai first: "Online payment is not available at the moment"
    resp = client.post(f"/shop/s/{session.id}/hold", data={"count": "2", "category": "front"})
    assert resp.status_code == 303
    cart = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert '/release"' in cart and '/pay"' not in cart  # the seats can be given back; there is no pay button
    assert client.post("/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}).status_code == 503


def test_visitor_home_links_to_the_shop(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/shop/"' in page


def test_hold_rules(client, shop):
    cart = _cart(client, shop, shop["online"][:2])
    held = db.session.scalars(select(SeatInventory).where(SeatInventory.cart_id == cart.id)).all()
    assert sorted(s.seat_id for s in held) == shop["online"][:2] and all(s.state == "held" for s in held)
    assert (cart.expires_at - utcnow()) <= timedelta(minutes=15)
    # the pool is not sold online here: nothing is held, the buyer is told
    resp = _hold(client, shop, shop["pool"][:1])
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.seat_id == shop["pool"][0], SeatInventory.state == "held")) == 0
    # choosing again in the same browser gives the first cart's seats back
    second = _cart(client, shop, shop["online"][2:4])
    db.session.refresh(cart)
    assert cart.status == "released" and second.status == "open"
    assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.state == "held")) == 2
    # more than 10 seats: refused, and bad ids too
    for bad in ({"seat_ids": ",".join(str(i) for i in range(1, 12))}, {"seat_ids": "abc"},
                {"seat_ids": "99999999999"}, {"count": "0"}, {"count": "11"}, {"count": "x"}):
        before = db.session.scalar(select(func.count()).select_from(Cart))
        assert client.post(f"/shop/s/{shop['session'].id}/hold", data=bad).status_code == 302
        assert db.session.scalar(select(func.count()).select_from(Cart)) == before


def test_best_seats_are_only_online_seats(client, shop):
    resp = _hold(client, shop, count="3", category="front")
    cart = db.session.get(Cart, resp.headers["Location"].rsplit("/", 1)[1])
    assert {s.seat_id for s in cart.seats} <= set(shop["online"]) and len(cart.seats) == 3


def test_an_expired_hold_is_free_without_any_sweeper(app, client, shop):
    cart = _cart(client, shop, shop["online"][:2])
    db.session.execute(update(Cart).where(Cart.id == cart.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.execute(update(SeatInventory).where(SeatInventory.cart_id == cart.id)
                       .values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    other = app.test_client()
    taken = _cart(other, shop, shop["online"][:2])
    assert taken.status == "open"
    page = client.get(f"/shop/cart/{cart.id}").get_data(as_text=True)
    assert "หมดเวลาจองแล้ว" in page and '/pay"' not in page  # "Your hold has run out": no pay button
    assert _pay(client, cart).status_code == 302  # refused: nothing at Stripe
    assert shop["standin"].calls("POST", "/v1/checkout/sessions") == []


def _seat_class(page: str, seat_id: int) -> str:
    return re.search(r'<circle class="([^"]*)"[^>]*? data-id="%d"' % seat_id, page).group(1)


def test_the_map_is_drawn_once_a_second_and_shows_a_refused_buyer_the_truth(app, client, shop, monkeypatch):
    """The session page's map is drawn at most once every SHOP_MAP_SECONDS (shop.mapcache); a buyer refused
    seats sees them taken on the next page, even on a map drawn before they were."""
    from ticketing.shop import mapcache, views
    drawn, now = [], [1000.0]
    monkeypatch.setattr(mapcache, "clock", lambda: now[0])
    real_render = views.render_svg
    monkeypatch.setattr(views, "render_svg", lambda *a, **k: drawn.append(1) or real_render(*a, **k))
    url = f"/shop/s/{shop['session'].id}"
    seat = shop["online"][0]
    assert "seat a " in _seat_class(client.get(url).get_data(as_text=True), seat) + " "
    other = app.test_client()
    _cart(other, shop, [seat])  # another buyer holds it
    now[0] += 0.5
    page = client.get(url).get_data(as_text=True)
    assert len(drawn) == 1 and _seat_class(page, seat).startswith("seat a")  # the same drawing, half a second old
    assert 'data-taken=""' in page
    monkeypatch.setattr(mapcache, "forget", lambda session_id: None)  # as if the refusal came to another process
    assert _hold(client, shop, [seat, shop["online"][1]]).status_code == 302  # refused: the seat is taken
    page = client.get(url).get_data(as_text=True)
    assert len(drawn) == 1 and f'data-taken="{seat}"' in page  # the old drawing, and the seat the page marks taken
    assert 'data-taken=""' in client.get(url).get_data(as_text=True)  # said once
    now[0] += 1.0
    page = client.get(url).get_data(as_text=True)
    assert len(drawn) == 2 and _seat_class(page, seat).startswith("seat h")  # a second later: drawn again
    app.config["SHOP_MAP_SECONDS"] = 0
    client.get(url)
    client.get(url)
    assert len(drawn) == 4  # 0: drawn on every visit


def test_a_refused_hold_has_this_process_draw_the_map_again(app, client, shop, monkeypatch):
    from ticketing.shop import mapcache
    monkeypatch.setattr(mapcache, "clock", lambda: 1000.0)  # time stands still: only the refusal redraws
    url = f"/shop/s/{shop['session'].id}"
    seat = shop["online"][0]
    client.get(url)
    _cart(app.test_client(), shop, [seat])
    assert _seat_class(client.get(url).get_data(as_text=True), seat).startswith("seat a")  # the first drawing
    assert _hold(client, shop, [seat]).status_code == 302
    assert _seat_class(client.get(url).get_data(as_text=True), seat).startswith("seat h")


def test_a_map_drawn_while_it_is_forgotten_is_not_kept(app):
    """A drawing begun before a refusal may miss the sale that caused it: it is used once, not kept."""
    from ticketing.shop import mapcache
    app.config["SHOP_MAP_SECONDS"] = 60
    with app.test_request_context():
        def drawn_while_a_buyer_is_refused():
            mapcache.forget(7)
            return "old"
        assert mapcache.session_map(7, drawn_while_a_buyer_is_refused) == "old"
        assert mapcache.session_map(7, lambda: "new") == "new"
        assert mapcache.session_map(7, lambda: "newer") == "new"  # kept for the minute


def test_bad_buyer_details_are_refused_and_change_nothing(client, shop):
    cart = _cart(client, shop, shop["online"][:1])
    for bad, field in (({**BUYER, "name": ""}, "name"), ({**BUYER, "phone": "12"}, "phone"),
                       ({**BUYER, "email": "not-an-address"}, "email")):
        resp = _pay(client, cart, bad)
        assert resp.status_code == 422 and f'id="{field}-error"' in resp.get_data(as_text=True)
    db.session.refresh(cart)
    assert cart.status == "open" and shop["standin"].calls("POST", "/v1/checkout/sessions") == []


def test_a_purchase_end_to_end(client, shop):
    standin = shop["standin"]
    assert "ขณะนี้ยังชำระเงินออนไลน์ไม่ได้" not in client.get("/shop/").get_data(as_text=True)
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    created = standin.calls("POST", "/v1/checkout/sessions")[0]
    assert created.headers["Idempotency-Key"] == f"checkout-{cart.id}"
    assert created.form["metadata"]["cart_id"] == cart.id and created.form["currency"] == "thb"
    assert int(created.form["expires_at"]) == int(cart.expires_at.timestamp())
    held = db.session.scalars(select(SeatInventory.hold_expires_at).where(SeatInventory.cart_id == cart.id)).all()
    assert held and all(h == cart.expires_at for h in held)  # the hold and the checkout expire together
    resp = _post_event(client, standin, "checkout.session.completed", checkout)
    assert resp.status_code == 200 and resp.json["outcome"] == "completed"
    order = db.session.scalar(select(Order))
    assert order.channel == "online" and order.organization_id is None and order.total_satang == 300000
    assert order.buyer_email == BUYER["email"] and order.buyer_phone == "0812345678"
    payment = db.session.scalar(select(Payment))
    assert payment.method == "card" and payment.reference == checkout["payment_intent"]
    fee = db.session.scalars(select(LedgerEntry).where(LedgerEntry.source == "fee")).all()
    assert sorted((e.share_kind, e.amount_satang) for e in fee) == [("central_share", -1234), ("processor_fee", 1234)]
    assert problems() == []
    assert len(list(shop["outbox"].glob("*.eml"))) == 1
    # the return page shows the tickets (and does not mail them a second time)
    done = client.get(f"/shop/cart/{cart.id}/done")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/t/{order.access_token}")
    assert len(list(shop["outbox"].glob("*.eml"))) == 1
    assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.state == "sold")) == 2


@pytest.mark.parametrize("how", ["missing", "wrong_secret", "stale", "future", "garbage"])
def test_bad_signatures_change_nothing(client, shop, how):
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:1])
    body, headers = standin.webhook(standin.event("checkout.session.completed", checkout), SECRET)
    if how == "missing":
        headers.pop("Stripe-Signature")
    elif how == "wrong_secret":
        headers["Stripe-Signature"] = standin.sign(body, "whsec_other")
    elif how == "stale":
        headers["Stripe-Signature"] = standin.sign(body, SECRET, int(time.time()) - 301)
    elif how == "future":
        headers["Stripe-Signature"] = standin.sign(body, SECRET, int(time.time()) + 301)
    else:
        headers["Stripe-Signature"] = "nonsense"
    resp = client.post("/stripe/webhook", data=body, headers=headers)
    assert resp.status_code == 400 and resp.json["error"] == "bad_signature"
    assert _orders() == 0 and db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_replays_and_duplicates_change_nothing(client, shop):
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    first = _post_event(client, standin, "checkout.session.completed", checkout, event_id="evt_same")
    again = _post_event(client, standin, "checkout.session.completed", checkout, event_id="evt_same")
    other = _post_event(client, standin, "checkout.session.completed", checkout)  # a second delivery, new id
    assert [first.json["outcome"], again.json["outcome"], other.json["outcome"]] == ["completed", "duplicate", "already"]
    assert _orders() == 1 and db.session.scalar(select(func.count()).select_from(Ticket)) == 2
    assert problems() == []


def test_events_out_of_order_end_in_the_right_state(client, shop):
    standin = shop["standin"]
    cart = _cart(client, shop, shop["online"][:2])
    _pay(client, cart)
    db.session.refresh(cart)
    pending = standin.pay(cart.checkout_session_id, method="promptpay", async_pending=True)
    paid = standin.settle_async(cart.checkout_session_id, ok=True)
    # the success arrives before the "completed, unpaid" event
    assert _post_event(client, standin, "checkout.session.async_payment_succeeded", paid).json["outcome"] == "completed"
    assert _post_event(client, standin, "checkout.session.completed", pending).json["outcome"] == "already"
    assert _post_event(client, standin, "checkout.session.expired", paid).json["outcome"] == "already"
    order = db.session.scalar(select(Order))
    assert order.payment_method == "promptpay" and order.status == "paid"
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "valid")) == 2


def test_a_failed_promptpay_payment_gives_the_seats_back(client, shop):
    standin = shop["standin"]
    cart = _cart(client, shop, shop["online"][:2])
    _pay(client, cart)
    db.session.refresh(cart)
    pending = standin.pay(cart.checkout_session_id, method="promptpay", async_pending=True)
    assert _post_event(client, standin, "checkout.session.completed", pending).json["outcome"] == "awaiting"
    failed = standin.settle_async(cart.checkout_session_id, ok=False)
    assert _post_event(client, standin, "checkout.session.async_payment_failed", failed).json["outcome"] == "failed"
    assert _orders() == 0 and db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.state == "held")) == 0


def _expire(cart):
    past = utcnow() - timedelta(seconds=1)
    db.session.execute(update(Cart).where(Cart.id == cart.id).values(expires_at=past))
    db.session.execute(update(SeatInventory).where(SeatInventory.cart_id == cart.id).values(hold_expires_at=past))
    db.session.commit()


def test_a_late_payment_completes_when_the_seats_are_still_free(client, shop):
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    _expire(cart)
    assert _post_event(client, shop["standin"], "checkout.session.completed", checkout).json["outcome"] == "completed"
    assert _orders() == 1


def test_a_late_payment_for_seats_sold_elsewhere_is_refunded(app, client, shop):
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    _expire(cart)
    other = app.test_client()
    rival, rival_checkout = _paid_cart(other, shop, shop["online"][1:3])
    assert _post_event(other, standin, "checkout.session.completed", rival_checkout).json["outcome"] == "completed"
    resp = _post_event(client, standin, "checkout.session.completed", checkout)
    assert resp.json["outcome"] == "refunded"
    db.session.refresh(cart)
    assert cart.status == "refunded" and cart.refund_id.startswith("re_")
    refund = standin.get(cart.refund_id)
    assert refund["amount"] == cart.total_satang and refund["payment_intent"] == checkout["payment_intent"]
    assert _orders() == 1 and problems() == []
    # replaying it refunds nothing more
    assert _post_event(client, standin, "checkout.session.completed", checkout).json["outcome"] == "already"
    assert len(standin.calls("POST", "/v1/refunds")) == 1
    done = client.get(f"/shop/cart/{cart.id}/done").get_data(as_text=True)
    assert "คืนเงินที่ชำระแล้ว" in done and cart.note in done  # "Your payment was refunded", and why


def test_a_double_click_on_pay_makes_one_checkout_session(client, shop):
    cart = _cart(client, shop, shop["online"][:2])
    first, second = _pay(client, cart), _pay(client, cart)
    assert first.headers["Location"] == second.headers["Location"]
    made = {c.form.get("expires_at") for c in shop["standin"].calls("POST", "/v1/checkout/sessions")}
    assert len(made) == 1
    sessions = {o["id"] for o in shop["standin"]._objects.values() if o.get("object") == "checkout.session"}
    assert len(sessions) == 1


def test_stripe_down_leaves_the_cart_as_it_was(client, shop):
    cart = _cart(client, shop, shop["online"][:2])
    first_deadline = cart.expires_at
    shop["standin"].fail_next(5, status=500, path="/v1/checkout/sessions")
    resp = _pay(client, cart)
    assert resp.status_code == 302 and "/shop/cart/" in resp.headers["Location"]
    db.session.refresh(cart)
    assert cart.status == "open" and cart.expires_at == first_deadline and cart.checkout_session_id is None


def test_admin_refunds_one_ticket_through_stripe(client, make, shop):
    from conftest import login
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    _post_event(client, standin, "checkout.session.completed", checkout)
    order = db.session.scalar(select(Order))
    make.user("boss", roles=["admin"])
    login(client, "boss")
    ticket = order.tickets[0]
    resp = client.post(f"/shop/admin/orders/{order.id}/refund", data={"reason": "ป่วย", "ticket_ids": [ticket.id]})
    assert resp.status_code == 302
    refund = db.session.scalar(select(Refund))
    assert refund.amount_satang == ticket.price_satang and refund.reference.startswith("re_")
    assert standin.get(refund.reference)["amount"] == ticket.price_satang
    assert db.session.get(Order, order.id).status == "partly_void" and problems() == []
    # Stripe refusing: nothing changes
    standin.fail_next(5, status=500, path="/v1/refunds")
    client.post(f"/shop/admin/orders/{order.id}/refund", data={"reason": "ป่วย", "ticket_ids": [order.tickets[1].id]})
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_reconciliation_lists_every_difference(app, client, make, shop):
    from conftest import login
    from ticketing.shop.reconcile import reconcile
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    _post_event(client, standin, "checkout.session.completed", checkout)
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert reconcile(start, end).differences == []
    # a payment at Stripe that no order records
    other = app.test_client()
    lost, _ = _paid_cart(other, shop, shop["online"][4:5])
    kinds = [d.kind for d in reconcile(start, end).differences]
    assert kinds == ["missing_order"]
    make.user("treasurer1", roles=["treasurer"])
    login(client, "treasurer1")
    page = client.get("/shop/admin/reconcile").get_data(as_text=True)
    assert standin.session(lost.checkout_session_id)["payment_intent"] in page  # the difference, named


def test_the_webhook_racing_the_success_redirect_makes_one_order(app, shop):
    """A real threaded server: the buyer's return and the webhook arrive at once."""
    standin = shop["standin"]
    server_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                             "WTF_CSRF_ENABLED": False, "STRIPE_SECRET_KEY": standin.secret_key,
                             "STRIPE_API_BASE": standin.url, "STRIPE_WEBHOOK_SECRET": SECRET,
                             "MAIL_OUTBOX": app.config["MAIL_OUTBOX"]})
    with LiveServer(server_app) as server:
        jar = CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        resp = browser.open(f"{server.url}/shop/s/{shop['session'].id}/hold",
                            urllib.parse.urlencode({"seat_ids": ",".join(map(str, shop["online"][:2]))}).encode())
        cart_id = resp.headers["Location"].rsplit("/", 1)[1]
        browser.open(f"{server.url}/shop/cart/{cart_id}/pay", urllib.parse.urlencode(BUYER).encode())
        cart = db.session.get(Cart, cart_id)
        db.session.refresh(cart)
        checkout = standin.pay(cart.checkout_session_id, fee=100)
        body, headers = standin.webhook(standin.event("checkout.session.completed", checkout), SECRET)
        answers = []
        go = threading.Barrier(2)

        def webhook():
            go.wait()
            request = urllib.request.Request(f"{server.url}/stripe/webhook", data=body, headers=headers)
            answers.append(urllib.request.urlopen(request).status)

        def come_back():
            go.wait()
            answers.append(browser.open(f"{server.url}/shop/cart/{cart_id}/done").status)

        threads = [threading.Thread(target=webhook), threading.Thread(target=come_back)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    with server_app.app_context():
        db.engine.dispose()
    db.session.expire_all()
    assert sorted(answers) == [200, 302]
    assert len(list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))) == 1  # one e-mail, from whichever won
    assert _orders() == 1 and db.session.scalar(select(func.count()).select_from(Ticket)) == 2
    assert problems() == []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


def test_admin_chooses_what_sells_online(client, make, shop):
    from conftest import login
    from ticketing.seating.models import Section
    session = shop["session"]
    make.user("boss", roles=["admin"])
    login(client, "boss")
    assert client.get("/shop/admin/").status_code == 200
    # bad input is refused and changes nothing
    for bad in ({}, {"pool_online": "yes"}):
        client.post(f"/shop/admin/sessions/{session.id}/pool", data=bad)
        db.session.refresh(session)
        assert session.pool_online is False
    before = db.session.scalar(select(func.count()).select_from(SeatInventory).where(SeatInventory.online.is_(True)))
    section = db.session.scalar(select(Section).where(Section.code == "A2"))
    for bad in ({}, {"section_id": "x"}, {"section_id": "99999999999999999999", "row_from": "1", "row_to": "1"},
                {"section_id": str(section.id), "row_from": "9", "row_to": "1"}):
        client.post(f"/shop/admin/sessions/{session.id}/allocate", data=bad)
        assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
            SeatInventory.online.is_(True))) == before
    # the pool online: a pool seat can be held by a buyer
    client.post(f"/shop/admin/sessions/{session.id}/pool", data={"pool_online": "1"})
    db.session.refresh(session)
    assert session.pool_online is True
    buyer = client.application.test_client()
    assert _hold(buyer, shop, shop["pool"][:1]).status_code == 303
    # a section's rows to the online shop, then back to the pool
    client.post(f"/shop/admin/sessions/{session.id}/allocate",
                data={"section_id": str(section.id), "row_from": "1", "row_to": "2"})
    assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.online.is_(True))) == before + 16
    client.post(f"/shop/admin/sessions/{session.id}/release")
    assert db.session.scalar(select(func.count()).select_from(SeatInventory).where(
        SeatInventory.online.is_(True))) == 0


def test_counters_cannot_sell_online_seats_nor_refund_online_orders_in_cash(client, make, shop):
    from ticketing.accounts.services import issue_token
    standin = shop["standin"]
    cart, checkout = _paid_cart(client, shop, shop["online"][:2])
    _post_event(client, standin, "checkout.session.completed", checkout)
    order = db.session.scalar(select(Order))
    seller = make.user("seller1", roles=["seller"])
    admin = make.user("boss", roles=["admin"])
    seller_token, admin_token = issue_token(None, seller), issue_token(None, admin)
    db.session.commit()
    api = client.application.test_client()
    sale = api.post("/api/v1/orders", json={"session_id": shop["session"].id, "seat_ids": shop["online"][4:5],
                                            "payment_method": "cash"},
                    headers={"Authorization": f"Bearer {seller_token}"})
    assert sale.status_code == 403 and sale.json["error"] == "online_only"
    void = api.post(f"/api/v1/orders/{order.id}/void", json={"reason": "cash back"},
                    headers={"Authorization": f"Bearer {admin_token}"})
    assert void.status_code == 409 and void.json["error"] == "online_order"
    assert db.session.get(Order, order.id).status == "paid" and standin.calls("POST", "/v1/refunds") == []
