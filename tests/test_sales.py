"""Counter sales through the API: the sale, its refusals, idempotency, void, and the race."""
import pytest
from sqlalchemy import func, select

from ticketing.accounts.models import Organization
from ticketing.accounts.services import issue_token
from ticketing.audit.models import AuditEntry
from ticketing.errors import Conflict, Invalid
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.sales.models import Order, Payment, Refund, Ticket
from ticketing.sales.services import PaymentInput, sell, set_quota, void_order


@pytest.fixture
def shop(make):
    """A session, a central fund, and a seller with an API token."""
    festival = make.festival(sessions=2)
    central = make.central()
    seller = make.user("seller1", roles=["seller"])
    token = issue_token(None, seller)
    db.session.commit()
    seats = inventory.seat_views(festival.sessions[0].id)
    return {"session": festival.sessions[0], "other_session": festival.sessions[1], "seller": seller,
            "central": central, "seats": seats, "headers": {"Authorization": f"Bearer {token}"}}


def _order(client, shop, seat_ids, method="cash", headers=None, **extra):
    body = {"session_id": shop["session"].id, "payment_method": method, **extra}
    if seat_ids is not None:
        body["seat_ids"] = seat_ids
    return client.post("/api/v1/orders", json=body, headers=shop["headers"] if headers is None else headers)


