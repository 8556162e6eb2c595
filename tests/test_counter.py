"""The counter pages: holds, best seats, sale, receipt, void, shift close, live changes, PromptPay."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from conftest import login
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.sales import holds
from ticketing.sales.models import ComplimentaryQuota, Order, Refund, Shift
from ticketing.timeutil import utcnow


@pytest.fixture
def counter(client, make):
    festival = make.festival()
    central = make.central()
    central.promptpay_id = "1234567890123"
    seller = make.user("seller1", roles=["seller"])
    db.session.commit()
    login(client, "seller1")
    session = festival.sessions[0]
    return {"session": session, "seller": seller, "central": central, "seats": inventory.seat_views(session.id),
            "base": f"/counter/sessions/{session.id}"}


def test_hold_release_and_total(client, counter):
    a, b = counter["seats"][0].id, counter["seats"][10].id
    resp = client.post(f"{counter['base']}/hold", json={"seat_ids": [a, b]})
    assert resp.json["held"] == [a, b] and resp.json["total_satang"] == 150000 + 80000
    resp = client.post(f"{counter['base']}/release", json={"seat_ids": [a]})
    assert resp.json["held"] == [b] and resp.json["total_satang"] == 80000
    resp = client.post(f"{counter['base']}/hold", json={"seat_ids": ["x"]})
    assert resp.status_code == 422 and resp.json["error"] == "invalid_seats"


def test_someone_elses_hold_is_refused_until_it_expires(client, counter, make):
    other = make.user("seller2", roles=["seller"])
    seat = counter["seats"][0].id
    holds.hold_seats(other, counter["session"], [seat])
    db.session.commit()
    resp = client.post(f"{counter['base']}/hold", json={"seat_ids": [seat]})
    assert resp.json["held"] == [] and resp.json["refused"] == [seat]
    db.session.execute(update(SeatInventory).where(SeatInventory.seat_id == seat)
                       .values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resp = client.post(f"{counter['base']}/hold", json={"seat_ids": [seat]})
    assert resp.json["held"] == [seat]  # no sweeper needed: an expired hold is free


def test_best_adjacent_seats_front_and_centre(client, counter):
    resp = client.post(f"{counter['base']}/best", json={"count": 4})
    labels = [s for s in counter["seats"] if s.id in resp.json["held"]]
    assert [s.row for s in labels] == ["1"] * 4 and [s.label for s in labels] == ["4", "5", "6", "7"]
    resp = client.post(f"{counter['base']}/best", json={"count": 4, "category": "vip"})
    rows = {s.row for s in counter["seats"] if s.id in resp.json["held"]}
    assert len(rows) == 1 and resp.json["total_satang"] == 4 * 80000
    assert client.post(f"{counter['base']}/best", json={"count": 21}).status_code == 422  # at most 20
    resp = client.post(f"{counter['base']}/best", json={"count": 11})  # rows have 10 seats: two rows, 6 + 5
    assert resp.status_code == 200 and resp.json["proposal"]["kind"] == "block" and len(resp.json["held"]) == 11
    assert client.post(f"{counter['base']}/best", json={"count": 0}).status_code == 422
    assert client.post(f"{counter['base']}/best", json={"count": 2, "category": "nope"}).status_code == 422


def _sell(client, counter, seat_ids, **fields):
    data = {"seat_ids": ",".join(map(str, seat_ids)), "payment_method": "cash", **fields}
    return client.post(f"{counter['base']}/sell", data=data)


def test_sale_receipt_void_and_shift(client, counter):
    ids = [s.id for s in counter["seats"][:2]]
    client.post(f"{counter['base']}/hold", json={"seat_ids": ids})
    resp = _sell(client, counter, ids, received="3,500", idempotency_key="k1")
    assert resp.status_code == 302
    order = db.session.scalar(select(Order))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "3,000.00" in page and "500.00" in page and order.id[:8].upper() in page
    assert _sell(client, counter, ids, idempotency_key="k1").status_code == 302  # a double submit: same order
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    resp = client.post(f"/counter/orders/{order.id}/void", data={"reason": ""}, follow_redirects=True)
    assert db.session.get(Order, order.id).status == "paid"
    client.post(f"/counter/orders/{order.id}/void", data={"reason": "ลูกค้ายกเลิก"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "void"
    refund = db.session.scalar(select(Refund))
    assert refund.amount_satang == 300000 and refund.method == "cash"
    _sell(client, counter, [counter["seats"][20].id])  # 800 baht cash
    resp = client.post("/counter/shift", data={"counted_cash": "abc"})
    assert resp.status_code == 200 and db.session.scalar(select(Shift)).closed_at is None
    resp = client.post("/counter/shift", data={"counted_cash": "750"})
    shift = db.session.scalar(select(Shift))
    assert shift.closed_at is not None and shift.expected_cash_satang == 80000 and shift.counted_cash_satang == 75000
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "-50.00" in page
    # A closed shift is frozen: the next sale opens a new one.
    _sell(client, counter, [counter["seats"][21].id])
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 2


def test_sale_refusals_show_on_the_page(client, counter):
    seat = counter["seats"][0].id
    assert _sell(client, counter, [seat], received="10").status_code == 422
    assert _sell(client, counter, [seat], received="ten").status_code == 422
    assert _sell(client, counter, [seat], payment_method="transfer").status_code == 422
    assert _sell(client, counter, [seat], payment_method="complimentary", reason="guest").status_code == 422  # no quota
    assert _sell(client, counter, []).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    inventory.block_seats(None, counter["session"], [seat], "officials")
    db.session.commit()
    resp = _sell(client, counter, [seat])
    assert resp.status_code == 409


def test_complimentary_within_quota(client, counter):
    db.session.add(ComplimentaryQuota(festival_id=counter["session"].festival_id,
                                      organization_id=counter["seller"].organization_id, seats=2))
    db.session.commit()
    seats = [s.id for s in counter["seats"][:3]]
    assert _sell(client, counter, seats, payment_method="complimentary", reason="สื่อมวลชน").status_code == 422
    assert _sell(client, counter, seats[:2], payment_method="complimentary", reason="สื่อมวลชน").status_code == 302
    order = db.session.scalar(select(Order))
    assert order.total_satang == 0 and order.channel == "complimentary"
    assert all(t.price_satang == 0 for t in order.tickets)
    assert _sell(client, counter, seats[2:], payment_method="complimentary", reason="x").status_code == 422


def test_changes_feed(client, counter):
    page = client.get(counter["base"]).get_data(as_text=True)
    cursor = re.search(r'data-cursor="([0-9.,]+)"', page).group(1)
    assert client.get(f"{counter['base']}/changes", query_string={"cursor": cursor}).json["seats"] == []
    seat = counter["seats"][3].id
    _sell(client, counter, [seat])
    later = client.get(f"{counter['base']}/changes", query_string={"cursor": cursor}).json
    assert [row[:2] for row in later["seats"]] == [[seat, "sold"]]


def test_promptpay_qr_for_held_seats(client, counter):
    assert client.get(f"{counter['base']}/promptpay").status_code == 409  # nothing held
    client.post(f"{counter['base']}/hold", json={"seat_ids": [counter["seats"][10].id]})
    body = client.get(f"{counter['base']}/promptpay").json
    assert body["payload"] == ("00020101021229370016A000000677010111021312345678901235802TH53037645406800.00"
                               + body["payload"][-8:])
    assert "<svg" in body["svg"]


def test_other_roles_cannot_use_the_counter(client, counter, make):
    make.user("gate1", roles=["gate"])
    client.post("/logout")
    login(client, "gate1")
    assert client.get("/counter/").status_code == 403
    assert client.post(f"{counter['base']}/hold", json={"seat_ids": [1]}).status_code == 403
