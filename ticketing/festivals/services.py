"""Creating and changing festivals, and listing festivals and sessions. A session is created with its
seats, so ``inventory.sessions.save_session`` creates and changes sessions."""
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from ..i18n import name_problems
from .models import Festival, FestivalSession

FESTIVAL_FIELDS = ("name_th", "name_en", "year", "venue_th", "venue_en")
#: the venue columns' length
MAX_VENUE = 300


def save_festival(actor, festival: Festival | None, *, name_th: str, name_en: str, year: int,
                  venue_th: str = "", venue_en: str = "") -> Festival:
    errors = name_problems(name_th, name_en)
    for field, venue in (("venue_th", venue_th), ("venue_en", venue_en)):
        if len((venue or "").strip()) > MAX_VENUE:
            errors[field] = _("At most %(n)d characters.", n=MAX_VENUE)
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


def list_festivals() -> list[Festival]:
    return list(db.session.scalars(select(Festival).order_by(Festival.year.desc(), Festival.id)))


def list_sessions(festival_id: int | None = None) -> list[FestivalSession]:
    query = select(FestivalSession).order_by(FestivalSession.starts_at, FestivalSession.id)
    if festival_id is not None:
        query = query.where(FestivalSession.festival_id == festival_id)
    return list(db.session.scalars(query))
