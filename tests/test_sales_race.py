"""Many counters race for the same seats through a real multi-worker gunicorn server:
every seat is sold at most once and every loser gets `seats_taken`."""
import json
import multiprocessing
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.sales.models import Ticket
from gunicorn_server import Gunicorn

CLIENTS = 8
ROUNDS = 6


@pytest.fixture
def gunicorn(app, tmp_path):
    with Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=4) as server:
        yield server.url
    db.engine.dispose()


def buy(url: str, token: str, session_id: int, seat_ids: list[int], **extra) -> tuple[int, dict]:
    body = json.dumps({"session_id": session_id, "seat_ids": seat_ids, "payment_method": "cash", **extra}).encode()
    req = urllib.request.Request(f"{url}/api/v1/orders", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


def _buy_in_process(args):
    return buy(*args)


@pytest.fixture
def counters(make):
    """One seller (with its own organization and token) per client, and a session."""
    session = make.festival().sessions[0]
    tokens = []
    for i in range(CLIENTS):
        seller = make.user(f"seller{i}", roles=["seller"])
        tokens.append(issue_token(None, seller))
    db.session.commit()
    return session, tokens, [s.id for s in inventory.seat_views(session.id)]


def _check_round(results, seats):
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1), results
    for status, body in results:
        if status == 409:
            assert body["error"] == "seats_taken" and set(body["seats"]) & set(seats)


def _check_database(sold_seats):
    db.session.expire_all()
    live = db.session.execute(select(Ticket.seat_id, func.count()).where(Ticket.status == "valid")
                              .group_by(Ticket.seat_id)).all()
    assert all(count == 1 for _seat, count in live), live
    assert sorted(seat for seat, _ in live) == sorted(sold_seats)
    sold = db.session.scalar(select(func.count()).select_from(SeatInventory).where(SeatInventory.state == "sold"))
    assert sold == len(sold_seats)


def test_threads_race_through_gunicorn(gunicorn, counters):
    session, tokens, seat_ids = counters
    sold = []
    with ThreadPoolExecutor(CLIENTS) as pool:
        for r in range(ROUNDS):
            seats = seat_ids[r * 4:(r + 1) * 4]
            barrier = threading.Barrier(CLIENTS)

            def attempt(token, seats=seats, barrier=barrier):
                barrier.wait()
                return buy(gunicorn, token, session.id, seats)
            _check_round(list(pool.map(attempt, tokens)), seats)
            sold += seats
    _check_database(sold)


def test_processes_race_through_gunicorn(gunicorn, counters):
    session, tokens, seat_ids = counters
    sold = []
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(CLIENTS) as pool:
        for r in range(ROUNDS):
            seats = seat_ids[r * 4:(r + 1) * 4]
            results = pool.map(_buy_in_process, [(gunicorn, t, session.id, seats) for t in tokens])
            _check_round(results, seats)
            sold += seats
    _check_database(sold)


def test_complimentary_quota_holds_when_counters_give_seats_away_at_once(gunicorn, make):
    """Eight sellers of one organization give one seat each away at the same moment, with a quota of
    three: exactly three get their seats, the others are told the quota is used up."""
    from ticketing.sales.services import set_quota

    festival = make.festival()
    session = festival.sessions[0]
    org = make.org()
    tokens = [issue_token(None, make.user(f"giver{i}", roles=["seller"], org=org)) for i in range(CLIENTS)]
    set_quota(None, festival, org.id, 3)
    db.session.commit()
    seat_ids = [s.id for s in inventory.seat_views(session.id)][:CLIENTS]
    barrier = threading.Barrier(CLIENTS)

    def give(i):
        barrier.wait()
        return buy(gunicorn, tokens[i], session.id, [seat_ids[i]], payment_method="complimentary", reason="แขก")
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(give, range(CLIENTS)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 3 + [422] * (CLIENTS - 3), results
    assert all(body["error"] == "quota_exceeded" for status, body in results if status == 422)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "valid")) == 3


def test_database_refuses_a_second_live_ticket(app, counters, client):
    session, tokens, seat_ids = counters
    status, body = buy_local(client, tokens[0], session.id, seat_ids[:1])
    assert status == 201
    order_id = body["id"]
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO tickets (id, order_id, session_id, seat_id, category_id, price_satang, "
                                "status, position) SELECT 'forged', order_id, session_id, seat_id, category_id, "
                                "price_satang, 'valid', 1 FROM tickets WHERE order_id = :o"), {"o": order_id})
        db.session.flush()
    db.session.rollback()


def buy_local(client, token, session_id, seat_ids):
    resp = client.post("/api/v1/orders", json={"session_id": session_id, "seat_ids": seat_ids, "payment_method": "cash"},
                       headers={"Authorization": f"Bearer {token}"})
    return resp.status_code, resp.json
