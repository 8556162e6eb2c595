"""Seat states, blocking, allocation, equal shares and release; each change audited; bad input changes nothing."""
import json
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from conftest import ROOT, login
from ticketing.audit.models import AuditEntry
from ticketing.errors import Conflict, Invalid
from ticketing.extensions import db
from ticketing.inventory import allocation, services
from ticketing.inventory.models import SeatInventory


def _state_snapshot(session_id):
    return db.session.execute(select(SeatInventory.seat_id, SeatInventory.state, SeatInventory.organization_id)
                              .where(SeatInventory.session_id == session_id).order_by(SeatInventory.seat_id)).all()


def _seats(session):
    return services.seat_views(session.id)


def test_every_session_gets_one_row_per_seat(make):
    festival = make.festival(sessions=2)
    for session in festival.sessions:
        views = _seats(session)
        assert len(views) == 56 and all(v.state == "available" for v in views)


def test_block_and_unblock(make):
    session = make.festival().sessions[0]
    ids = [s.id for s in _seats(session)[:3]]
    services.block_seats(None, session, ids, "ประธานในพิธี")
    db.session.commit()
    assert Counter(s.state for s in _seats(session))["blocked"] == 3
    services.unblock_seats(None, session, ids)
    db.session.commit()
    assert all(s.state == "available" for s in _seats(session))


def test_block_needs_reason_and_known_seats(make):
    festival = make.festival(sessions=2)
    first, second = festival.sessions
    before = _state_snapshot(first.id)
    with pytest.raises(Invalid):
        services.block_seats(None, first, [_seats(first)[0].id], "  ")
    with pytest.raises(Invalid):
        services.block_seats(None, first, ["12abc"], "x")
    with pytest.raises(Invalid):
        services.block_seats(None, first, [], "x")
    with pytest.raises(Invalid) as err:
        services.block_seats(None, first, [999999], "x")
    assert err.value.details["seats"] == [999999]
    db.session.rollback()
    assert _state_snapshot(first.id) == before


def _sell(session_id, seat_ids):
    """Mark seats sold directly (the sale path comes with counter sales)."""
    db.session.execute(update(SeatInventory).where(SeatInventory.session_id == session_id,
                                                   SeatInventory.seat_id.in_(seat_ids)).values(state="sold"))
    db.session.commit()


def test_sold_seat_cannot_be_blocked_and_nothing_changes(make):
    session = make.festival().sessions[0]
    ids = [s.id for s in _seats(session)[:4]]
    _sell(session.id, ids[:1])
    before = _state_snapshot(session.id)
    with pytest.raises(Conflict) as err:
        services.block_seats(None, session, ids, "officials")
    assert err.value.details["seats"] == ids[:1]
    db.session.rollback()
    assert _state_snapshot(session.id) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "inventory.block")) == 0


def test_allocate_and_release(make):
    session = make.festival().sessions[0]
    a, b = make.org("a"), make.org("b")
    ids = [s.id for s in _seats(session)[:10]]
    services.allocate_seats(None, session, ids, a.id)
    services.allocate_seats(None, session, ids[5:], b.id)
    db.session.commit()
    owners = Counter(s.organization_id for s in _seats(session))
    assert owners[a.id] == 5 and owners[b.id] == 5
    _sell(session.id, ids[:2])
    assert services.release_allocation(None, session, a.id) == 3  # the two sold seats keep their allocation
    db.session.commit()
    owners = Counter(s.organization_id for s in _seats(session))
    assert owners[a.id] == 2 and owners[b.id] == 5
    assert services.release_allocation(None, session) == 5
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("inventory.%"))).all()
    assert entries.count("inventory.allocate") == 2 and entries.count("inventory.release") == 2


def test_cannot_allocate_to_central_fund_or_sold_seats(make):
    session = make.festival().sessions[0]
    central = make.central()
    ids = [s.id for s in _seats(session)[:3]]
    with pytest.raises(Invalid):
        services.allocate_seats(None, session, ids, central.id)
    db.session.rollback()
    member = make.org("m")
    _sell(session.id, ids[:1])
    with pytest.raises(Conflict):
        services.allocate_seats(None, session, ids, member.id)
    db.session.rollback()
    assert all(s.organization_id is None for s in _seats(session))


def test_rows_range(make):
    session = make.festival().sessions[0]
    section_id = _seats(session)[0].section_id
    ids = services.seats_in_rows(session, section_id, "2", "4")
    assert len(ids) == 30
    with pytest.raises(Invalid):
        services.seats_in_rows(session, section_id, "1", "Z")


def test_database_refuses_a_second_row_for_the_same_seat(make):
    session = make.festival().sessions[0]
    seat_id = _seats(session)[0].id
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO seat_inventory (session_id, seat_id, state, updated_at) "
                                "VALUES (:s, :seat, 'available', CURRENT_TIMESTAMP)"), {"s": session.id, "seat": seat_id})
        db.session.flush()
    db.session.rollback()


def test_database_refuses_unknown_state_and_hold_without_expiry(make):
    session = make.festival().sessions[0]
    for values in ({"state": "lost"}, {"state": "held"}):
        with pytest.raises(IntegrityError):
            db.session.execute(update(SeatInventory).where(SeatInventory.session_id == session.id).values(**values))
            db.session.flush()
        db.session.rollback()


def test_audit_entries_are_append_only(make):
    make.org("a")
    entry = db.session.scalar(select(AuditEntry))
    entry.action = "forged"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(RuntimeError):
        db.session.delete(db.session.scalar(select(AuditEntry)))
        db.session.flush()
    db.session.rollback()


