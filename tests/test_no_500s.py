"""Odd input gets a clear 4xx, never a 500 (issue 14, item 5): JSON nested 100,000 deep, a 5,000-digit
number, a NUL byte in any string, an over-long Idempotency-Key, ids beyond what a database column holds,
TRACE; an unreachable database answers 503 in the caller's format; and the same Idempotency-Key sent at
the same moment with different bodies through a real multi-worker server gets 409 idempotency_key_reused.

Runs on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL): NUL bytes and large integers
are refused differently by the two engines, so both must pass."""
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from conftest import login
from ticketing import create_app
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import Order, Ticket
from ticketing.sales.services import PaymentInput, sell
from api_client import post_order
from gunicorn_server import Gunicorn, free_port

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000
BEYOND = 2**31  # one past PostgreSQL's integer


@pytest.fixture
def world(make, app):
    """A festival with one sale, a seller (session cookie and token), gate staff and a treasurer."""
    festival = make.festival()
    session = festival.sessions[0]
    seats = [s.id for s in inventory.seat_views(session.id)]
    seller = make.user("seller", roles=["seller"])
    gate = make.user("gate", roles=["gate"])
    make.user("treasurer", roles=["treasurer"])
    order = sell(seller, session.id, seats[:1], PaymentInput("cash"))
    tokens = {name: issue_token(None, user) for name, user in (("seller", seller), ("gate", gate))}
    db.session.commit()
    return SimpleNamespace(festival=festival, session=session, seats=seats, order=order.id,
                           ticket=order.tickets[0].id, seller=seller,
                           auth={k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()})


def _refused(resp, *statuses):
    """A clear refusal: one of ``statuses`` (any 4xx when none is given), JSON with an error code and a
    message under /api/, never a 500."""
    assert resp.status_code < 500, (resp.status_code, resp.data[:300])
    assert resp.status_code in statuses if statuses else 400 <= resp.status_code < 500, (resp.status_code,
                                                                                         resp.data[:300])
    if resp.request.path.startswith("/api/"):
        assert resp.is_json and resp.json["error"] and resp.json["message"], resp.data[:300]
    return resp


def _json_posts(w):
    """Every API endpoint that reads a JSON body, with who may call it."""
    return [("/api/v1/orders", "seller"), (f"/api/v1/orders/{w.order}/void", "seller"),
            ("/api/v1/checkins", "gate"), ("/api/v1/checkins/batch", "gate")]


def test_json_nested_100000_deep_is_400(client, world):
    for path, who in _json_posts(world):
        resp = _refused(client.post(path, data=DEEP, content_type="application/json", headers=world.auth[who]), 400)
        assert resp.json["error"] == "bad_request", path
    # the counter's own JSON calls (browser session) read a body they cannot parse as no body: refused, or
    # (release) nothing to do
    login(client, "seller")
    for action in ("hold", "release", "best"):
        resp = client.post(f"/counter/sessions/{world.session.id}/{action}", data=DEEP, content_type="application/json")
        assert resp.status_code in (200, 400, 422) and resp.json.get("held", []) == [], (action, resp.data[:300])


def test_a_5000_digit_number_is_refused(client, world):
    body = '{"session_id": %s, "seat_ids": [1], "payment_method": "cash"}' % HUGE
    _refused(client.post("/api/v1/orders", data=body, content_type="application/json", headers=world.auth["seller"]),
             400)
    body = '{"session_id": 1, "seat_ids": [%s], "payment_method": "cash"}' % HUGE
    _refused(client.post("/api/v1/orders", data=body, content_type="application/json", headers=world.auth["seller"]),
             400)
    _refused(client.get(f"/api/v1/orders?session={HUGE}", headers=world.auth["seller"]), 422)
    _refused(client.get(f"/api/v1/sessions/{HUGE}/seats", headers=world.auth["seller"]), 404)
    login(client, "seller")
    _refused(client.get(f"/counter/sessions/{HUGE}"), 404)
    _refused(client.post(f"/counter/sessions/{world.session.id}/hold", json={"seat_ids": [int(HUGE[:4000])]}))


