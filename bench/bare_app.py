"""Baselines: bare Flask endpoints doing only the conditional write of bench/onsale.py (the seat update)
and of bench/gate.py (the admission)."""
import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from ticketing.config import sqlalchemy_url

app = Flask(__name__)
engine = create_engine(sqlalchemy_url(os.environ["DATABASE_URL"]), connect_args=(
    {"timeout": 10} if os.environ["DATABASE_URL"].startswith("sqlite") else {}))


@app.post("/bare")
def bare():
    body = request.get_json()
    ids = [int(i) for i in body["seat_ids"]]
    params = {"s": int(body["session_id"]), **{f"i{n}": i for n, i in enumerate(ids)}}
    marks = ", ".join(f":i{n}" for n in range(len(ids)))
    with engine.begin() as conn:
        count = conn.execute(text(f"UPDATE seat_inventory SET state = 'sold' WHERE session_id = :s "
                                  f"AND seat_id IN ({marks}) AND state = 'available'"), params).rowcount
        if count != len(ids):
            conn.rollback()
            return jsonify(error="seats_taken"), 409
    return jsonify(sold=count), 201


@app.post("/bare-checkin")
def bare_checkin():
    """The baseline for bench/gate.py: only the conditional admission write, then commit."""
    body = request.get_json()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.begin() as conn:
        admitted = conn.execute(text(
            "INSERT INTO admissions (ticket_id, session_id, state, first_at, first_entrance_id, first_device, "
            "entries, updated_at) VALUES (:t, :s, 'in', :now, :e, :d, 1, :now) "
            "ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id"),
            {"t": str(body["ticket_id"]), "s": int(body["session_id"]), "e": int(body["entrance"]),
             "d": str(body["device"]), "now": now}).first()
    return jsonify(result="ok" if admitted else "already_used")
