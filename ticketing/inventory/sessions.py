"""Where a session's seat rows come from: a new session gets one 'available' row per seat of its
festival's map, and a new (or replaced) map gives every session its rows. Both happen in the
caller's transaction, with their audit entry."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, insert, literal, select

from .. import audit
from ..errors import Conflict, Invalid
from ..extensions import db
from ..festivals.models import Festival, FestivalSession
from ..i18n import name_problems
from ..seating.models import Seat, SeatingMap
from ..seating.services import map_of, remove_map, store_map
from ..timeutil import utcnow
from .models import SeatInventory


def create_session_inventory(session: FestivalSession) -> int:
    """One 'available' row per seat of the festival's map (no-op before a map is imported)."""
    seats = select(literal(session.id), Seat.id, literal("available"), literal(utcnow(), SeatInventory.updated_at.type)) \
        .join(SeatingMap, SeatingMap.id == Seat.map_id).where(SeatingMap.festival_id == session.festival_id)
    result = db.session.execute(insert(SeatInventory).from_select(
        ["session_id", "seat_id", "state", "updated_at"], seats))
    return result.rowcount


def _session_snapshot(s: FestivalSession) -> dict:
    return {"name_th": s.name_th, "name_en": s.name_en, "starts_at": s.starts_at.isoformat(),
            "ends_at": s.ends_at.isoformat() if s.ends_at else None}


def save_session(actor, festival: Festival, session: FestivalSession | None, *, name_th: str, name_en: str,
                 starts_at: datetime, ends_at: datetime | None = None) -> FestivalSession:
    """Create or update a session. A new session gets an inventory row per seat of the festival's map."""
    errors = name_problems(name_th, name_en)
    if starts_at is None or starts_at.tzinfo is None:
        errors["starts_at"] = _("A start date and time is required.")
    elif ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("The end must come after the start.")
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    before = _session_snapshot(session) if session else None
    if session is None:
        session = FestivalSession()
        festival.sessions.append(session)  # keeps an already loaded collection current
    session.name_th, session.name_en = name_th.strip(), name_en.strip()
    session.starts_at, session.ends_at = starts_at, ends_at
    db.session.flush()
    if before is None:
        create_session_inventory(session)
    audit.record(actor, "session.create" if before is None else "session.update", "session",
                 session.id, before, _session_snapshot(session))
    return session


def _remove_inventory(festival: Festival) -> None:
    """Drop every session's seat rows before the map is replaced; refused once seats are sold or held."""
    session_ids = select(FestivalSession.id).where(FestivalSession.festival_id == festival.id)
    busy = db.session.scalar(select(SeatInventory.id).where(
        SeatInventory.session_id.in_(session_ids), SeatInventory.state.in_(("sold", "held"))).limit(1))
    if busy:
        raise Conflict(_("Seats of this festival are already sold or held: its map can no longer be replaced."),
                       code="map_in_use")
    db.session.execute(delete(SeatInventory).where(SeatInventory.session_id.in_(session_ids)))


def import_map(actor, festival: Festival, plan, *, replace: bool = False) -> SeatingMap:
    """Load ``plan`` (a validated ``seating.mapfile.SeatingPlan``) as the festival's map and give every
    session its inventory, all or nothing."""
    existing = map_of(festival.id)
    if existing and not replace:
        raise Conflict(_("This festival already has a seating map; choose to replace it."), code="map_exists")
    if existing:
        _remove_inventory(festival)
        remove_map(existing)
    seating_map = store_map(festival, plan)
    for session in festival.sessions:
        create_session_inventory(session)
    audit.record(actor, "seating.import", "festival", festival.id,
                 {"replaced_map": existing.id} if existing else None,
                 {"map_id": seating_map.id, "seats": len(plan.seats), "categories": len(plan.categories)})
    return seating_map