@pytest.mark.parametrize("where", ["buyer", "reason", "reference", "payment_method", "best_available"])
def test_a_nul_byte_in_a_json_string_is_422(client, world, where):
    body = {"session_id": world.session.id, "seat_ids": [world.seats[5]], "payment_method": "cash"}
    if where == "buyer":
        body["buyer"] = {"name": "ก\x00ข", "phone": "", "email": ""}
    elif where == "best_available":
        del body["seat_ids"]
        body["best_available"] = {"count": 2, "section": "A1\x00"}
    elif where == "payment_method":
        body["payment_method"] = "cash\x00"
    else:
        body[where] = "x\x00y"
    resp = _refused(client.post("/api/v1/orders", json=body, headers=world.auth["seller"]), 422)
    assert resp.json["error"] == "invalid" and resp.json["fields"], resp.json
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1  # nothing sold


def test_a_nul_byte_anywhere_else_is_refused(client, world):
    seller = world.auth["seller"]
    _refused(client.get("/api/v1/orders/%00", headers=seller), 404)
    _refused(client.get("/api/v1/orders/%00/tickets.pdf", headers=seller), 404)
    _refused(client.get("/api/v1/orders?q=%00", headers=seller), 422)
    _refused(client.get("/api/v1/orders?phone=08%001", headers=seller), 422)
    _refused(client.post(f"/api/v1/orders/{world.order}/void", json={"reason": "\x00"}, headers=seller), 422)
    _refused(client.post(f"/api/v1/orders/{world.order}/void", json={"reason": "r", "ticket_ids": ["\x00"]},
                         headers=seller), 422)
    _refused(client.post("/api/v1/checkins", json={"code": "AB\x00", "session_id": world.session.id,
                                                   "entrance_id": 1, "device": "d\x00"},
                         headers=world.auth["gate"]), 422)
    _refused(client.post("/login", data={"username": "sel\x00ler", "password": "x"}), 400)
    _refused(client.get("/t/%00"), 404)
    login(client, "seller")
    for path in ("/orders/%00", "/counter/orders/%00", "/orders/?q=%00", "/counter/orders/%00/tickets-a6.pdf"):
        _refused(client.get(path), 400, 404)
    db.session.expire_all()
    assert db.session.get(Order, world.order).status == "paid"


def test_an_idempotency_key_over_100_characters_is_422(client, world):
    body = {"session_id": world.session.id, "seat_ids": [world.seats[3]], "payment_method": "cash"}
    for key in ("k" * 101, "k" * 5000):
        resp = _refused(client.post("/api/v1/orders", json=body, headers={**world.auth["seller"],
                                                                          "Idempotency-Key": key}), 422)
        assert "Idempotency-Key" in json.dumps(resp.json["fields"]), resp.json
    ok = client.post("/api/v1/orders", json=body, headers={**world.auth["seller"], "Idempotency-Key": "k" * 100})
    assert ok.status_code == 201, ok.json


def test_ids_beyond_the_database_integer_are_refused(client, world):
    seller = world.auth["seller"]
    for ids in ([BEYOND], [2**63], [-BEYOND], [world.seats[4], 2**64]):
        _refused(client.post("/api/v1/orders", json={"session_id": world.session.id, "seat_ids": ids,
                                                     "payment_method": "cash"}, headers=seller), 422)
    _refused(client.post("/api/v1/orders", json={"session_id": BEYOND, "seat_ids": [1], "payment_method": "cash"},
                         headers=seller), 422)
    for path in (f"/api/v1/sessions/{BEYOND}/seats", f"/api/v1/sessions/{2**64}/revocations"):
        _refused(client.get(path, headers=seller), 404)
    _refused(client.get(f"/api/v1/sessions/{world.session.id}/gate-lookup?seat={BEYOND}", headers=world.auth["gate"]))
    login(client, "seller")
    for path in (f"/counter/sessions/{BEYOND}", f"/counter/sessions/{2**64}", f"/counter/shifts/{2**64}",
                 f"/sessions/{2**70}/map"):
        _refused(client.get(path), 404)
    for action in ("hold", "release"):
        _refused(client.post(f"/counter/sessions/{world.session.id}/{action}", json={"seat_ids": [BEYOND, 2**64]}))
    resp = client.post(f"/counter/sessions/{world.session.id}/sell",
                       data={"seat_ids": f"{BEYOND},{2**64}", "payment_method": "cash"})
    assert resp.status_code < 500
    client.post("/logout")
    login(client, "treasurer")
    for path in (f"/admin/festivals/{2**64}", f"/revenue/closed/{2**64}.json", f"/revenue/expenses/{BEYOND}/receipt"):
        _refused(client.get(path), 403, 404)


