"""Holds (seats a seller is composing an order with) and "best N adjacent seats".

A hold has an expiry and nothing sweeps it: every query treats an expired hold as free
(``inventory.models.seat_is_free``), so correctness never waits for a background job.
"""
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory, live_hold_of, seat_is_free
from ..inventory.services import SeatView, categories_for_session, seat_views
from ..timeutil import utcnow

MAX_HOLD = 50


def free_for(actor, now):
    """Seats ``actor`` may take now: free (or held by itself, or an expired hold), in the pool or its allocation."""
    free = or_(seat_is_free(now), live_hold_of(actor.id, now))
    mine = or_(SeatInventory.organization_id.is_(None), SeatInventory.organization_id == actor.organization_id)
    return and_(free, mine)


def hold_seats(actor, session: FestivalSession, seat_ids: list[int]) -> tuple[list[int], list[int]]:
    """Hold what can be held; return (held, refused). Holding again extends the expiry."""
    if len(seat_ids) > MAX_HOLD:
        raise Invalid(_("Hold at most %(n)d seats at a time.", n=MAX_HOLD), code="too_many_seats")
    if not seat_ids:
        return [], []
    now = utcnow()
    expires = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(seat_ids), free_for(actor, now))
        .values(state="held", held_by_id=actor.id, hold_expires_at=expires, updated_at=now))
    held = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(seat_ids),
        SeatInventory.state == "held", SeatInventory.held_by_id == actor.id)))
    return sorted(held), sorted(set(seat_ids) - held)


def release_holds(actor, session: FestivalSession, seat_ids: list[int] | None = None) -> int:
    """Free the actor's holds (some, or all in the session)."""
    query = update(SeatInventory).where(SeatInventory.session_id == session.id, SeatInventory.state == "held",
                                        SeatInventory.held_by_id == actor.id)
    if seat_ids is not None:
        query = query.where(SeatInventory.seat_id.in_(seat_ids))
    return db.session.execute(query.values(state="available", held_by_id=None, hold_expires_at=None,
                                           updated_at=utcnow())).rowcount


def _runs(row: list[SeatView], count: int):
    """Every run of ``count`` neighbouring seats in a row (seats in drawing order, no aisle between)."""
    row = sorted(row, key=lambda s: s.x)
    if len(row) < count:
        return
    gaps = [b.x - a.x for a, b in zip(row, row[1:])]
    pitch = min(gaps) if gaps else 0
    for i in range(len(row) - count + 1):
        if all(g <= pitch * 1.5 for g in gaps[i:i + count - 1]):
            yield row[i:i + count]


def best_available(actor, session: FestivalSession, count: int, category: str | None = None,
                   section: str | None = None) -> list[int]:
    """The best ``count`` adjacent seats the actor may sell: same row, nearest the front, then the centre."""
    if not isinstance(count, int) or not 1 <= count <= 20:
        raise Invalid(_("Ask for 1 to 20 seats."), details={"count": _("Ask for 1 to 20 seats.")})
    category_ids = {c.id for c in categories_for_session(session) if category in (None, "", c.code)}
    if not category_ids:
        raise Invalid(_("Unknown category."), details={"category": _("Unknown category.")})
    now = utcnow()
    seats = seat_views(session.id)
    centre = defaultdict(list)
    for s in seats:
        centre[s.section_id].append(s.x)
    mine = {None, actor.organization_id}
    rows = defaultdict(list)
    held_by_me = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, live_hold_of(actor.id, now))))
    for s in seats:
        if (s.state == "available" or s.id in held_by_me) and s.organization_id in mine \
                and s.category_id in category_ids and section in (None, "", s.section):
            rows[(s.section_id, s.row)].append(s)
    best, best_key = None, None
    for (section_id, _row), row_seats in rows.items():
        middle = (min(centre[section_id]) + max(centre[section_id])) / 2
        for run in _runs(row_seats, count):
            key = (run[0].row_index, abs((run[0].x + run[-1].x) / 2 - middle))
            if best_key is None or key < best_key:
                best, best_key = run, key
    if best is None:
        raise Invalid(_("No %(n)d adjacent seats are free for you here.", n=count), code="no_adjacent_seats",
                      details={"count": _("No %(n)d adjacent seats are free for you here.", n=count)})
    return [s.id for s in best]
