"""The admin's gate pages: entrances with their stands, gate rules per session, the dashboard."""
from datetime import timedelta

from conftest import login
from test_gate import gate_setup, scan  # noqa: F401  (fixture)
from ticketing.extensions import db
from ticketing.gate import checkin
from ticketing.gate.models import Entrance
from ticketing.timeutil import utcnow


def test_admin_adds_edits_and_deletes_an_entrance(make, client):
    festival = make.festival()
    make.user("admin", roles=["admin"])
    login(client, "admin")
    url = f"/admin/festivals/{festival.id}/entrances"
    page = client.get(url)
    assert page.status_code == 200 and "อัฒจันทร์ A" in page.get_data(as_text=True)
    done = client.post(url, data={"action": "add", "code": "N1", "name_th": "ประตูเหนือ", "name_en": "North",
                                  "stands": ["A"]})
    assert done.status_code == 302
    entrance = db.session.scalar(db.select(Entrance))
    assert (entrance.code, entrance.stand_codes) == ("N1", ["A"])
    client.post(url, data={"action": "save", "entrance_id": entrance.id, "code": "N1", "name_th": "ประตูเหนือ",
                           "name_en": "North gate"})
    db.session.expire_all()
    assert db.session.get(Entrance, entrance.id).stand_codes == [] and entrance.name_en == "North gate"
    client.post(url, data={"action": "delete", "entrance_id": entrance.id})
    assert db.session.scalar(db.select(db.func.count()).select_from(Entrance)) == 0


def test_bad_entrance_values_are_refused_in_thai_and_change_nothing(make, client):
    festival = make.festival()
    make.user("admin", roles=["admin"])
    login(client, "admin")
    url = f"/admin/festivals/{festival.id}/entrances"
    for data in ({"action": "add", "code": "", "name_th": "x", "name_en": "x"},
                 {"action": "add", "code": "N 1", "name_th": "x", "name_en": "x"},
                 {"action": "add", "code": "N1", "name_th": "x", "name_en": "x", "stands": ["ZZ"]},
                 {"action": "save", "entrance_id": "999", "code": "N1", "name_th": "x", "name_en": "x"},
                 {"action": "session", "session_id": str(festival.sessions[0].id), "gate_opens_at": "tomorrow"},
                 {"action": "session", "session_id": str(festival.sessions[0].id), "gate_opens_at": "2099-01-01T00:00"},
                 {"action": "explode"}):
        response = client.post(url, data=data)
        assert response.status_code == 422, data
        assert 'class="flash error"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Entrance)) == 0
    assert festival.sessions[0].gate_opens_at is None


def test_session_gate_rules(make, client):
    festival = make.festival()
    make.user("admin", roles=["admin"])
    login(client, "admin")
    session = festival.sessions[0]
    response = client.post(f"/admin/festivals/{festival.id}/entrances",
                           data={"action": "session", "session_id": session.id, "reentry": "on",
                                 "gate_opens_at": "2027-07-19T05:30"})
    assert response.status_code == 302
    db.session.expire_all()
    assert session.reentry_allowed and session.gate_opens_at.isoformat() == "2027-07-18T22:30:00+00:00"


def test_only_admins_manage_entrances_and_see_the_dashboard(make, client):
    festival = make.festival()
    make.user("gate1", roles=["gate"])
    login(client, "gate1")
    assert client.get(f"/admin/festivals/{festival.id}/entrances").status_code == 403
    assert client.get("/gate/dashboard").status_code == 403


def test_dashboard_shows_counts_refusals_devices_and_conflicts(gate_setup, client):  # noqa: F811
    s = gate_setup
    scan(s, s.codes[0], "a", device="phone-2")
    scan(s, "garbage", "b", device="phone-2")
    checkin.sync(s.guard, [checkin.Scan(s.session.id, s.north.id, "phone-1", "q1", code=s.codes[0],
                                        scanned_at=utcnow() - timedelta(minutes=1), device_result="ok")])
    db.session.commit()
    login(client, "admin")
    for path in (f"/gate/dashboard?session={s.session.id}", f"/gate/dashboard/body?session={s.session.id}"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-count="admitted">1<' in html and 'data-count="conflicts" class="error">1<' in html
        assert 'data-result="invalid"' in html and "phone-1" in html and "phone-2" in html
        assert s.order.tickets[0].seat_id and 'id="conflicts"' in html
