"""The JSON API: shapes, seat-map order, auth, JSON errors and the OpenAPI document."""
import pytest

from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services


@pytest.fixture
def auth(make):
    user = make.user("api", roles=["treasurer"])
    token = issue_token(None, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_festivals_and_sessions(client, make, auth):
    festival = make.festival(sessions=2)
    body = client.get("/api/v1/festivals", headers=auth).json
    assert body["festivals"][0]["id"] == festival.id and body["festivals"][0]["year"] == 2027
    assert body["festivals"][0]["name"] == "งานแห่เทียน"
    sessions = client.get(f"/api/v1/sessions?festival={festival.id}", headers=auth).json["sessions"]
    assert [s["festival_id"] for s in sessions] == [festival.id] * 2
    assert sessions[0]["starts_at"].startswith("2027-07-19T00:00:00")
    assert client.get("/api/v1/sessions?festival=999", headers=auth).json == {"sessions": []}


def test_bad_query_gives_json_422(client, auth):
    resp = client.get("/api/v1/sessions?festival=abc", headers=auth)
    assert resp.status_code == 422
    assert resp.json["error"] == "invalid" and "festival" in resp.json["fields"]["query"]


def test_seats_in_map_order_with_allocation(client, make, auth):
    session = make.festival().sessions[0]
    org = make.org("chamber")
    first = services.seat_views(session.id)[0]
    services.allocate_seats(None, session, [first.id], org.id)
    services.block_seats(None, session, [services.seat_views(session.id)[1].id], "officials")
    db.session.commit()
    seats = client.get(f"/api/v1/sessions/{session.id}/seats", headers=auth).json["seats"]
    assert len(seats) == 56
    assert seats[0] == {"id": first.id, "label": "1", "stand": "A", "section": "A1", "row": "1",
                        "state": "available", "category": "front", "price_satang": 150000, "sold_whole": False,
                        "organization": {"id": org.id, "code": "chamber"}}
    assert seats[1]["state"] == "blocked" and seats[1]["organization"] is None
    assert [s["row"] for s in seats[:11]] == ["1"] * 10 + ["2"]


def test_unknown_session_is_json_404(client, auth):
    resp = client.get("/api/v1/sessions/12345/seats", headers=auth)
    assert resp.status_code == 404 and resp.json["error"] == "not_found" and resp.json["message"]


@pytest.mark.parametrize("path", ["/api/v1/sessions/9223372036854775808/seats",
                                  "/api/v1/sessions/9223372036854775808/revocations",
                                  "/api/v1/sessions/99999/revocations", "/api/v1/no-such-thing"])
def test_unknown_things_are_json_404_never_500(client, auth, path):
    resp = client.get(path, headers=auth)
    assert resp.status_code == 404 and resp.is_json and resp.json["error"] == "not_found", resp.data[:200]


def test_unreadable_json_is_a_json_400(client, auth):
    resp = client.post("/api/v1/orders", data="{not json", headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.is_json and resp.json["error"] == "bad_request"  # 422: read, but wrong


def test_the_documented_error_body_is_the_one_sent(client):
    doc = client.get("/api/v1/openapi.json").json
    error = doc["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    name = error["$ref"].rsplit("/", 1)[1]
    assert {"error", "message", "fields", "seats", "order_id"} <= set(doc["components"]["schemas"][name]["properties"])


def test_api_errors_in_english_when_asked(client, auth):
    client.set_cookie("lang", "en")
    resp = client.get("/api/v1/sessions/12345/seats", headers=auth)
    assert resp.json["message"] == "No such session."


def test_logged_in_browser_session_can_read(client, make):
    from conftest import login
    make.user("s1", roles=["seller"])
    login(client, "s1")
    assert client.get("/api/v1/festivals").status_code == 200


def test_openapi_document_describes_every_endpoint(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/festivals", "/api/v1/sessions", "/api/v1/sessions/{session_id}/seats"} <= set(doc["paths"])
    seat = doc["components"]["schemas"]["Seat"]["properties"]
    assert {"id", "label", "stand", "section", "row", "state", "category", "price_satang", "organization"} <= set(seat)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
