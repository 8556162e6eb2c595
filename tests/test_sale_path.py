"""The counter sale's round trips (issue 15): on PostgreSQL a sale through the API is the token check, one
statement that claims the seats and reads what the sale needs, one that writes the order with its tickets,
payment, ledger lines and audit entry, and the commit; nothing is read again to answer. What it wrote
is what a fresh read finds, and the idempotency key still refuses a reused key without a look-up first."""
import pytest
from sqlalchemy import Text, cast, func, select, text

from ticketing.accounts.services import issue_token
from ticketing.audit.chain import verify
from ticketing.audit.models import AuditEntry
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.ledger.models import LedgerEntry
from ticketing.rawsql import StatementLog
from ticketing.revenue.services import save_rules
from ticketing.sales.models import Order, Payment, Ticket


@pytest.fixture
def counter(make):
    festival = make.festival()
    seller = make.user("seller1", roles=["seller"])
    operator = make.org("operator")
    save_rules(None, festival, [{"kind": "commission", "basis_points": 1000},
                                {"kind": "operator_fee", "organization_id": operator.id, "fixed_satang": 2000}])
    token = issue_token(None, seller)
    db.session.commit()
    seats = [s.id for s in inventory.seat_views(festival.sessions[0].id)]
    return festival.sessions[0].id, seller, {"Authorization": f"Bearer {token}"}, seats


def _sell(client, headers, session_id, seats, **extra):
    return client.post("/api/v1/orders", headers=headers,
                       json={"session_id": session_id, "seat_ids": seats, "payment_method": "cash", **extra})


def test_a_sale_is_four_statements_and_the_commit(app, client, counter):
    session_id, _seller, headers, seats = counter
    assert _sell(client, headers, session_id, seats[:1]).status_code == 201  # opens the shift, warms up
    counting = StatementLog(db.engine)
    try:
        resp = _sell(client, headers, session_id, seats[2:4], buyer={"name": "สมชาย", "phone": "081 234 5678"})
    finally:
        counting.close()
    assert resp.status_code == 201, resp.json
    assert counting.commits == 1
    if db.engine.dialect.name == "postgresql":
        kinds = [s.split()[0] for s in counting.sent]
        assert len(counting.sent) == 4, counting.sent
        assert kinds == ["SELECT", "SET", "WITH", "WITH"], counting.sent  # token, generic plans, claim, write
        assert "UPDATE seat_inventory" in counting.sent[2] and "FOR NO KEY UPDATE" in counting.sent[2]
        assert "= ANY" in counting.sent[2]  # one statement text for any number of seats (stays prepared)
        assert all(f"INSERT INTO {t}" in counting.sent[3] for t in ("orders", "tickets", "ledger_entries",
                                                                    "audit_entries", "payments"))
    else:  # SQLite: the same steps, a statement each
        assert len(counting.sent) <= 9, "\n".join(counting.sent)
    assert [t["seat_id"] for t in resp.json["tickets"]] == seats[2:4] and resp.json["refunds"] == []


def test_the_claim_is_planned_once(client, counter):
    """PostgreSQL keeps choosing a fresh plan for each run of the claim unless told otherwise (its generic
    plan assumes 10 seats and looks dearer): after several sales its prepared statement has only generic
    plans."""
    session_id, _seller, headers, seats = counter
    if db.engine.dialect.name != "postgresql":
        pytest.skip("plan caching is PostgreSQL's")
    for n in range(8):
        assert _sell(client, headers, session_id, seats[2 * n:2 * n + 1 + n % 2]).status_code == 201
    plans = db.session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%UPDATE seat_inventory%FOR NO KEY UPDATE%' "
        "OR statement LIKE '%FOR NO KEY UPDATE%UPDATE seat_inventory%'")).all()
    assert plans and all(custom == 0 and generic >= 1 for generic, custom in plans), plans