# --- equal shares on the real example map ---------------------------------------------------

@pytest.fixture
def example_session(make):
    plan = json.loads((ROOT / "seating_maps" / "candle-grandstand.example.json").read_text(encoding="utf-8"))
    orgs = [make.org(f"m{i}") for i in range(1, 10)]
    return make.festival(plan=plan).sessions[0], orgs


def test_equal_shares_are_equal(example_session):
    session, orgs = example_session
    blocked = [s.id for s in _seats(session)[:7]]
    services.block_seats(None, session, blocked, "officials")
    dealt = allocation.deal_equal_shares(None, session, run=4)
    db.session.commit()
    seats = _seats(session)
    assert dealt == len(seats) - 7
    per_org = defaultdict(list)
    for s in seats:
        if s.organization_id is not None:
            per_org[s.organization_id].append(s)
    assert set(per_org) == {o.id for o in orgs}
    totals = [len(v) for v in per_org.values()]
    assert max(totals) - min(totals) <= 1
    for category_id in {s.category_id for s in seats}:
        counts = [sum(1 for s in v if s.category_id == category_id) for v in per_org.values()]
        assert max(counts) - min(counts) <= 1, category_id
    table = allocation.allocation_table(_seats(session))
    fronts = [line.front for line in table if line.organization]
    categories = len({s.category_id for s in seats})
    assert max(fronts) - min(fronts) <= categories  # ±1 front seat per category
    assert all(s.state == "blocked" and s.organization_id is None for s in seats if s.id in blocked)


def test_equal_shares_keep_runs_of_adjacent_seats(example_session):
    session, _ = example_session
    allocation.deal_equal_shares(None, session, run=4)
    db.session.commit()
    seats = _seats(session)
    same_as_neighbour = sum(1 for a, b in zip(seats, seats[1:])
                            if (a.section_id, a.row) == (b.section_id, b.row) and a.organization_id == b.organization_id)
    assert same_as_neighbour > len(seats) * 0.6  # mostly in runs, not scattered single seats


def test_deal_is_pure_and_exact_for_small_pools():
    from ticketing.inventory.services import SeatView
    seats = [SeatView(i, str(i), "1", 0, i, 0, "A", "A1", 1, 1 + i % 2, "available", None) for i in range(11)]
    result = allocation.deal(seats, [1, 2, 3], run=2)
    assert sorted(Counter(result.values()).values()) == [3, 4, 4]


# --- admin pages ----------------------------------------------------------------------------

def test_admin_map_page_and_actions(client, make):
    make.user("boss", roles=["admin"])
    session = make.festival().sessions[0]
    org = make.org("chamber")
    login(client, "boss")
    page = client.get(f"/admin/sessions/{session.id}/seats").get_data(as_text=True)
    assert page.count('class="seat ') == 56
    ids = ",".join(str(s.id) for s in _seats(session)[:4])
    resp = client.post(f"/admin/sessions/{session.id}/seats/selection",
                       data={"seat_ids": ids, "action": "allocate", "organization_id": str(org.id)},
                       follow_redirects=True)
    assert "จัดสรรแล้ว 4 ที่นั่ง" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/sessions/{session.id}/seats/selection",
                       data={"seat_ids": ids + ",abc", "action": "block", "reason": "x"}, follow_redirects=True)
    assert resp.status_code == 200 and "class=\"flash error\"" in resp.get_data(as_text=True)
    assert Counter(s.state for s in _seats(session))["blocked"] == 0
    resp = client.post(f"/admin/sessions/{session.id}/seats/equal-shares", data={"run": "99"}, follow_redirects=True)
    assert "class=\"flash error\"" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/sessions/{session.id}/seats/equal-shares", data={"run": "4"}, follow_redirects=True)
    assert Counter(s.organization_id for s in _seats(session))[org.id] == 56


def test_seller_sees_own_allocation_outlined(client, make):
    session = make.festival().sessions[0]
    seller = make.user("s1", roles=["seller"])
    other = make.org("other")
    ids = [s.id for s in _seats(session)]
    services.allocate_seats(None, session, ids[:5], seller.organization_id)
    services.allocate_seats(None, session, ids[5:9], other.id)
    db.session.commit()
    login(client, "s1")
    svg = client.get(f"/sessions/{session.id}/map.svg").get_data(as_text=True)
    assert f".a.o{seller.organization_id}{{stroke:#111" in svg
    assert f".a.o{other.id}{{fill:#e3e5e8" in svg
    assert client.get(f"/admin/sessions/{session.id}/seats").status_code == 403


def test_a_sold_seat_stays_with_its_seller(make):
    """Allocating a sold seat by tapping it is refused whole and changes nothing; allocating rows by
    range skips the sold seats and allocates the rest."""
    from ticketing.sales.services import PaymentInput, sell

    session = make.festival().sessions[0]
    seller = make.user(roles=["seller"])
    other = make.org()
    views = _seats(session)
    row = [v for v in views if v.section == views[0].section and v.row == views[0].row]
    sell(seller, session.id, [row[0].id], PaymentInput("cash"))
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        services.allocate_seats(None, session, [row[0].id, row[1].id], other.id)
    assert refused.value.code == "seats_sold" and refused.value.details["seats"] == [row[0].id]
    db.session.rollback()
    assert all(v.organization_id is None for v in _seats(session))
    n = services.allocate_seats(None, session, [v.id for v in row], other.id, skip_sold=True)
    db.session.commit()
    after = {v.id: v for v in _seats(session)}
    assert n == len(row) - 1 and after[row[0].id].organization_id is None
    assert all(after[v.id].organization_id == other.id for v in row[1:])
