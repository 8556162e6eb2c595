"""A shift closed while a sale is being written: the close waits for the sale and counts it, and a sale
that comes after the close opens the next shift. Two real database connections, on both databases."""
import threading

from sqlalchemy import event, text

from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales import shifts
from ticketing.sales.models import Order, Shift
from ticketing.sales.services import PaymentInput, sell
from waiting import wait_until


def _waits_for_a_lock() -> bool:
    """Whether a connection to the test database is waiting for a lock. PostgreSQL shows it; SQLite
    keeps a waiting writer to itself, so there the caller knows no more than that the claim was sent."""
    if db.engine.dialect.name != "postgresql":
        return True
    with db.engine.connect() as conn:  # its own transaction: pg_stat_activity is a snapshot per transaction
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND wait_event_type = 'Lock'")) > 0


def test_closing_a_shift_waits_for_the_sale_in_flight(app, make):
    session = make.festival().sessions[0]
    seller = make.user("seller1", roles=["seller"])
    seats = [s.id for s in inventory.seat_views(session.id)]
    first = sell(seller, session.id, [seats[0]], PaymentInput("cash"))  # opens the shift
    db.session.commit()
    seller_id, first_total = seller.id, first.total_satang
    in_flight, claim_sent = threading.Event(), threading.Event()
    committed, errors = [], []  # (what, id) in the order the commits happened

    def spot_the_claim(_conn, _cursor, statement, *_args):
        if threading.current_thread().name == "close" and statement.lstrip().upper().startswith("UPDATE SHIFTS"):
            claim_sent.set()

    def sale():  # a second counter request: writes its sale, and commits once the close waits for it
        actor = db.session.get(type(seller), seller_id)
        order = sell(actor, session.id, [seats[1]], PaymentInput("cash"))
        in_flight.set()
        wait_until(lambda: claim_sent.is_set() and _waits_for_a_lock(), "the close to claim the shift")
        db.session.commit()
        committed.append(("sale", order.id))

    def close():
        assert in_flight.wait(30), "the sale was not written"
        actor = db.session.get(type(seller), seller_id)
        shift = shifts.close_shift(actor, 0)
        db.session.commit()
        committed.append(("close", shift.id))

    def in_app(work):
        def run():
            with app.app_context():
                try:
                    work()
                except BaseException as err:  # pytest.fail too: reported by the test, not lost in the thread
                    errors.append(err)
        return run

    event.listen(db.engine, "before_cursor_execute", spot_the_claim)
    try:
        threads = [threading.Thread(target=in_app(work), name=work.__name__) for work in (sale, close)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(db.engine, "before_cursor_execute", spot_the_claim)
    if errors:
        raise errors[0]
    assert [what for what, _id in committed] == ["sale", "close"]  # the close waited for the sale
    (_sale, order_id), (_close, shift_id) = committed
    db.session.expire_all()
    closed = db.session.get(Shift, shift_id)
    late = db.session.get(Order, order_id)
    assert late.shift_id == closed.id
    assert closed.expected_cash_satang == first_total + late.total_satang  # and counted it
    # After the close, the next sale opens a new shift instead of landing in the closed drawer.
    after = sell(db.session.get(type(seller), seller_id), session.id, [seats[2]], PaymentInput("cash"))
    db.session.commit()
    assert after.shift_id != closed.id and db.session.get(Shift, after.shift_id).closed_at is None