def test_sell_writes_order_tickets_payment_and_audit(client, shop):
    ids = [s.id for s in shop["seats"][:2]]  # two front-row seats at 1,500 baht
    resp = _order(client, shop, ids, buyer={"name": "สมชาย", "phone": "0812345678"})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["total_satang"] == 300000 and sorted(t["seat_id"] for t in body["tickets"]) == ids
    order = db.session.get(Order, body["id"])
    assert order.buyer_name == "สมชาย" and order.organization_id == shop["seller"].organization_id
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.amount_satang == 300000 and payment.custodian_id == shop["seller"].organization_id
    states = [s.state for s in inventory.seat_views(shop["session"].id)[:3]]
    assert states == ["sold", "sold", "available"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.sell")) == 1


def test_promptpay_money_is_held_by_the_central_fund(client, shop):
    resp = _order(client, shop, [shop["seats"][0].id], method="promptpay")
    payment = db.session.scalar(select(Payment).where(Payment.order_id == resp.json["id"]))
    assert payment.custodian_id == shop["central"].id


def _nothing_sold():
    return (db.session.scalar(select(func.count()).select_from(Order)) == 0
            and db.session.scalar(select(func.count()).select_from(Ticket)) == 0
            and db.session.scalar(select(func.count()).select_from(SeatInventory).where(SeatInventory.state == "sold")) == 0)


@pytest.mark.parametrize("body,field", [
    ({"seat_ids": []}, "seat_ids"),
    ({"seat_ids": ["1"]}, "seat_ids"),
    ({"seat_ids": [1.5]}, "seat_ids"),
    ({"payment_method": "bitcoin"}, "payment_method"),
    ({"payment_method": "transfer"}, "reference"),
    ({"payment_method": "complimentary"}, "reason"),
    ({"received_satang": 100}, "received"),
    ({"received_satang": -1}, "received_satang"),
    ({"best_available": {"count": 2}}, "seat_ids"),
    ({"session_id": "x"}, "session_id"),
    ({"session_id": 2**63}, "session_id"),
    ({"seat_ids": [2**63]}, "seat_ids"),
    ({"received_satang": 2**63}, "received_satang"),
    ({"buyer": {"email": "not-an-email"}}, "buyer"),
])
def test_bad_values_get_422_and_change_nothing(client, shop, body, field):
    full = {"session_id": shop["session"].id, "seat_ids": [shop["seats"][0].id], "payment_method": "cash", **body}
    resp = client.post("/api/v1/orders", json=full, headers=shop["headers"])
    assert resp.status_code == 422, resp.json
    assert field in str(resp.json["fields"])
    assert _nothing_sold()


def test_duplicate_seats_and_too_many_and_unknown(client, shop):
    first = shop["seats"][0].id
    assert _order(client, shop, [first, first]).status_code == 422
    assert _order(client, shop, list(range(1, 200))).status_code == 422
    other = inventory.seat_views(shop["other_session"].id)[0].id
    assert other == first  # same map, same seat ids: a seat of another session is a (session, seat) pair
    resp = _order(client, shop, [999999])
    assert resp.status_code == 422 and resp.json["error"] == "unknown_seats"
    resp = client.post("/api/v1/orders", json={"session_id": 999999, "seat_ids": [first], "payment_method": "cash"},
                       headers=shop["headers"])
    assert resp.status_code == 422
    assert _nothing_sold()


def test_blocked_seat_and_other_organizations_allocation(client, shop, make):
    session, seats = shop["session"], shop["seats"]
    inventory.block_seats(None, session, [seats[0].id], "officials")
    other = make.org("other")
    inventory.allocate_seats(None, session, [seats[1].id], other.id)
    inventory.allocate_seats(None, session, [seats[2].id], shop["seller"].organization_id)
    db.session.commit()
    resp = _order(client, shop, [seats[0].id, seats[3].id])
    assert resp.status_code == 409 and resp.json["error"] == "seats_taken" and resp.json["seats"] == [seats[0].id]
    resp = _order(client, shop, [seats[1].id])
    assert resp.status_code == 403 and resp.json["error"] == "not_your_allocation"
    assert _nothing_sold()
    assert _order(client, shop, [seats[2].id]).status_code == 201  # its own allocation


def test_an_empty_buyer_email_is_fine_a_wrong_one_is_not(client, shop):
    ok = _order(client, shop, [shop["seats"][0].id], buyer={"name": "x", "email": ""})
    assert ok.status_code == 201, ok.json
    bad = _order(client, shop, [shop["seats"][1].id], buyer={"email": "nobody@"})
    assert bad.status_code == 422 and "buyer" in str(bad.json["fields"])


def test_only_sellers_sell(client, shop, make):
    boss = make.user("boss", roles=["admin", "treasurer"])
    token = issue_token(None, boss)
    db.session.commit()
    resp = _order(client, shop, [shop["seats"][0].id], headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403
    assert _order(client, shop, [shop["seats"][0].id], headers={}).status_code == 401
    assert _nothing_sold()


def test_idempotency_key_returns_the_first_order(client, shop):
    headers = {**shop["headers"], "Idempotency-Key": "counter-1-sale-42"}
    first = _order(client, shop, [shop["seats"][5].id], headers=headers)
    again = _order(client, shop, [shop["seats"][5].id], headers=headers)
    assert first.status_code == 201 and again.status_code == 201 and first.json["id"] == again.json["id"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_an_idempotency_key_sent_again_with_another_sale_is_refused(client, shop):
    headers = {**shop["headers"], "Idempotency-Key": "counter-1-sale-43"}
    first = _order(client, shop, [shop["seats"][5].id], headers=headers)
    for other in ([shop["seats"][6].id], [shop["seats"][5].id, shop["seats"][6].id]):
        refused = _order(client, shop, other, headers=headers)
        assert refused.status_code == 409 and refused.json["error"] == "idempotency_key_reused"
        assert refused.json["order_id"] == first.json["id"]
    by_promptpay = _order(client, shop, [shop["seats"][5].id], method="promptpay", headers=headers)
    assert by_promptpay.status_code == 409
    best = client.post("/api/v1/orders", headers=headers, json={
        "session_id": shop["session"].id, "best_available": {"count": 3}, "payment_method": "cash"})
    assert best.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_best_available_retried_with_its_key_returns_the_first_order(client, shop):
    headers = {**shop["headers"], "Idempotency-Key": "counter-1-best-2"}
    body = {"session_id": shop["session"].id, "best_available": {"count": 2}, "payment_method": "cash"}
    first = client.post("/api/v1/orders", json=body, headers=headers)
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]


def test_gate_staff_do_not_read_orders(client, shop, make):
    order_id = _order(client, shop, [shop["seats"][0].id]).json["id"]
    gate = make.user("gate1", roles=["gate"], org=db.session.get(Organization, shop["seller"].organization_id))
    token = issue_token(None, gate)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/orders/{order_id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/orders/{order_id}/tickets.pdf", headers=headers).status_code == 403


def test_two_voids_of_one_order_refund_once(make, shop):
    order = sell(shop["seller"], shop["session"].id, [shop["seats"][0].id], PaymentInput("cash"))
    db.session.commit()
    void_order(shop["seller"], order.id, "first")
    db.session.commit()
    with pytest.raises(Conflict) as again:
        void_order(shop["seller"], order.id, "second")
    assert again.value.code == "already_void"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_complimentary_quota_holds_for_two_sellers_of_one_organization(make, shop):
    """Two sellers of one organization give seats away: the quota counts both (the quota row is claimed
    before counting, so at the same moment the second waits for the first)."""
    festival = shop["session"].festival
    second = make.user("seller1b", roles=["seller"], org=db.session.get(Organization, shop["seller"].organization_id))
    set_quota(None, festival, shop["seller"].organization_id, 1)
    db.session.commit()
    sell(shop["seller"], shop["session"].id, [shop["seats"][0].id], PaymentInput("complimentary", reason="VIP"))
    db.session.commit()
    with pytest.raises(Invalid) as over:
        sell(second, shop["session"].id, [shop["seats"][1].id], PaymentInput("complimentary", reason="VIP"))
    assert over.value.code == "quota_exceeded"
    assert inventory.seat_views(shop["session"].id)[1].state == "available"


def test_void_returns_seats_and_voids_tickets(client, shop, make):
    resp = _order(client, shop, [shop["seats"][0].id, shop["seats"][1].id])
    order_id = resp.json["id"]
    url = f"/api/v1/orders/{order_id}/void"
    assert client.post(url, json={}, headers=shop["headers"]).status_code == 422
    assert client.post(url, json={"reason": "  "}, headers=shop["headers"]).status_code == 422
    stranger = make.user("seller2", roles=["seller"])
    token = issue_token(None, stranger)
    db.session.commit()
    assert client.post(url, json={"reason": "x"}, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    resp = client.post(url, json={"reason": "ลูกค้าเปลี่ยนใจ"}, headers=shop["headers"])
    assert resp.status_code == 200 and resp.json["status"] == "void"
    assert all(t["status"] == "void" for t in resp.json["tickets"])
    assert [s.state for s in inventory.seat_views(shop["session"].id)[:2]] == ["available"] * 2
    assert client.post(url, json={"reason": "again"}, headers=shop["headers"]).status_code == 409
    # The seats sell again: the unique index counts live tickets only.
    assert _order(client, shop, [shop["seats"][0].id]).status_code == 201


def test_openapi_has_the_sale_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/orders"] and "post" in paths["/api/v1/orders/{order_id}/void"]


def test_best_available_through_the_api(client, shop):
    resp = _order(client, shop, None, best_available={"count": 3, "category": "vip"})
    assert resp.status_code == 201, resp.json
    sold = {t["seat_id"] for t in resp.json["tickets"]}
    rows = {(s.section, s.row) for s in shop["seats"] if s.id in sold}
    assert len(sold) == 3 and len(rows) == 1 and resp.json["total_satang"] == 3 * 80000
    resp = _order(client, shop, None, best_available={"count": 11, "category": "front"})  # 10 front seats
    assert resp.status_code == 422 and resp.json["error"] == "no_adjacent_seats"
    assert "10" in resp.json["message"]  # says what is possible
    resp = _order(client, shop, None, best_available={"count": 11})  # rows of 10: a block over two rows
    assert resp.status_code == 201 and len(resp.json["tickets"]) == 11
    resp = _order(client, shop, [shop["seats"][0].id], best_available={"count": 1})
    assert resp.status_code == 422  # one or the other


def test_cannot_sell_more_seats_than_exist(client, shop):
    every_seat = [s.id for s in shop["seats"]]
    resp = _order(client, shop, every_seat[:10] + [max(every_seat) + 1])
    assert resp.status_code == 422 and resp.json["fields"]["seat_ids"] == [max(every_seat) + 1]
    assert _nothing_sold()
