"""The orders desk (issue 12, items 1 and 2): find any order (service, page, API), refund single
tickets (the ledger reverses exactly their shares, statements and `revenue check` still add up),
and every bad input refused with nothing written."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conftest import login
from ticketing.accounts.services import issue_token
from ticketing.audit.models import AuditEntry
from ticketing.errors import Conflict, Forbidden, Invalid, NotFound
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.ledger.models import LedgerEntry
from ticketing.revenue import check, services as revenue, statements
from ticketing.sales.models import Order, OrderEmail, Refund, Shift, phone_key
from ticketing.sales.search import OrderFilter, search_orders
from ticketing.sales.services import PaymentInput, sell, void_order
from ticketing.sales.shifts import close_shift
from ticketing.timeutil import utcnow


@pytest.fixture
def desk(make):
    """A festival with a 10 % commission and a 3 % operator fee, two sellers of two organizations,
    a treasurer, an admin and gate staff."""
    festival = make.festival(sessions=2)
    tourism = make.org("tourism")
    revenue.save_rules(None, festival, [{"kind": "commission", "basis_points": 1000},
                                        {"kind": "operator_fee", "organization_id": tourism.id,
                                         "basis_points": 300}])
    db.session.commit()

    class Desk:
        pass
    d = Desk()
    d.festival, d.tourism = festival, tourism
    d.session = festival.sessions[0]
    d.seats = [s.id for s in inventory.seat_views(d.session.id)]
    d.seller = make.user("seller1", roles=["seller"])
    d.other = make.user("seller2", roles=["seller"])
    d.treasurer = make.user("treasurer1", roles=["treasurer"])
    d.admin = make.user("admin1", roles=["admin"])
    d.gate = make.user("gate1", roles=["gate"])
    d.central = make.central()
    return d


def _sell(d, seats, method="cash", who=None, buyer=None):
    order = sell(who or d.seller, d.session.id, seats, PaymentInput(method, reference="T-1" if method == "transfer"
                                                                     else "", reason="guest"), buyer)
    db.session.commit()
    return order


def _ledger(order_id, **where):
    query = select(LedgerEntry.organization_id, func.sum(LedgerEntry.amount_satang)).where(
        LedgerEntry.order_id == order_id, *[getattr(LedgerEntry, k) == v for k, v in where.items()])
    return {k: int(v) for k, v in db.session.execute(query.group_by(LedgerEntry.organization_id)).all() if v}


def _token(user):
    token = issue_token(None, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


# --- phone keys -------------------------------------------------------------------------------

def test_phone_key_makes_one_number_of_every_way_of_writing_it():
    assert phone_key("081-234-5678") == phone_key("+66 81 234 5678") == phone_key("0812345678") == "8765432180"
    assert phone_key("") == "" and phone_key("๐๘๑") == ""  # Thai digits are not ASCII digits


# --- refund single tickets: the ledger ----------------------------------------------------------

def test_refunding_one_ticket_of_four_reverses_exactly_that_tickets_shares(desk):
    order = _sell(desk, desk.seats[10:14])  # four VIP seats at 800 baht
    assert order.total_satang == 320000
    ticket = order.tickets[1]
    void_order(desk.seller, order.id, "buyer could not come", [ticket.id], method="cash")
    db.session.commit()
    assert order.status == "partly_void"
    assert [t.status for t in order.tickets] == ["valid", "void", "valid", "valid"]
    # One VIP ticket: 800 baht = 80 commission + 24 operator fee + 696 central.
    assert _ledger(order.id, source="refund", kind="share") == {
        desk.seller.organization_id: -8000, desk.tourism.id: -2400, desk.central.id: -69600}
    assert _ledger(order.id, source="refund", kind="custody") == {desk.seller.organization_id: -80000}
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert (refund.method, refund.amount_satang, refund.custodian_id) == ("cash", 80000, desk.seller.organization_id)
    assert ticket.refund_id == refund.id
    seat = db.session.get(SeatInventory, (desk.session.id, ticket.seat_id)) if False else db.session.scalar(
        select(SeatInventory).where(SeatInventory.session_id == desk.session.id,
                                    SeatInventory.seat_id == ticket.seat_id))
    assert seat.state == "available"
    assert check.problems() == []
    # The rest of the order, by transfer back: the order is void and nets to zero for every party.
    void_order(desk.seller, order.id, "the others too", None, method="transfer", reference="BBL-991")
    db.session.commit()
    assert order.status == "void"
    # The seller's drawer still holds the cash of the three tickets; the central fund's account paid
    # them back by transfer: custody says so (the treasurer settles it between them).
    assert _ledger(order.id, kind="share") == {} and _ledger(order.id, kind="custody") == {
        desk.seller.organization_id: 240000, desk.central.id: -240000}
    assert check.problems() == []


def test_statement_moves_by_exactly_the_refunded_ticket(desk):
    order = _sell(desk, desk.seats[10:14])
    start, end = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    before = statements.build(desk.festival.id, start, end)
    void_order(desk.seller, order.id, "one seat", [order.tickets[0].id], method="cash")
    db.session.commit()
    after = statements.build(desk.festival.id, start, end)
    line = {x.organization_id: x for x in after.organizations}[desk.seller.organization_id]
    was = {x.organization_id: x for x in before.organizations}[desk.seller.organization_id]
    assert (line.tickets_voided, line.refunds_satang) == (1, 80000)
    assert was.share_satang - line.share_satang == 8000
    assert was.custody_satang - line.custody_satang == 80000
    assert after.central.refunds_satang - before.central.refunds_satang == 80000
    assert check.statement_problems(after) == []


def test_a_void_opens_the_sellers_closed_shift_and_books_the_cash_refund_there(desk):
    order = _sell(desk, desk.seats[10:12])
    close_shift(desk.seller, 160000)
    db.session.commit()
    assert db.session.scalar(select(Shift).where(Shift.user_id == desk.seller.id, Shift.closed_at.is_(None))) is None
    void_order(desk.seller, order.id, "changed mind", [order.tickets[0].id], method="cash")
    db.session.commit()
    shift = db.session.scalar(select(Shift).where(Shift.user_id == desk.seller.id, Shift.closed_at.is_(None)))
    assert shift is not None
    assert db.session.scalar(select(Refund.shift_id).where(Refund.order_id == order.id)) == shift.id


def test_complimentary_ticket_refund_writes_no_money(desk):
    revenue_quota = __import__("ticketing.sales.services", fromlist=["set_quota"]).set_quota
    revenue_quota(None, desk.festival, desk.seller.organization_id, 4)
    db.session.commit()
    order = _sell(desk, desk.seats[10:12], method="complimentary")
    void_order(desk.seller, order.id, "guest left", [order.tickets[0].id], method="cash")
    db.session.commit()
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert (refund.amount_satang, refund.method, refund.custodian_id) == (0, "complimentary", None)
    assert _ledger(order.id) == {} and order.status == "partly_void" and check.problems() == []


# --- refund single tickets: bad input changes nothing ---------------------------------------------

def _nothing_changed(order_id):
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    return (order.status, db.session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id == order_id)),
            db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.order_id == order_id, LedgerEntry.source == "refund")))


@pytest.mark.parametrize("kwargs, error, code", [
    (dict(ticket_ids=["no-such-ticket"]), Invalid, "unknown_tickets"),
    (dict(ticket_ids=[]), Invalid, "invalid"),
    (dict(ticket_ids="abc"), Invalid, "invalid"),
    (dict(ticket_ids=[1, 2]), Invalid, "invalid"),
    (dict(method="card"), Invalid, "invalid"),
    (dict(method="promptpay"), Invalid, "invalid"),
    (dict(method="transfer"), Invalid, "invalid"),  # a transfer back needs its reference
    (dict(reason="  "), Invalid, "invalid"),
])
def test_bad_void_input_is_refused_and_changes_nothing(desk, kwargs, error, code):
    order = _sell(desk, desk.seats[10:14])
    reason = kwargs.pop("reason", "because")
    args = {"ticket_ids": kwargs.pop("ticket_ids", None)}
    with pytest.raises(error) as raised:
        void_order(desk.seller, order.id, reason, args["ticket_ids"], **kwargs)
    db.session.rollback()
    assert raised.value.code == code
    assert _nothing_changed(order.id) == ("paid", 0, 0)


def test_tickets_of_another_order_and_already_void_tickets_are_refused(desk):
    first, second = _sell(desk, desk.seats[10:12]), _sell(desk, desk.seats[12:14])
    with pytest.raises(Invalid) as raised:
        void_order(desk.seller, first.id, "x", [first.tickets[0].id, second.tickets[0].id])
    db.session.rollback()
    assert raised.value.code == "unknown_tickets" and raised.value.details["ticket_ids"] == [second.tickets[0].id]
    void_order(desk.seller, first.id, "x", [first.tickets[0].id])
    db.session.commit()
    with pytest.raises(Conflict) as raised:
        void_order(desk.seller, first.id, "again", [first.tickets[0].id])
    db.session.rollback()
    assert raised.value.code == "already_void"
    assert _nothing_changed(first.id) == ("partly_void", 1, 4)
    void_order(desk.seller, first.id, "rest")
    db.session.commit()
    with pytest.raises(Conflict):
        void_order(desk.seller, first.id, "once more")
    db.session.rollback()


def test_other_organizations_and_treasurers_and_unknown_orders(desk):
    order = _sell(desk, desk.seats[10:12])
    for who in (desk.other, desk.treasurer, desk.gate):
        with pytest.raises(Forbidden):
            void_order(who, order.id, "not mine", [order.tickets[0].id])
        db.session.rollback()
    with pytest.raises(NotFound):
        void_order(desk.seller, "00000000-0000-0000-0000-000000000000", "x")
    db.session.rollback()
    void_order(desk.admin, order.id, "secretariat", [order.tickets[0].id], method="cash")  # an admin may
    db.session.commit()
    assert order.status == "partly_void"


# --- property: random partial refunds keep every invariant ------------------------------------

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(1, 4), st.sampled_from(["cash", "transfer", "promptpay"]),
                               st.lists(st.integers(0, 3), max_size=4), st.sampled_from(["cash", "transfer", None]),
                               st.integers(0, 9999)), min_size=1, max_size=5))
def test_random_partial_refunds_net_out_and_keep_the_check_green(make, plan):
    festival = make.festival()
    tourism = make.org()
    seller = make.user(roles=["seller"])
    seats = [s.id for s in inventory.seat_views(festival.sessions[0].id)]
    orders = []
    for count, method, refunds, how, bps in plan:
        revenue.save_rules(None, festival, [{"kind": "commission", "basis_points": bps},
                                            {"kind": "operator_fee", "organization_id": tourism.id,
                                             "basis_points": 333}])
        order = sell(seller, festival.sessions[0].id, seats[:count],
                     PaymentInput(method, reference="R" if method == "transfer" else ""))
        del seats[:count]
        db.session.commit()
        orders.append(order)
        for i in refunds:
            valid = [t for t in order.tickets if t.status == "valid"]
            if not valid:
                break
            void_order(seller, order.id, "r", [valid[i % len(valid)].id], method=how,
                       reference="BACK" if how == "transfer" else "")
            db.session.commit()
    assert check.problems() == []
    for order in orders:
        if order.status == "void":
            assert _ledger(order.id, kind="share") == {}
        refunded = sum(t.price_satang for t in order.tickets if t.status == "void")
        assert -sum(_ledger(order.id, kind="share", source="refund").values()) == refunded


# --- find any order: the service ------------------------------------------------------------------

def test_search_by_number_phone_email_name_seat_and_filters(desk):
    a = _sell(desk, desk.seats[10:12], buyer={"name": "สมชาย ใจดี", "phone": "081-234-5678",
                                               "email": "Somchai@Example.com"})
    b = _sell(desk, desk.seats[12:14], method="transfer", buyer={"name": "Mary Lee", "phone": "+66 89 999 0000"})
    c = _sell(desk, desk.seats[14:15], who=desk.other, buyer={"name": "สมชาย อื่น", "phone": "0812345678"})

    def ids(user=desk.treasurer, **kw):
        return [o.id for o in search_orders(user, OrderFilter(**kw)).orders]
    assert ids(q=a.number) == [a.id] and ids(q=a.number.lower()) == [a.id] and ids(q="#" + a.id[:6]) == [a.id]
    assert ids(q=a.id) == [a.id]
    assert ids(q="0812345678") == [c.id, a.id]  # newest first
    assert ids(phone="5678") == [c.id, a.id] and ids(phone="089 999 0000") == [b.id]
    assert ids(q="somchai@example.com") == [a.id] and ids(email="SOMCHAI@example.com ") == [a.id]
    assert ids(q="สมชาย") == [c.id, a.id] and ids(q="mary") == [b.id] and ids(q="100%") == []
    row = db.session.get(__import__("ticketing.seating.models", fromlist=["Seat"]).Seat, a.tickets[0].seat_id)
    section = row.section.code
    assert ids(q=f"{section} {row.row_label} {row.label}") == [a.id]
    assert ids(q=f"{section.lower()}-{row.row_label}-{row.label}") == [a.id]
    assert ids(method="transfer") == [b.id] and ids(status="paid") == [c.id, b.id, a.id]
    void_order(desk.seller, b.id, "x", [b.tickets[0].id])
    db.session.commit()
    assert ids(status="partly_void") == [b.id] and ids(session_id=desk.festival.sessions[1].id) == []
    today = utcnow().astimezone(__import__("ticketing.timeutil", fromlist=["BANGKOK"]).BANGKOK).date()
    assert len(ids(date_from=today, date_to=today)) == 3 and ids(date_to=today - timedelta(days=1)) == []
    # A seller sees only its organization's orders; gate staff none.
    assert ids(desk.seller, q="สมชาย") == [a.id] and ids(desk.other, q="สมชาย") == [c.id]
    with pytest.raises(Forbidden):
        ids(desk.gate)


def test_search_pages_by_cursor_without_gaps_or_repeats(desk):
    made = [_sell(desk, [seat]).id for seat in desk.seats[10:17]]
    seen, cursor = [], None
    while True:
        page = search_orders(desk.treasurer, OrderFilter(), cursor, limit=3)
        seen += [o.id for o in page.orders]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))


@pytest.mark.parametrize("kw, field", [(dict(status="lost"), "status"), (dict(method="cheque"), "method"),
                                       (dict(phone="12"), "phone"), (dict(q="x" * 201), "q")])
def test_bad_search_filters_are_named(desk, kw, field):
    with pytest.raises(Invalid) as raised:
        search_orders(desk.treasurer, OrderFilter(**kw))
    assert field in raised.value.details


@pytest.mark.parametrize("cursor", ["nonsense", "!!!", "YWJj", "MjAyNy0wMS0wMXxhYmM"])
def test_a_broken_cursor_is_a_clear_error(desk, cursor):
    with pytest.raises(Invalid) as raised:
        search_orders(desk.treasurer, OrderFilter(), cursor)
    assert raised.value.code == "bad_cursor"


# --- the API --------------------------------------------------------------------------------------

def test_api_lists_orders_as_get_order_gives_them_and_pages(client, desk):
    orders = [_sell(desk, [seat], buyer={"phone": "0811111111"}) for seat in desk.seats[10:13]]
    auth = _token(desk.treasurer)
    body = client.get("/api/v1/orders?phone=1111&limit=2", headers=auth).json
    assert [o["id"] for o in body["orders"]] == [orders[2].id, orders[1].id]
    assert body["orders"][0] == client.get(f"/api/v1/orders/{orders[2].id}", headers=auth).json
    assert body["orders"][0]["number"] == orders[2].number and body["orders"][0]["refunds"] == []
    rest = client.get(f"/api/v1/orders?phone=1111&limit=2&cursor={body['next_cursor']}", headers=auth).json
    assert [o["id"] for o in rest["orders"]] == [orders[0].id] and rest["next_cursor"] is None
    today = utcnow().astimezone(__import__("ticketing.timeutil", fromlist=["BANGKOK"]).BANGKOK).date().isoformat()
    assert len(client.get(f"/api/v1/orders?from={today}&to={today}&status=paid&method=cash&session="
                          f"{desk.session.id}&q={orders[0].number}", headers=auth).json["orders"]) == 1


def test_api_seller_sees_only_its_organization(client, desk):
    mine, theirs = _sell(desk, desk.seats[10:11]), _sell(desk, desk.seats[11:12], who=desk.other)
    got = client.get("/api/v1/orders", headers=_token(desk.seller)).json["orders"]
    assert [o["id"] for o in got] == [mine.id]
    assert client.get(f"/api/v1/orders?q={theirs.number}", headers=_token(desk.seller)).json["orders"] == []
    assert client.get("/api/v1/orders", headers=_token(desk.gate)).status_code == 403


@pytest.mark.parametrize("query", ["status=lost", "method=cheque", "from=yesterday", "to=2027-02-30",
                                   "session=abc", "session=99999999999", "limit=0", "limit=1000",
                                   "cursor=nonsense", "phone=1", "from=2027-07-20&to=2027-07-19"])
def test_api_bad_filters_are_422(client, desk, query):
    resp = client.get(f"/api/v1/orders?{query}", headers=_token(desk.treasurer))
    assert resp.status_code == 422 and resp.is_json and resp.json["error"] in ("invalid", "bad_cursor"), resp.json


def test_api_void_some_tickets(client, desk):
    order = _sell(desk, desk.seats[10:14])
    auth = _token(desk.seller)
    url = f"/api/v1/orders/{order.id}/void"
    ids = [t.id for t in order.tickets]
    resp = client.post(url, json={"reason": "two seats", "ticket_ids": ids[:2], "refund_method": "transfer",
                                  "reference": "KBANK-77"}, headers=auth)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "partly_void"
    assert [t["status"] for t in resp.json["tickets"]] == ["void", "void", "valid", "valid"]
    assert resp.json["tickets"][0]["code"] is None and resp.json["tickets"][2]["code"]
    assert resp.json["refunds"][0]["method"] == "transfer" and resp.json["refunds"][0]["reference"] == "KBANK-77"
    assert resp.json["refunds"][0]["amount_satang"] == 160000
    cases = [({"reason": "x", "ticket_ids": ids[:1]}, 409, "already_void"),
             ({"reason": "x", "ticket_ids": ["nope"]}, 422, "unknown_tickets"),
             ({"reason": "x", "ticket_ids": []}, 422, "invalid"),
             ({"reason": "x", "ticket_ids": "all"}, 422, "invalid"),
             ({"reason": "x", "ticket_ids": [ids[2]], "refund_method": "card"}, 422, "invalid"),
             ({"reason": "x", "ticket_ids": [ids[2]], "refund_method": "transfer"}, 422, "invalid"),
             ({"reason": "", "ticket_ids": [ids[2]]}, 422, "invalid")]
    for body, status, code in cases:
        resp = client.post(url, json=body, headers=auth)
        assert (resp.status_code, resp.json["error"]) == (status, code), (body, resp.json)
    assert client.post(url, json={"reason": "x", "ticket_ids": [ids[2]]},
                       headers=_token(desk.other)).status_code == 403
    assert client.post(url, json={"reason": "x", "ticket_ids": [ids[2]]},
                       headers=_token(desk.treasurer)).status_code == 403
    assert client.post("/api/v1/orders/nope/void", json={"reason": "x"}, headers=auth).status_code == 404
    assert _nothing_changed(order.id) == ("partly_void", 1, 4)
    resp = client.post(url, json={"reason": "rest"}, headers=auth)  # omitted: the whole (rest of the) order
    assert resp.json["status"] == "void" and check.problems() == []


def test_openapi_documents_the_search_and_the_ticket_void(client):
    doc = client.get("/api/v1/openapi.json").json
    params = {p["name"] for p in doc["paths"]["/api/v1/orders"]["get"]["parameters"]}
    assert {"q", "phone", "email", "session", "status", "method", "from", "to", "cursor"} <= params
    assert "post" in doc["paths"]["/api/v1/orders"]
    assert {"ticket_ids", "refund_method", "reference"} <= set(doc["components"]["schemas"]["Void"]["properties"])
    listed = doc["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("OrderList")


# --- the pages -----------------------------------------------------------------------------------

def test_orders_page_finds_by_phone_and_the_order_page_shows_everything(client, desk):
    order = _sell(desk, desk.seats[10:14], buyer={"name": "คุณแม่", "phone": "0891234567"})
    _sell(desk, desk.seats[14:15], who=desk.other, buyer={"phone": "0891234567"})
    login(client, "seller1")
    page = client.get("/orders/?q=1234567").get_data(as_text=True)
    assert order.number in page and page.count('class="order-no"') == 1
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    for text in ("คุณแม่", "0891234567", 'id="reprint-receipt"', "tickets-a6.pdf", "tickets-80mm.pdf",
                 'name="ticket_ids"', 'name="refund_method"', 'id="email-form"'):
        assert text in page, text
    assert client.get("/orders/?status=lost").status_code == 200  # said on the page, not a 500


def test_order_page_refunds_one_ticket_and_records_the_email(client, desk, app):
    order = _sell(desk, desk.seats[10:14])
    login(client, "seller1")
    resp = client.post(f"/orders/{order.id}/void", data={"ticket_ids": [order.tickets[3].id], "reason": "sick",
                                                          "refund_method": "cash"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "partly_void"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "800.00" in page and "sick" in page
    # Nothing chosen, or a transfer with no reference: refused, said, nothing written.
    resp = client.post(f"/orders/{order.id}/void", data={"reason": "x", "refund_method": "cash"})
    assert resp.status_code == 422
    resp = client.post(f"/orders/{order.id}/void", data={"ticket_ids": [order.tickets[0].id], "reason": "x",
                                                          "refund_method": "transfer"})
    assert resp.status_code == 422 and 'name="reference"' in resp.get_data(as_text=True)
    assert _nothing_changed(order.id) == ("partly_void", 1, 4)
    client.post(f"/orders/{order.id}/email", data={"email": "buyer@example.com"})
    assert db.session.scalar(select(OrderEmail.to_address).where(OrderEmail.order_id == order.id)) == \
        "buyer@example.com"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "buyer@example.com" in page
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.email"))


def test_order_pages_keep_to_the_access_rules(client, desk):
    order = _sell(desk, desk.seats[10:12])
    login(client, "seller2")
    assert client.get(f"/orders/{order.id}").status_code == 403
    assert client.post(f"/orders/{order.id}/void", data={"ticket_ids": [order.tickets[0].id],
                                                         "reason": "x"}).status_code == 403
    assert client.post(f"/orders/{order.id}/email", data={"email": "a@b.co"}).status_code == 403
    client.post("/logout")
    login(client, "treasurer1")
    assert client.get(f"/orders/{order.id}").status_code == 200
    assert 'name="ticket_ids"' not in client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert client.post(f"/orders/{order.id}/void", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    login(client, "gate1")
    assert client.get("/orders/").status_code == 403
    assert client.get(f"/orders/{order.id}").status_code == 403
    assert client.get("/orders/nope").status_code in (403, 404)


@pytest.mark.parametrize("q", ["face", "12-3", "12", "a", "Mary Ann Lee", "A1 99 99", "%", "_", "ก"])
def test_any_text_is_a_search_never_an_error(desk, q):
    _sell(desk, desk.seats[10:11], buyer={"name": "x"})
    assert isinstance(search_orders(desk.treasurer, OrderFilter(q=q)).orders, list)
