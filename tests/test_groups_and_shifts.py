"""Issue 12, items 3-8: groups seated together, tables sold whole, the cash handover, forms that forgive,
the gate user's map, the phone ticket, and no 500s from the counter's JSON calls."""
import copy
import io
import json

import pytest
from sqlalchemy import select

from conftest import SMALL_MAP, login
from ticketing.audit.models import AuditEntry
from ticketing.errors import Conflict, Forbidden, Invalid
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales import holds, services as sales, shifts
from ticketing.sales.buyers import clean_buyer, normalised_phone
from ticketing.sales.models import ComplimentaryQuota, Order, Shift
from ticketing.seating.mapfile import MapError, parse_map

#: one section, three rows of eight, and a VIP table of six sold whole
GROUP_MAP = {
    "format": "ubon-candle-seating/1",
    "name": {"th": "ผังกลุ่ม", "en": "Group map"},
    "categories": [
        {"code": "std", "name": {"th": "ธรรมดา", "en": "Standard"}, "color": "#c8102e", "price_satang": 50000},
        {"code": "table", "name": {"th": "โต๊ะ", "en": "Table"}, "color": "#1a73e8", "price_satang": 100000}],
    "stands": [{"code": "S", "name": {"th": "อัฒจันทร์", "en": "Stand"}, "sections": [
        {"code": "S1", "name": {"th": "S1", "en": "S1"}, "blocks": [
            {"row_labels": ["A", "B", "C"], "seats_per_row": 8, "origin": {"x": 0, "y": 0}, "seat_pitch": 10,
             "row_pitch": 12, "category": "std"}]},
        {"code": "T", "name": {"th": "โต๊ะ", "en": "Tables"}, "rows": [
            {"label": "T1", "table": True, "category": "table", "seats": [
                {"label": str(i + 1), "x": 200 + (i % 3) * 10, "y": (i // 3) * 20} for i in range(6)]}]}]}],
}


@pytest.fixture
def group(client, make):
    festival = make.festival(GROUP_MAP)
    seller = make.user("seller1", roles=["seller"])
    login(client, "seller1")
    session = festival.sessions[0]
    seats = inventory.seat_views(session.id)
    return {"session": session, "seller": seller, "seats": seats, "base": f"/counter/sessions/{session.id}",
            "by_label": {(s.section, s.row, s.label): s for s in seats}}


def _block(group, labels):
    """Block seats ("A5", "B1", …) of section S1 so that only some runs stay free."""
    ids = [group["by_label"][("S1", label[0], label[1:])].id for label in labels]
    inventory.block_seats(None, group["session"], ids, "kept for officials")
    db.session.commit()


def _where(group, ids):
    seats = {s.id: s for s in group["seats"]}
    return sorted((seats[i].row, int(seats[i].label)) for i in ids)


# --- 3. groups sit together ---------------------------------------------------------------------

def test_one_row_when_a_row_has_room(group):
    proposal = holds.propose_group(group["seller"], group["session"], 6, "std")
    assert proposal.kind == "row" and {r for r, _n in _where(group, proposal.seat_ids)} == {"A"}


def test_six_over_two_rows_with_the_same_seat_numbers(group):
    _block(group, ["A4", "B4", "C4"])  # every row: runs of 3 and 4 only
    proposal = holds.propose_group(group["seller"], group["session"], 6, "std")
    assert proposal.kind == "block" and len(proposal.runs) == 2
    where = _where(group, proposal.seat_ids)
    front = [n for r, n in where if r == "A"]
    back = [n for r, n in where if r == "B"]
    assert len(front) == 3 and front == back  # same seat numbers front and back
    assert "2" in proposal.summary() and len(proposal.lines()) == 2


def test_five_is_three_in_front_and_two_behind(group):
    _block(group, ["A4", "B4", "C4"])
    proposal = holds.propose_group(group["seller"], group["session"], 5, "std")
    assert proposal.kind == "block"
    where = _where(group, proposal.seat_ids)
    front = {n for r, n in where if r == "A"}
    back = {n for r, n in where if r == "B"}
    assert len(front) == 3 and len(back) == 2 and back <= front


def test_fewest_runs_close_together_when_no_block_fits(group):
    # A: only 1-2 free, B: only 5-6 free, C: only 1-3 free: no row of 6, no block
    _block(group, ["A3", "A4", "A5", "A6", "A7", "A8", "B1", "B2", "B3", "B4", "B7", "B8", "C4", "C5", "C6",
                   "C7", "C8"])
    proposal = holds.propose_group(group["seller"], group["session"], 6, "std")
    assert proposal.kind == "runs" and len(proposal.runs) == 3 and len(proposal.seat_ids) == 6
    assert all(len({s.row for s in run}) == 1 for run in proposal.runs)


def test_impossible_says_what_is_possible(group, client):
    _block(group, [f"{r}{n}" for r in "ABC" for n in range(1, 9) if not (r == "A" and n <= 4)])
    with pytest.raises(Invalid) as err:
        holds.propose_group(group["seller"], group["session"], 6, "std")
    assert "4" in err.value.message and err.value.details["free"] == 4
    resp = client.post(f"{group['base']}/best", json={"count": 6, "category": "std"})
    assert resp.status_code == 422 and "4" in resp.json["message"]
    assert client.post(f"{group['base']}/best", json={"count": 0}).status_code == 422
    assert client.post(f"{group['base']}/best", json={"count": "6"}).status_code == 422
    assert client.post(f"{group['base']}/best", json={"count": 6, "category": ["x"]}).status_code == 422
    assert client.post(f"{group['base']}/best", data="not json").status_code == 422


def test_counter_holds_and_explains_a_block(group, client):
    _block(group, ["A4", "B4", "C4"])
    resp = client.post(f"{group['base']}/best", json={"count": 6, "category": "std"})
    assert resp.status_code == 200
    body = resp.json
    assert body["proposal"]["kind"] == "block" and len(body["proposal"]["runs"]) == 2
    assert sorted(body["held"]) == sorted(i for run in body["proposal"]["runs"] for i in run)
    assert len(body["proposal"]["lines"]) == 2 and body["total_satang"] == 6 * 50000


def test_api_best_available_sells_a_block(group, client, make):
    from ticketing.accounts.services import issue_token
    token = issue_token(None, group["seller"])
    db.session.commit()
    _block(group, ["A4", "B4", "C4"])
    resp = client.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}, json={
        "session_id": group["session"].id, "payment_method": "cash", "best_available": {"count": 6, "category": "std"}})
    assert resp.status_code == 201, resp.json
    assert {r for r, _n in _where(group, [t["seat_id"] for t in resp.json["tickets"]])} == {"A", "B"}


def test_a_table_is_sold_whole(group, client):
    table = [s.id for s in group["seats"] if s.row == "T1"]
    proposal = holds.propose_group(group["seller"], group["session"], 6, "table")
    assert sorted(proposal.seat_ids) == sorted(table)
    with pytest.raises(Invalid):  # 4 people do not get a table of 6
        holds.propose_group(group["seller"], group["session"], 4, "table")
    resp = client.post(f"{group['base']}/hold", json={"seat_ids": [table[0]]})  # one tap holds the table
    assert sorted(resp.json["held"]) == sorted(table)
    resp = client.post(f"{group['base']}/release", json={"seat_ids": [table[1]]})
    assert resp.json["held"] == []
    with pytest.raises(Invalid) as err:
        sales.sell(group["seller"], group["session"].id, table[:3], sales.PaymentInput("cash"))
    assert err.value.code == "table_sold_whole" and "T1" in err.value.message
    db.session.rollback()
    order = sales.sell(group["seller"], group["session"].id, table, sales.PaymentInput("cash"))
    assert len(order.tickets) == 6


def test_map_table_flag_is_documented_and_checked():
    plan = parse_map(json.dumps(GROUP_MAP))
    assert sum(s.sold_whole for s in plan.seats) == 6
    too_big = copy.deepcopy(GROUP_MAP)
    too_big["stands"][0]["sections"][1]["rows"][0]["seats"] = [
        {"label": str(i + 1), "x": 200 + i * 10, "y": 0} for i in range(21)]
    with pytest.raises(MapError) as err:
        parse_map(json.dumps(too_big))
    assert "20" in str(err.value)
    wrong_type = copy.deepcopy(GROUP_MAP)
    wrong_type["stands"][0]["sections"][1]["rows"][0]["table"] = "yes"
    with pytest.raises(MapError):
        parse_map(json.dumps(wrong_type))


def test_example_map_tables_are_sold_whole():
    from pathlib import Path
    raw = (Path(__file__).resolve().parent.parent / "seating_maps" / "candle-grandstand.example.json").read_bytes()
    plan = parse_map(raw)
    assert {s.row_label for s in plan.seats if s.sold_whole} == {f"T{i}" for i in range(1, 17)}


# --- 4. cash handover -------------------------------------------------------------------------

def test_shift_with_float_closed_short_and_received(app, make, client):
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    treasurer = make.user("treasurer1", roles=["treasurer"])
    session = festival.sessions[0]
    seats = inventory.seat_views(session.id)
    shift = shifts.start_shift(seller, 200000)  # 2,000 baht of change
    db.session.commit()
    with pytest.raises(Conflict):
        shifts.start_shift(seller, 0)
    db.session.rollback()
    sales.sell(seller, session.id, [seats[0].id], sales.PaymentInput("cash"))  # 1,500 baht
    sales.sell(seller, session.id, [seats[1].id], sales.PaymentInput("transfer", reference="REF1"))
    db.session.commit()
    assert db.session.scalar(select(Order.shift_id).where(Order.payment_method == "transfer")) == shift.id
    report = shifts.shift_report(shift)
    assert report.expected_cash == 200000 + 150000 and len(report.orders) == 2
    closed = shifts.close_shift(seller, 340000, "short 100")
    db.session.commit()
    assert closed.expected_cash_satang == 350000 and shifts.shift_report(closed).difference == -10000
    handover = shifts.cash_handover()[seller.organization_id]
    assert handover.held_satang == 140000 and handover.received_satang == 0
    with pytest.raises(Forbidden):
        shifts.mark_cash_received(seller, closed.id)
    shifts.mark_cash_received(treasurer, closed.id)
    db.session.commit()
    with pytest.raises(Conflict):
        shifts.mark_cash_received(treasurer, closed.id)
    db.session.rollback()
    handover = shifts.cash_handover(seller.organization_id)[seller.organization_id]
    assert handover.received_satang == 140000 and handover.held_satang == 0 and handover.shifts_received == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shift.cash_received"))
    assert entry.after["difference_satang"] == -10000 and entry.user_id == treasurer.id


def test_open_shift_page_and_bad_floats(client, make):
    make.festival()
    make.user("seller1", roles=["seller"])
    login(client, "seller1")
    page = client.get("/counter/shift").get_data(as_text=True)
    assert 'id="open-shift-form"' in page
    for bad in ("abc", "-5", "1,000,000,000"):
        resp = client.post("/counter/shift/open", data={"opening_float": bad})
        assert resp.status_code == 422 and f'value="{bad}"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(Shift.id)) is None
    resp = client.post("/counter/shift/open", data={"opening_float": "1,500"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Shift.opening_float_satang)) == 150000
    assert client.post("/counter/shift/open", data={"opening_float": "0"}).status_code == 409


def test_treasurer_sees_every_shift_and_marks_cash(client, make):
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    make.user("treasurer1", roles=["treasurer"])
    seats = inventory.seat_views(festival.sessions[0].id)
    for user, seat in ((seller, seats[0]), (other, seats[1])):
        shifts.start_shift(user, 100000)
        sales.sell(user, festival.sessions[0].id, [seat.id], sales.PaymentInput("cash"))
        shifts.close_shift(user, 240000)
    db.session.commit()
    login(client, "seller1")
    assert client.get("/counter/shifts/").status_code == 403
    login(client, "treasurer1")
    page = client.get("/counter/shifts/").get_data(as_text=True)
    assert page.count("data-shift=") == 2 and "-100.00" in page
    shift_id = db.session.scalar(select(Shift.id).where(Shift.user_id == seller.id))
    assert client.post(f"/counter/shifts/{shift_id}/received").status_code == 302
    assert db.session.get(Shift, shift_id).cash_received_at is not None
    report = client.get(f"/counter/shifts/{shift_id}").get_data(as_text=True)
    assert "seller1" in report and 'id="opening-float"' in report and "sign-line" in report
    assert client.get(f"/counter/shifts/{shift_id}?paper=80mm").status_code == 200
    waiting = client.get("/counter/shifts/?waiting=1").get_data(as_text=True)
    assert waiting.count("data-shift=") == 1


# --- 5. forms that forgive -----------------------------------------------------------------------

def test_login_ignores_case_and_does_not_capitalise(client, make):
    make.user("seller1", roles=["seller"])
    page = client.get("/login").get_data(as_text=True)
    assert 'autocapitalize="none"' in page and 'autocorrect="off"' in page
    assert login(client, "Seller1").status_code == 302
    assert client.get("/counter/").status_code == 200


def test_usernames_differing_in_case_are_refused(make):
    from ticketing.accounts.services import save_user
    make.user("seller1", roles=["seller"])
    with pytest.raises(Invalid) as err:
        save_user(None, None, username="SELLER1", roles=["gate"], organization_id=None, password="secret-pass")
    assert "username" in err.value.details


@pytest.mark.parametrize("phone, normal", [("081-234-5678", "0812345678"), ("+66 81 234 5678", "0812345678"),
                                           ("02 123 4567", "021234567"), ("12345", None), ("๐๘๑๒๓๔๕๖๗๘", None),
                                           ("0812345678901", None)])
def test_thai_phone_numbers(phone, normal, app):
    assert normalised_phone(phone) == normal


def test_buyer_contact_checked_or_left_empty(app):
    assert clean_buyer({"name": " Somchai ", "phone": "", "email": ""}) == {"name": "Somchai", "phone": "", "email": ""}
    assert clean_buyer({"phone": "081 234 5678", "email": "a@b.co"})["phone"] == "0812345678"
    with pytest.raises(Invalid) as err:
        clean_buyer({"phone": "hello", "email": "not-an-address"})
    assert set(err.value.details) == {"buyer_phone", "buyer_email"}


def test_sale_with_a_bad_email_keeps_the_form(client, make):
    festival = make.festival()
    make.user("seller1", roles=["seller"])
    login(client, "seller1")
    seat = inventory.seat_views(festival.sessions[0].id)[0].id
    resp = client.post(f"/counter/sessions/{festival.sessions[0].id}/sell", data={
        "seat_ids": str(seat), "payment_method": "cash", "buyer_email": "somchai@", "buyer_phone": "0812345678"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'value="somchai@"' in page and "<details open>" in page
    assert db.session.scalar(select(Order.id)) is None


def test_wtforms_default_messages_in_thai(client, make):
    make.user("seller1", roles=["seller"])
    page = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)  # Thai by default
    assert "This field is required." not in page and "กรุณากรอกช่องนี้" in page


def test_quota_form_keeps_values_marks_the_row_and_refuses_below_used(client, make):
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    make.user("admin1", roles=["admin"])
    other = make.org()
    db.session.add(ComplimentaryQuota(festival_id=festival.id, organization_id=seller.organization_id, seats=3))
    db.session.commit()
    seats = inventory.seat_views(festival.sessions[0].id)
    sales.sell(seller, festival.sessions[0].id, [seats[0].id, seats[1].id],
               sales.PaymentInput("complimentary", reason="press"))
    db.session.commit()
    login(client, "admin1")
    resp = client.post(f"/admin/festivals/{festival.id}/quotas",
                       data={f"seats-{seller.organization_id}": "1", f"seats-{other.id}": "7x"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'value="7x"' in page and 'value="1"' in page and page.count('aria-invalid="true"') == 2
    assert "2" in page  # the figure already used
    assert db.session.scalar(select(ComplimentaryQuota.seats).where(
        ComplimentaryQuota.organization_id == seller.organization_id)) == 3
    with pytest.raises(Invalid) as err:
        sales.set_quota(None, festival, seller.organization_id, 1)
    assert err.value.code == "quota_below_used" and err.value.details["used"] == 2


def test_allocate_rows_lists_only_this_festivals_sections(client, make):
    first = make.festival()
    second = make.festival(GROUP_MAP)
    make.user("admin1", roles=["admin"])
    login(client, "admin1")
    page = client.get(f"/admin/sessions/{second.sessions[0].id}/seats").get_data(as_text=True)
    assert "S / S1" in page and "A / A1" not in page
    page = client.get(f"/admin/sessions/{first.sessions[0].id}/seats").get_data(as_text=True)
    assert "A / A1" in page and "S / S1" not in page


def test_map_problems_are_sentences_without_paths(client, make):
    festival = make.festival()
    make.user("admin1", roles=["admin"])
    login(client, "admin1")
    bad = copy.deepcopy(SMALL_MAP)
    bad["categories"][1]["price_satang"] = 150.5
    resp = client.post(f"/admin/festivals/{festival.id}/map/", data={
        "file": (io.BytesIO(json.dumps(bad).encode()), "map.json"), "replace": "y"},
        content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert "categories[1]" not in page and "$" not in page.split("Problems")[-1][:2000]
    resp = client.post(f"/admin/festivals/{festival.id}/map/", data={
        "file": (io.BytesIO(b'{"format": "ubon-candle-seating/1" "name": 1}'), "map.json")},
        content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert "Expecting" not in page and "delimiter" not in page


def test_pretix_plan_asks_for_prices(client, make):
    from pathlib import Path
    from ticketing.seating.models import PriceCategory
    make.central()
    from ticketing.festivals.services import save_festival
    festival = save_festival(None, None, name_th="งาน", name_en="Fest", year=2027)
    db.session.commit()
    make.user("admin1", roles=["admin"])
    login(client, "admin1")
    raw = (Path(__file__).resolve().parent.parent / "seating_maps" / "pretix-small.example.json").read_bytes()
    resp = client.post(f"/admin/festivals/{festival.id}/map/", data={"file": (io.BytesIO(raw), "plan.json")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="prices-form"' in page
    plan = parse_map(raw)
    assert db.session.scalar(select(PriceCategory.id)) is None  # nothing imported yet
    fields = {"map_text": raw.decode(), **{f"price-{c.code}": "" for c in plan.categories}}
    resp = client.post(f"/admin/festivals/{festival.id}/map/import-priced", data=fields)
    assert resp.status_code == 422 and db.session.scalar(select(PriceCategory.id)) is None
    fields.update({f"price-{c.code}": f"{(i + 1) * 500}" for i, c in enumerate(plan.categories)})
    assert client.post(f"/admin/festivals/{festival.id}/map/import-priced", data=fields).status_code == 302
    prices = sorted(db.session.scalars(select(PriceCategory.price_satang)))
    assert prices == [(i + 1) * 50000 for i in range(len(plan.categories))]


# --- 6. gate users, 7. phone ticket ---------------------------------------------------------------

def test_gate_users_map_does_not_invite_selection(client, make):
    festival = make.festival()
    make.user("gate1", roles=["gate"])
    login(client, "gate1")
    page = client.get(f"/sessions/{festival.sessions[0].id}/map").get_data(as_text=True)
    assert "แตะเลือกที่นั่ง" not in page and "แตะที่นั่งเพื่อดูหมายเลข" in page  # Thai by default
    client.get("/lang/en")
    page = client.get(f"/sessions/{festival.sessions[0].id}/map").get_data(as_text=True)
    assert "then tap the seats." not in page and "tap a seat to see its label" in page


def test_void_orders_phone_page_offers_no_pdf(client, make):
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    seat = inventory.seat_views(festival.sessions[0].id)[0].id
    order = sales.sell(seller, festival.sessions[0].id, [seat], sales.PaymentInput("cash"))
    db.session.commit()
    page = client.get(f"/t/{order.access_token}").get_data(as_text=True)
    assert 'id="tickets-pdf"' in page and "/static/js/phone.js" in page  # the script that keeps the PDF offline
    sales.void_order(seller, order.id, "wrong day")
    db.session.commit()
    page = client.get(f"/t/{order.access_token}").get_data(as_text=True)
    assert 'id="tickets-pdf"' not in page and 'id="no-live-tickets"' in page


# --- 8. no 500s from the counter ---------------------------------------------------------------

@pytest.mark.parametrize("seat_ids", ["12345678901234567890", "²", "1,²", "-3", "1e5"])
def test_sell_with_bad_seat_ids_is_a_clear_422(group, client, seat_ids):
    resp = client.post(f"{group['base']}/sell", data={"seat_ids": seat_ids, "payment_method": "cash"})
    assert resp.status_code == 422


@pytest.mark.parametrize("action", ["hold", "release"])
@pytest.mark.parametrize("bad", [12345678901234567890, "²", 0, -1, 2**31, 1.5, True, None])
def test_hold_and_release_with_bad_ids_is_a_clear_422(group, client, action, bad):
    resp = client.post(f"{group['base']}/{action}", json={"seat_ids": [bad]})
    assert resp.status_code == 422 and resp.json["error"] == "invalid_seats"


def test_changes_with_a_huge_session_or_an_odd_cursor(group, client):
    assert client.get("/counter/sessions/123456789012/changes?cursor=0").status_code == 404
    assert client.post("/counter/sessions/123456789012/hold", json={"seat_ids": [1]}).status_code == 404
    for odd in ["yesterday", "-1", "1.x", "1.", "1.2,", "²", str(2**63), "9" * 40, ""]:
        resp = client.get(f"{group['base']}/changes", query_string={"cursor": odd})
        assert resp.status_code == 400 and resp.json["error"] == "bad_cursor", odd
    assert client.get(f"{group['base']}/changes").status_code == 400
    assert client.get(f"{group['base']}/changes?cursor=0").status_code == 200
