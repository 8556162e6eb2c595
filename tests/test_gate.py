"""Gate check-in: every result, once-only admission, resent scans, re-entry, offline batches, bad input."""
from datetime import timedelta

import pytest
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.gate import checkin, services as gate
from ticketing.gate.models import Admission, CheckIn
from ticketing.inventory import services as inventory
from ticketing.sales.models import Ticket
from ticketing.sales.services import PaymentInput, sell, void_order
from ticketing.tickets import services as tickets
from ticketing.timeutil import utcnow


@pytest.fixture
def gate_setup(make):
    """Two sessions with open gates, entrance N bound to stand A, entrance S unbound; a sold order."""
    festival = make.festival(sessions=2)
    for session in festival.sessions:
        session.gate_opens_at = utcnow() - timedelta(hours=1)
    admin = make.user("admin", roles=["admin"])
    north = gate.save_entrance(admin, festival.id, None, code="N", name_th="ประตูเหนือ", name_en="North", stands=["A"])
    south = gate.save_entrance(admin, festival.id, None, code="S", name_th="ประตูใต้", name_en="South", stands=[])
    seller = make.user("seller1", roles=["seller"])
    session = festival.sessions[0]
    seats = inventory.seat_views(session.id)
    order = sell(seller, session.id, [seats[0].id, seats[1].id, seats[2].id], PaymentInput("cash"), {})
    other = sell(seller, festival.sessions[1].id, [seats[0].id], PaymentInput("cash"), {})
    guard = make.user("gate1", roles=["gate"])
    db.session.commit()

    class Setup:
        pass
    s = Setup()
    s.festival, s.session, s.north, s.south, s.order, s.other, s.guard, s.admin, s.seller = (
        festival, session, north, south, order, other, guard, admin, seller)
    s.codes = [tickets.code_for(t) for t in order.tickets]
    return s


def bearer(user) -> dict:
    token = issue_token(None, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def scan(s, code, nonce, *, entrance=None, device="phone-1", mode="entry", **more):
    answer = checkin.check_in(s.guard, checkin.Scan(session_id=s.session.id, entrance_id=(entrance or s.north).id,
                                                    device=device, nonce=nonce, code=code, mode=mode, **more))
    db.session.commit()
    return answer


def test_first_scan_admits_and_second_is_already_used(gate_setup):
    s = gate_setup
    first = scan(s, s.codes[0], "n1")
    assert first.result == "ok" and first.ticket["seat_label"] and first.ticket["stand"] == "A"
    second = scan(s, s.codes[0], "n2", device="phone-2")
    assert second.result == "already_used"
    assert second.first_entrance["code"] == "N" and second.first_admitted_at is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 2


def test_resent_scan_gets_its_first_answer(gate_setup):
    s = gate_setup
    assert scan(s, s.codes[0], "same").result == "ok"
    again = scan(s, s.codes[0], "same")
    assert again.result == "ok" and again.repeated
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1


def test_resent_refusal_stays_its_first_answer_even_when_it_would_now_pass(gate_setup):
    s = gate_setup
    s.session.gate_opens_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert scan(s, s.codes[0], "early").result == "not_yet"
    s.session.gate_opens_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert scan(s, s.codes[0], "early").result == "not_yet"
    assert db.session.get(Admission, s.order.tickets[0].id) is None
    assert scan(s, s.codes[0], "later").result == "ok"


def test_refusals(gate_setup):
    s = gate_setup
    assert scan(s, tickets.code_for(s.other.tickets[0]), "a").result == "wrong_session"
    assert scan(s, s.codes[1], "b", entrance=s.south).result == "wrong_entrance"
    void_order(s.seller, s.order.id, "buyer changed plans")
    db.session.commit()
    assert scan(s, s.codes[1], "c").result == "void"
    assert db.session.scalar(db.select(db.func.count()).select_from(Admission)) == 0


def test_reissued_ticket_old_code_is_revoked(gate_setup):
    s = gate_setup
    ticket = db.session.get(Ticket, s.order.tickets[0].id)
    tickets.reissue(s.admin, ticket.id)
    db.session.commit()
    assert scan(s, s.codes[0], "old").result == "revoked"
    assert scan(s, tickets.code_for(ticket), "new").result == "ok"


def test_not_yet_before_the_gates_open(gate_setup):
    s = gate_setup
    s.session.gate_opens_at = None
    s.session.starts_at = utcnow() + timedelta(days=2)
    db.session.commit()
    assert scan(s, s.codes[0], "x").result == "not_yet"


def test_every_one_character_change_is_invalid(gate_setup):
    s = gate_setup
    code = s.codes[0]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for i in range(len(code)):
        other = alphabet[(alphabet.index(code[i]) + 1) % 32]
        answer = checkin.check_in(s.guard, checkin.Scan(s.session.id, s.north.id, "fuzz", f"f{i}",
                                                        code=code[:i] + other + code[i + 1:]))
        assert answer.result == "invalid", i
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Admission)) == 0


