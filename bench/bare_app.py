"""The baseline for bench/onsale.py: a bare Flask endpoint doing only the conditional seat update."""
import os

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