def test_trace_is_405_with_allow(client, world):
    for path in ("/", "/login", "/api/v1/orders", "/api/v1/festivals"):
        resp = client.open(path, method="TRACE", headers=world.auth["seller"])
        assert resp.status_code == 405 and resp.headers.get("Allow"), (path, resp.status_code, resp.headers)
        assert "TRACE" not in resp.headers["Allow"]
        if path.startswith("/api/"):
            assert resp.json["error"] == "method_not_allowed"
        else:  # a page in the user's language
            assert "ไม่อนุญาต" in resp.get_data(as_text=True), resp.get_data(as_text=True)[:300]


# --- the database is unreachable ---------------------------------------------------------------------------------

def _unreachable_url(url: str, tmp_path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'gone.sqlite3'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone?connect_timeout=2"


def test_an_unreachable_database_is_503_in_the_callers_format(app, client, world, tmp_path):
    cookie_client = app.test_client()
    assert login(cookie_client, "seller").status_code == 302
    cookie = cookie_client.get_cookie("session")
    down = create_app({"SQLALCHEMY_DATABASE_URI": _unreachable_url(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path),
                       "SECRET_KEY": app.config["SECRET_KEY"], "TESTING": True, "WTF_CSRF_ENABLED": False})
    attempts = []
    with down.app_context():
        from sqlalchemy import event

        @event.listens_for(db.engine, "do_connect")
        def _count(*_args):  # every try to reach the database, the request's own and any error handler's
            attempts.append(1)

    def one_try(request):
        before = len(attempts)
        resp = request()
        assert len(attempts) - before == 1, f"{len(attempts) - before} tries to reach the database: the error " \
                                            "handler must not try again"
        return resp
    try:
        browser = down.test_client()
        browser.set_cookie("session", cookie.value)
        for path in ("/counter/", "/orders/", f"/orders/{world.order}"):
            resp = one_try(lambda: browser.get(path))
            assert resp.status_code == 503, (path, resp.status_code, resp.data[:300])
            assert resp.mimetype == "text/html" and resp.headers.get("Retry-After")
            assert "ฐานข้อมูล" in resp.get_data(as_text=True)  # "the database cannot be reached", in Thai
        api = down.test_client()
        for path in ("/api/v1/festivals", f"/api/v1/orders/{world.order}"):
            resp = one_try(lambda: api.get(path, headers=world.auth["seller"]))
            assert resp.status_code == 503 and resp.is_json, (path, resp.status_code, resp.data[:300])
            assert resp.json["error"] == "unavailable" and resp.json["message"] and resp.headers.get("Retry-After")
        resp = one_try(lambda: api.post("/api/v1/orders", json={"session_id": world.session.id,
                                                                "seat_ids": [world.seats[9]], "payment_method": "cash"},
                                        headers=world.auth["seller"]))
        assert resp.status_code == 503 and resp.json["error"] == "unavailable"
    finally:
        with down.app_context():
            db.engine.dispose()


# --- the same Idempotency-Key at the same moment, through gunicorn ------------------------------------------------

@pytest.fixture
def gunicorn(app, tmp_path):
    with Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=4, threads=4) as server:
        yield server
    db.engine.dispose()


TRIES = 12
RACERS = 4


def test_one_idempotency_key_sent_at_once_with_different_bodies_is_409(gunicorn, world):
    """Four requests with one key and four different seat sets, released together, twelve times: exactly one
    sale per key, every other answer 409 idempotency_key_reused naming that sale."""
    token = issue_token(None, world.seller)
    db.session.commit()
    free = world.seats[1:]
    seen = []
    with ThreadPoolExecutor(RACERS) as pool:
        for attempt in range(TRIES):
            key = f"race-{attempt}"
            barrier = threading.Barrier(RACERS)
            bodies = [{"session_id": world.session.id, "seat_ids": [free[attempt * RACERS + i]],
                       "payment_method": "cash"} for i in range(RACERS)]

            def go(body, key=key, barrier=barrier):
                barrier.wait()
                return post_order(gunicorn.url, token, body, key, timeout=60)
            results = list(pool.map(go, bodies))
            seen.append(results)
            statuses = sorted(status for status, _ in results)
            assert statuses == [201] + [409] * (RACERS - 1), (results, gunicorn.tail())
            made = next(body["id"] for status, body in results if status == 201)
            for status, body in results:
                if status == 409:
                    assert body["error"] == "idempotency_key_reused" and body["order_id"] == made, body
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1 + TRIES
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "valid")) == 1 + TRIES