@pytest.mark.parametrize("garbage", ["", "hello", "x" * 10_000, "ไทย", "A" * 146, "\x00\n"])
def test_garbage_is_invalid_and_recorded(gate_setup, garbage):
    s = gate_setup
    assert scan(s, garbage, "g").result == "invalid"
    assert db.session.scalar(db.select(CheckIn.result)) == "invalid"


def test_reentry_when_allowed(gate_setup):
    s = gate_setup
    assert scan(s, s.codes[0], "e1").result == "ok"
    with pytest.raises(Exception):
        scan(s, s.codes[0], "x1", mode="exit")  # re-entry is off by default: no exit scans
    db.session.rollback()
    s.session.reentry_allowed = True
    db.session.commit()
    assert scan(s, s.codes[0], "x2", mode="exit").result == "ok"
    assert scan(s, s.codes[0], "x3", mode="exit").result == "not_inside"
    assert scan(s, s.codes[0], "e2").result == "ok"
    assert scan(s, s.codes[0], "e3").result == "already_used"
    assert db.session.get(Admission, s.order.tickets[0].id).entries == 2


def test_offline_batch_reports_conflict(gate_setup):
    s = gate_setup
    assert scan(s, s.codes[0], "online", device="phone-2").result == "ok"
    now = utcnow()
    queue = [checkin.Scan(s.session.id, s.north.id, "phone-1", f"q{i}", code=c, scanned_at=now - timedelta(minutes=3 - i),
                          device_result="ok") for i, c in enumerate(s.codes)]
    answers = checkin.sync(s.guard, queue)
    db.session.commit()
    assert [a.result for a in answers] == ["already_used", "ok", "ok"]
    assert [a.conflict for a in answers] == [True, False, False]
    # the batch sent again (the answer was lost): first answers, nothing counted twice
    again = checkin.sync(s.guard, queue)
    db.session.commit()
    assert [a.result for a in again] == ["already_used", "ok", "ok"] and all(a.repeated for a in again)
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 4


def test_api_checkin_and_errors(gate_setup, client):
    s = gate_setup
    client.environ_base.update(HTTP_AUTHORIZATION=bearer(s.guard)["Authorization"])
    body = {"code": s.codes[0], "session_id": s.session.id, "entrance": s.north.id, "device": "d1", "nonce": "1"}
    answer = client.post("/api/v1/checkins", json=body).get_json()
    assert answer["result"] == "ok" and answer["ticket"]["seat_label"] and answer["message"]
    again = client.post("/api/v1/checkins", json={**body, "nonce": "2"}).get_json()
    assert again["result"] == "already_used" and again["first_entrance"]["code"] == "N"
    for bad in ({**body, "nonce": ""}, {**body, "session_id": "x"}, {k: v for k, v in body.items() if k != "device"},
                {**body, "code": "A" * 2000}, {**body, "mode": "sideways"}, {**body, "ticket_id": "abc"}):
        response = client.post("/api/v1/checkins", json=bad)
        assert response.status_code == 422, bad
        assert response.get_json()["error"] == "invalid"
    unknown = client.post("/api/v1/checkins", json={**body, "nonce": "3", "session_id": 99999})
    assert unknown.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 2