def test_what_the_sale_wrote_is_what_a_fresh_read_finds(client, counter):
    session_id, seller, headers, seats = counter
    answer = _sell(client, headers, session_id, seats[5:8], received_satang=10_000_000).json
    db.session.expire_all()
    order = db.session.get(Order, answer["id"])
    assert order.seller_id == seller.id and order.organization_id == seller.organization_id
    assert order.shift_id is not None and order.status == "paid" and order.channel == "counter"
    assert order.total_satang == answer["total_satang"] == sum(t.price_satang for t in order.tickets)
    assert [t.seat_id for t in order.tickets] == seats[5:8] == [t["seat_id"] for t in answer["tickets"]]
    assert [t.position for t in order.tickets] == [0, 1, 2] and {t.status for t in order.tickets} == {"valid"}
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.amount_satang == order.total_satang and payment.custodian_id == seller.organization_id
    assert payment.received_satang == 10_000_000 and answer["payments"][0]["received_satang"] == 10_000_000
    shares = db.session.scalar(select(func.sum(LedgerEntry.amount_satang)).where(
        LedgerEntry.order_id == order.id, LedgerEntry.kind == "share"))
    custody = db.session.scalar(select(func.sum(LedgerEntry.amount_satang)).where(
        LedgerEntry.order_id == order.id, LedgerEntry.kind == "custody"))
    assert shares == custody == order.total_satang
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.order_id == order.id, LedgerEntry.share_kind == "operator_fee")) == 1
    assert {s.state for s in inventory.seat_views(session_id) if s.id in seats[5:8]} == {"sold"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == order.id))
    assert (entry.action, entry.object_type, entry.user_id, entry.organization_id) == (
        "order.sell", "order", seller.id, seller.organization_id)
    assert entry.after == {"seats": seats[5:8], "total_satang": order.total_satang, "method": "cash"}
    # an empty "before" is JSON null, as audit.record writes it, and the entry is in the chain
    assert db.session.scalar(select(cast(AuditEntry.before, Text)).where(AuditEntry.id == entry.id)) == "null"
    assert verify().ok


def test_a_reused_key_is_refused_and_a_retry_answered_without_a_second_order(client, counter):
    session_id, _seller, headers, seats = counter
    key = {**headers, "Idempotency-Key": "sale-1"}
    first = _sell(client, key, session_id, seats[10:12])
    again = _sell(client, key, session_id, seats[10:12])
    assert first.status_code == 201 and again.status_code in (200, 201) and again.json["id"] == first.json["id"]
    other = _sell(client, key, session_id, seats[20:22])  # free seats, but the key made another order
    assert other.status_code == 409 and other.json["error"] == "idempotency_key_reused"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.seat_id.in_(seats[20:22]))) == 0
    assert {s.state for s in inventory.seat_views(session_id) if s.id in seats[20:22]} == {"available"}
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_lost_race_answers_without_loading_the_seller_again(client, counter):
    """The 409 path rolls back the partial claim but keeps the signed-in seller loaded (a rollback expires
    everything), so after the token check no statement reads the users table again."""
    session_id, _seller, headers, seats = counter
    assert _sell(client, headers, session_id, seats[30:31]).status_code == 201
    counting = StatementLog(db.engine)
    try:
        resp = _sell(client, headers, session_id, seats[30:32])
    finally:
        counting.close()
    assert resp.status_code == 409 and resp.json["error"] == "seats_taken" and resp.json["seats"] == [seats[30]]
    assert sum("FROM users" in s or "FROM api_tokens" in s for s in counting.sent) == 1, counting.sent
    assert {s.state for s in inventory.seat_views(session_id) if s.id == seats[31]} == {"available"}


def test_postgresql_connections_prepare_statements_early(app):
    """psycopg forgets a prepared statement that failed (and, without ``rawsql.KeepsPrepared``, all of
    them at each ROLLBACK); preparing on the second use instead of the sixth plans a forgotten statement
    afresh once, not five times (bench/onsale.py: with the default most sales were parsed and planned
    afresh)."""
    from ticketing import PREPARE_THRESHOLD
    connection = db.engine.raw_connection()
    try:
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg only")
        assert connection.driver_connection.prepare_threshold == PREPARE_THRESHOLD == 1
    finally:
        connection.close()
