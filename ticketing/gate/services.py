"""Entrances (set up by the admin), and what gates read: counts, the offline bundle, a manual look-up."""
import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .. import audit
from ..errors import Invalid, NotFound
from ..extensions import db
from ..festivals.models import FestivalSession
from ..i18n import name_problems
from ..sales.models import Order, Ticket
from ..seating.models import PriceCategory, Seat, SeatingMap, Section, Stand
from ..tickets.services import keyring, revocations
from ..timeutil import utcnow
from .checkin import gate_opens_at
from .models import Admission, CheckIn, Entrance, EntranceStand

CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def entrances_of(festival_id: int) -> list[Entrance]:
    return list(db.session.scalars(select(Entrance).where(Entrance.festival_id == festival_id)
                                   .order_by(Entrance.position, Entrance.code)))


def stand_codes(festival_id: int) -> list[tuple[str, str, str]]:
    """(code, Thai name, English name) of the festival's stands, in map order."""
    return [tuple(r) for r in db.session.execute(
        select(Stand.code, Stand.name_th, Stand.name_en).join(SeatingMap, SeatingMap.id == Stand.map_id)
        .where(SeatingMap.festival_id == festival_id).order_by(Stand.position))]


def save_entrance(actor, festival_id: int, entrance: Entrance | None, *, code: str, name_th: str, name_en: str,
                  stands: list[str]) -> Entrance:
    """Create or change an entrance; ``stands`` are stand codes of the festival's map."""
    code, name_th, name_en = (code or "").strip(), (name_th or "").strip(), (name_en or "").strip()
    problems = name_problems(name_th, name_en)
    if not CODE.match(code):
        problems["code"] = _("The code is 1 to 20 letters, digits, '-' or '_'.")
    known = {c for c, _th, _en in stand_codes(festival_id)}
    unknown = sorted(set(stands) - known)
    if unknown:
        problems["stands"] = _("No such stand: %(codes)s.", codes=", ".join(unknown))
    same_code = db.session.scalar(select(Entrance).where(Entrance.festival_id == festival_id, Entrance.code == code))
    if same_code is not None and same_code is not entrance:
        problems["code"] = _("Another entrance already has the code %(code)s.", code=code)
    if problems:
        raise Invalid(_("Some values are wrong; see the marked fields."), details=problems)
    before = _entrance_dict(entrance) if entrance else None
    if entrance is None:
        position = db.session.scalar(select(func.count()).where(Entrance.festival_id == festival_id))
        entrance = Entrance(festival_id=festival_id, position=position)
        db.session.add(entrance)
    entrance.code, entrance.name_th, entrance.name_en = code, name_th, name_en
    entrance.stands = [EntranceStand(stand_code=c) for c in sorted(set(stands))]
    db.session.flush()
    audit.record(actor, "entrance.save", "entrance", entrance.id, before, _entrance_dict(entrance))
    return entrance


def delete_entrance(actor, entrance: Entrance) -> None:
    """Only an entrance nobody has scanned at yet can go (scans keep their entrance)."""
    if db.session.scalar(select(func.count()).where(CheckIn.entrance_id == entrance.id)):
        raise Invalid(_("Tickets were already scanned at this entrance; it cannot be deleted."))
    audit.record(actor, "entrance.delete", "entrance", entrance.id, _entrance_dict(entrance), None)
    db.session.delete(entrance)


def _entrance_dict(entrance: Entrance) -> dict:
    return {"code": entrance.code, "name_th": entrance.name_th, "name_en": entrance.name_en,
            "stands": entrance.stand_codes}


def entrance_or_404(entrance_id: int) -> Entrance:
    entrance = db.session.get(Entrance, entrance_id) if 1 <= entrance_id < 2**31 else None
    if entrance is None:
        raise NotFound(_("No such entrance."))
    return entrance


def set_gate_rules(actor, session: FestivalSession, *, reentry_allowed: bool, gate_opens_at: datetime | None) -> None:
    if gate_opens_at is not None and gate_opens_at > session.starts_at:
        raise Invalid(_("The gates must open before the session starts."),
                      details={"gate_opens_at": _("Choose a time before the session starts.")})
    before = {"reentry_allowed": session.reentry_allowed,
              "gate_opens_at": session.gate_opens_at.isoformat() if session.gate_opens_at else None}
    session.reentry_allowed, session.gate_opens_at = reentry_allowed, gate_opens_at
    audit.record(actor, "session.gate_rules", "session", session.id, before,
                 {"reentry_allowed": reentry_allowed, "gate_opens_at": gate_opens_at.isoformat() if gate_opens_at else None})


