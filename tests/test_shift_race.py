"""A shift closed while a sale is being written: the close waits for the sale and counts it, and a sale
that comes after the close opens the next shift. Two real database connections, on both databases."""
import threading
import time

from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales import shifts
from ticketing.sales.models import Order, Shift
from ticketing.sales.services import PaymentInput, sell


def test_closing_a_shift_waits_for_the_sale_in_flight(app, make):
    session = make.festival().sessions[0]
    seller = make.user("seller1", roles=["seller"])
    seats = [s.id for s in inventory.seat_views(session.id)]
    first = sell(seller, session.id, [seats[0]], PaymentInput("cash"))  # opens the shift
    db.session.commit()
    seller_id, first_total = seller.id, first.total_satang
    in_flight, finished = threading.Event(), {}

    def sale():  # a second counter request: writes its sale, then takes a moment to commit
        with app.app_context():
            actor = db.session.get(type(seller), seller_id)
            order = sell(actor, session.id, [seats[1]], PaymentInput("cash"))
            in_flight.set()
            time.sleep(0.8)
            db.session.commit()
            finished["sale"] = (time.monotonic(), order.id)

    def close():
        with app.app_context():
            in_flight.wait(10)
            actor = db.session.get(type(seller), seller_id)
            shift = shifts.close_shift(actor, 0)
            db.session.commit()
            finished["close"] = (time.monotonic(), shift.id)

    threads = [threading.Thread(target=sale), threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert finished["close"][0] >= finished["sale"][0]  # the close waited for the sale
    db.session.expire_all()
    closed = db.session.get(Shift, finished["close"][1])
    late = db.session.get(Order, finished["sale"][1])
    assert late.shift_id == closed.id
    assert closed.expected_cash_satang == first_total + late.total_satang  # and counted it
    # After the close, the next sale opens a new shift instead of landing in the closed drawer.
    after = sell(db.session.get(type(seller), seller_id), session.id, [seats[2]], PaymentInput("cash"))
    db.session.commit()
    assert after.shift_id != closed.id and db.session.get(Shift, after.shift_id).closed_at is None