def test_only_gate_staff_and_admins_scan(gate_setup, client):
    s = gate_setup
    client.environ_base.update(HTTP_AUTHORIZATION=bearer(s.seller)["Authorization"])
    body = {"code": s.codes[0], "session_id": s.session.id, "entrance": s.north.id, "device": "d1", "nonce": "1"}
    assert client.post("/api/v1/checkins", json=body).status_code == 403
    assert client.get(f"/api/v1/sessions/{s.session.id}/gate-bundle").status_code == 403


def test_bundle_full_and_delta_with_etag(gate_setup, client):
    s = gate_setup
    client.environ_base.update(HTTP_AUTHORIZATION=bearer(s.guard)["Authorization"])
    full = client.get(f"/api/v1/sessions/{s.session.id}/gate-bundle")
    data = full.get_json()
    assert data["full"] and data["entrances"][0]["stands"] == ["A"] and data["admitted"] == {}
    assert str(s.order.tickets[0].seat_id) in data["seats"]
    etag = full.headers["ETag"]
    assert client.get(f"/api/v1/sessions/{s.session.id}/gate-bundle",
                      headers={"If-None-Match": etag}).status_code == 304
    scan(s, s.codes[0], "b1")
    delta = client.get(f"/api/v1/sessions/{s.session.id}/gate-bundle",
                       query_string={"since": data["generated_at"]}).get_json()
    assert not delta["full"] and list(delta["admitted"]) == [s.order.tickets[0].id]
    assert client.get(f"/api/v1/sessions/{s.session.id}/gate-bundle?since=yesterday").status_code == 422


def test_entrances_api_and_lookup(gate_setup, client):
    s = gate_setup
    client.environ_base.update(HTTP_AUTHORIZATION=bearer(s.guard)["Authorization"])
    listed = client.get(f"/api/v1/festivals/{s.festival.id}/entrances").get_json()["entrances"]
    assert [(e["code"], e["stands"]) for e in listed] == [("N", ["A"]), ("S", [])]
    assert client.get("/api/v1/festivals/99999/entrances").status_code == 404
    label = s.order.tickets[0].seat_id
    found = client.get(f"/api/v1/sessions/{s.session.id}/gate-lookup",
                       query_string={"q": s.order.id[:8]}).get_json()["tickets"]
    assert len(found) == 3 and label
    manual = client.post("/api/v1/checkins", json={"ticket_id": found[0]["ticket_id"], "session_id": s.session.id,
                                                   "entrance": s.north.id, "device": "d1", "nonce": "m"}).get_json()
    assert manual["result"] == "ok"


def test_entrance_bad_values(gate_setup):
    s = gate_setup
    from ticketing.errors import Invalid
    for bad in (dict(code="", name_th="x", name_en="x", stands=[]), dict(code="N", name_th="x", name_en="x", stands=[]),
                dict(code="Z", name_th="x", name_en="x", stands=["NOPE"]), dict(code="a b", name_th="", name_en="", stands=[])):
        with pytest.raises(Invalid):
            gate.save_entrance(s.admin, s.festival.id, None, **bad)
        db.session.rollback()


def test_a_wrong_device_clock_does_not_block_the_offline_queue(gate_setup):
    s = gate_setup
    now = utcnow()
    queue = [checkin.Scan(s.session.id, s.north.id, "phone-1", "late", code=s.codes[0],
                          scanned_at=now + timedelta(days=400), device_result="ok"),
             checkin.Scan(s.session.id, s.north.id, "phone-1", "fine", code=s.codes[1],
                          scanned_at=now - timedelta(minutes=1), device_result="ok")]
    assert [a.result for a in checkin.sync(s.guard, queue, now)] == ["ok", "ok"]
    db.session.commit()
    recorded = db.session.scalar(db.select(CheckIn.scanned_at).where(CheckIn.nonce == "late"))
    assert abs((recorded - now).total_seconds()) < 1
