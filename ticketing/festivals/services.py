"""Creating and changing festivals and their sessions."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from .models import Festival, FestivalSession

FESTIVAL_FIELDS = ("name_th", "name_en", "year", "venue_th", "venue_en")


def save_festival(actor, festival: Festival | None, *, name_th: str, name_en: str, year: int,
                  venue_th: str = "", venue_en: str = "") -> Festival:
    errors = {}
    if not name_th.strip():
        errors["name_th"] = _("A Thai name is required.")
    if not name_en.strip():
        errors["name_en"] = _("An English name is required.")
    if not isinstance(year, int) or not 2000 <= year <= 2200:
        errors["year"] = _("Give the year in C.E., between 2000 and 2200 (B.E. minus 543).")
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    before = {f: getattr(festival, f) for f in FESTIVAL_FIELDS} if festival else None
    if festival is None:
        festival = Festival()
        db.session.add(festival)
    festival.name_th, festival.name_en, festival.year = name_th.strip(), name_en.strip(), year
    festival.venue_th, festival.venue_en = venue_th.strip(), venue_en.strip()
    db.session.flush()
    audit.record(actor, "festival.create" if before is None else "festival.update", "festival",
                 festival.id, before, {f: getattr(festival, f) for f in FESTIVAL_FIELDS})
    return festival


def _session_snapshot(s: FestivalSession) -> dict:
    return {"name_th": s.name_th, "name_en": s.name_en, "starts_at": s.starts_at.isoformat(),
            "ends_at": s.ends_at.isoformat() if s.ends_at else None}


def save_session(actor, festival: Festival, session: FestivalSession | None, *, name_th: str, name_en: str,
                 starts_at: datetime, ends_at: datetime | None = None) -> FestivalSession:
    """Create or update a session. A new session gets an inventory row per seat of the festival's map."""
    from ..inventory.services import create_session_inventory

    errors = {}
    if not name_th.strip():
        errors["name_th"] = _("A Thai name is required.")
    if not name_en.strip():
        errors["name_en"] = _("An English name is required.")
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


def list_festivals() -> list[Festival]:
    return list(db.session.scalars(select(Festival).order_by(Festival.year.desc(), Festival.id)))


def list_sessions(festival_id: int | None = None) -> list[FestivalSession]:
    query = select(FestivalSession).order_by(FestivalSession.starts_at, FestivalSession.id)
    if festival_id is not None:
        query = query.where(FestivalSession.festival_id == festival_id)
    return list(db.session.scalars(query))