def counts(session_id: int) -> dict:
    """Admitted, inside, still to come, and admitted per entrance (by first entrance)."""
    expected = db.session.scalar(select(func.count()).where(Ticket.session_id == session_id, Ticket.status == "valid"))
    rows = db.session.execute(select(Admission.first_entrance_id, Admission.state, func.count())
                              .where(Admission.session_id == session_id)
                              .group_by(Admission.first_entrance_id, Admission.state)).all()
    admitted = sum(n for _e, _s, n in rows)
    by_entrance: dict = {}
    for entrance_id, _state, n in rows:
        by_entrance[entrance_id] = by_entrance.get(entrance_id, 0) + n
    return {"expected": expected, "admitted": admitted, "inside": sum(n for _e, s, n in rows if s == "in"),
            "to_come": max(expected - admitted, 0), "by_entrance": by_entrance}


def bundle(session: FestivalSession, since: datetime | None) -> dict:
    """What a gate device needs to decide scans with no network: every accepted public key by key id
    (a code signed before a key rotation keeps scanning offline too), the session's rules, the
    entrances with their stands, the seats (for the answer and the
    entrance check), void and reissued tickets, and the admissions. With ``since``, only admissions
    and voids changed after it (seats and entrances come only in a full bundle)."""
    now = utcnow()
    admitted = select(Admission.ticket_id, Admission.state, Admission.first_at, Admission.first_entrance_id) \
        .where(Admission.session_id == session.id)
    if since is not None:
        admitted = admitted.where(Admission.updated_at >= since)
    revoked = revocations(session.id)
    if since is not None:
        revoked["void"] = sorted(db.session.scalars(
            select(Ticket.id).join(Order, Order.id == Ticket.order_id)
            .where(Ticket.session_id == session.id, Ticket.status == "void", Order.voided_at >= since)))
    body = {"session_id": session.id, "generated_at": now.isoformat(), "full": since is None,
            "public_keys": {str(kid): pem for kid, pem in keyring().public_pems().items()},
            "session": {"starts_at": session.starts_at.isoformat(),
                        "gate_opens_at": _opens(session).isoformat(), "reentry_allowed": session.reentry_allowed},
            "void": revoked["void"], "reissued": revoked["reissued"],
            "admitted": {r.ticket_id: [r.state, r.first_at.isoformat(), r.first_entrance_id]
                         for r in db.session.execute(admitted)}}
    if since is None:
        body["entrances"] = [{"id": e.id, "code": e.code, "name": {"th": e.name_th, "en": e.name_en},
                              "stands": e.stand_codes} for e in entrances_of(session.festival_id)]
        body["seats"] = {str(r[0]): list(r[1:]) for r in db.session.execute(
            select(Seat.id, Seat.label, Stand.code, Section.code, Seat.row_label, PriceCategory.code,
                   Stand.name_th, Stand.name_en, PriceCategory.name_th, PriceCategory.name_en)
            .join(Section, Section.id == Seat.section_id).join(Stand, Stand.id == Section.stand_id)
            .join(PriceCategory, PriceCategory.id == Seat.category_id)
            .join(SeatingMap, SeatingMap.id == Seat.map_id).where(SeatingMap.festival_id == session.festival_id))}
    return body


def _opens(session: FestivalSession) -> datetime:
    return gate_opens_at(session.starts_at, session.gate_opens_at)


def lookup(session_id: int, query: str, limit: int = 20) -> list[dict]:
    """Tickets of the session by seat label (exact, any case) or order number (its first 6+ characters),
    for a damaged ticket; each with its state at the gate."""
    text = (query or "").strip()
    if not text or len(text) > 60:
        return []
    conditions = [func.upper(Seat.label) == text.upper()]
    if len(text) >= 6:
        conditions.append(Ticket.order_id.startswith(text.lower()))
    rows = db.session.execute(
        select(Ticket.id, Ticket.status, Ticket.order_id, Seat.label, Seat.row_label, Stand.code, Section.code,
               PriceCategory.code, Order.buyer_name, Admission.state, Admission.first_at)
        .join(Seat, Seat.id == Ticket.seat_id).join(Section, Section.id == Seat.section_id)
        .join(Stand, Stand.id == Section.stand_id).join(PriceCategory, PriceCategory.id == Ticket.category_id)
        .join(Order, Order.id == Ticket.order_id).outerjoin(Admission, Admission.ticket_id == Ticket.id)
        .where(Ticket.session_id == session_id, or_(*conditions))
        .order_by(Ticket.status.desc(), Seat.position).limit(limit)).all()
    return [{"ticket_id": r[0], "status": r[1], "order_id": r[2], "seat_label": r[3], "row": r[4], "stand": r[5],
             "section": r[6], "category": r[7], "buyer_name": r[8], "gate_state": r[9],
             "first_admitted_at": r[10].isoformat() if r[10] else None} for r in rows]
