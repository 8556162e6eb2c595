"""Seat states and allocations of a session. Every change is a conditional update, one transaction,
and one audit entry (the caller commits once)."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import audit
from ..accounts.models import Organization
from ..errors import Conflict, Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..seating.models import PriceCategory, Seat, SeatingMap, Section, Stand
from ..timeutil import utcnow
from .models import SeatInventory, effective_state, seat_is_free

MAX_SEATS_PER_ACTION = 10_000
#: the allocation target that means "the online shop" (instead of an organization's id)
ONLINE = "online"


@dataclass(frozen=True)
class SeatView:
    """One seat of a session as drawn on the map and listed by the API."""
    id: int
    label: str
    row: str
    row_index: int
    x: float
    y: float
    stand: str
    section: str
    section_id: int
    category_id: int
    state: str
    organization_id: int | None
    #: the seat's row is a table sold whole
    sold_whole: bool = False
    #: allocated to the online shop
    online: bool = False


def seat_views(session_id: int) -> list[SeatView]:
    """Every seat of the session in seat-map order, expired holds shown as available."""
    now = utcnow()
    rows = db.session.execute(
        select(Seat.id, Seat.label, Seat.row_label, Seat.row_index, Seat.x, Seat.y, Stand.code, Section.code,
               Section.id, Seat.category_id, effective_state(now), SeatInventory.organization_id, Seat.sold_whole,
               SeatInventory.online)
        .join(SeatInventory, SeatInventory.seat_id == Seat.id)
        .join(Section, Section.id == Seat.section_id).join(Stand, Stand.id == Section.stand_id)
        .where(SeatInventory.session_id == session_id).order_by(Seat.position))
    return [SeatView(*r) for r in rows]


def categories_for_session(session: FestivalSession) -> list[PriceCategory]:
    return list(db.session.scalars(
        select(PriceCategory).join(SeatingMap, SeatingMap.id == PriceCategory.map_id)
        .where(SeatingMap.festival_id == session.festival_id).order_by(PriceCategory.id)))


def _check_seat_ids(session: FestivalSession, seat_ids) -> list[int]:
    """Seat ids must be integers of this session; otherwise nothing happens."""
    try:
        ids = sorted({int(i) for i in seat_ids})
    except (TypeError, ValueError):
        raise Invalid(_("Seat numbers must be whole numbers."), code="invalid_seats")
    if not ids:
        raise Invalid(_("Select at least one seat."), code="no_seats")
    if len(ids) > MAX_SEATS_PER_ACTION:
        raise Invalid(_("Too many seats in one action."), code="too_many_seats")
    found = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids))))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise Invalid(_("These seats are not part of this session: %(ids)s", ids=_short_list(unknown)),
                      code="unknown_seats", details={"seats": unknown})
    return ids


def _short_list(ids) -> str:
    shown = ", ".join(str(i) for i in ids[:20])
    return shown + (" …" if len(ids) > 20 else "")


def _labels(seat_ids) -> str:
    rows = db.session.execute(select(Section.code, Seat.row_label, Seat.label)
                              .join(Section, Section.id == Seat.section_id).where(Seat.id.in_(seat_ids))
                              .order_by(Seat.position).limit(20)).all()
    text = ", ".join(f"{s}-{r}-{l}" for s, r, l in rows)
    return text + (" …" if len(seat_ids) > 20 else "")


def _conditional_update(session, ids, condition, values) -> None:
    """Update all ``ids`` if every one meets ``condition``; otherwise raise Conflict naming the others.

    The update itself repeats the condition, so a seat changed by another counter between the
    check and the update is caught by the row count; the caller then rolls back (a request that
    does not commit is rolled back at teardown), so nothing changes."""
    refused = sorted(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), ~condition)))
    if not refused:
        result = db.session.execute(update(SeatInventory).where(
            SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), condition).values(**values))
        if result.rowcount == len(ids):
            return
    raise Conflict(_("These seats cannot be changed now: %(seats)s", seats=_labels(refused) if refused else "…"),
                   code="seats_unavailable", details={"seats": refused})


def block_seats(actor, session: FestivalSession, seat_ids, reason: str) -> int:
    """Keep free seats back (officials, guests). Sold or held seats cannot be blocked."""
    ids = _check_seat_ids(session, seat_ids)
    if not reason or not reason.strip():
        raise Invalid(_("Give a reason for blocking."), code="reason_required", details={"reason": _("Give a reason for blocking.")})
    _conditional_update(session, ids, seat_is_free(utcnow()),
                        {"state": "blocked", "block_reason": reason.strip()[:200],
                         "held_by_id": None, "hold_expires_at": None, "updated_at": utcnow()})
    audit.record(actor, "inventory.block", "session", session.id, None, {"seats": ids, "reason": reason.strip()})
    return len(ids)


def unblock_seats(actor, session: FestivalSession, seat_ids) -> int:
    ids = _check_seat_ids(session, seat_ids)
    _conditional_update(session, ids, SeatInventory.state == "blocked",
                        {"state": "available", "block_reason": None, "updated_at": utcnow()})
    audit.record(actor, "inventory.unblock", "session", session.id, None, {"seats": ids})
    return len(ids)


def _member(organization_id) -> Organization:
    org = db.session.get(Organization, organization_id) if organization_id else None
    if org is None or org.kind != "member" or not org.active:
        raise Invalid(_("Choose an active member organization."), code="invalid_organization",
                      details={"organization_id": _("Choose an active member organization.")})
    return org


def allocate_seats(actor, session: FestivalSession, seat_ids, organization_id: int | None, *,
                   skip_sold: bool = False) -> int:
    """Give unsold seats to one organization, or to the online shop (``ONLINE``); None returns them to the
    shared pool. Returns how many. A sold seat stays with the organization that sold it: naming one
    refuses the whole change, unless ``skip_sold`` (rows chosen by range, where some seats are usually
    sold already)."""
    ids = _check_seat_ids(session, seat_ids)
    online = organization_id == ONLINE
    org = _member(organization_id) if organization_id is not None and not online else None
    sold = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), SeatInventory.state == "sold")))
    if sold and not skip_sold:
        raise Conflict(_("These seats are sold and stay with the organization that sold them: %(seats)s",
                         seats=_labels(sorted(sold))), code="seats_sold", details={"seats": sorted(sold)})
    ids = [i for i in ids if i not in sold]
    if not ids:
        return 0
    before = dict(db.session.execute(select(SeatInventory.seat_id, SeatInventory.organization_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids))).all())
    _conditional_update(session, ids, SeatInventory.state != "sold",
                        {"organization_id": org.id if org else None, "online": online, "updated_at": utcnow()})
    audit.record(actor, "inventory.allocate", "session", session.id,
                 {"allocations": {str(k): v for k, v in before.items()}},
                 {"organization_id": org.id if org else None, "online": online, "seats": ids})
    return len(ids)


def seats_in_rows(session: FestivalSession, section_id: int, row_from: str, row_to: str) -> list[int]:
    """Seat ids of a section from row ``row_from`` to row ``row_to`` (inclusive, front to back). A section
    with no seat in this session is not on this festival's map."""
    rows = db.session.execute(select(Seat.row_label, Seat.row_index).join(SeatInventory, SeatInventory.seat_id == Seat.id)
                              .where(Seat.section_id == section_id, SeatInventory.session_id == session.id)
                              .distinct()).all() if isinstance(section_id, int) and 0 < section_id < 2**31 else []
    if not rows:
        raise Invalid(_("Choose a section of this festival's map."), code="unknown_section",
                      details={"section_id": _("Choose a section of this festival's map.")})
    index = {label: i for label, i in rows}
    missing = [r for r in (row_from, row_to) if r not in index]
    if missing:
        raise Invalid(_("No row %(rows)s in this section.", rows=", ".join(missing)), code="unknown_row",
                      details={"rows": _("No row %(rows)s in this section.", rows=", ".join(missing))})
    low, high = sorted((index[row_from], index[row_to]))
    return list(db.session.scalars(select(Seat.id).where(Seat.section_id == section_id,
                                                         Seat.row_index.between(low, high))))


def release_allocation(actor, session: FestivalSession, organization_id: int | None = None) -> int:
    """Return an organization's unsold seats (or every organization's, or the online shop's with
    ``ONLINE``) to the shared pool."""
    query = update(SeatInventory).where(SeatInventory.session_id == session.id, SeatInventory.state != "sold")
    if organization_id == ONLINE:
        query = query.where(SeatInventory.online.is_(True))
    else:
        query = query.where(SeatInventory.organization_id.is_not(None))
    if organization_id is not None and organization_id != ONLINE:
        _member(organization_id)
        query = query.where(SeatInventory.organization_id == organization_id)
    count = db.session.execute(query.values(organization_id=None, online=False, updated_at=utcnow())).rowcount
    audit.record(actor, "inventory.release", "session", session.id, {"organization_id": organization_id},
                 {"released": count})
    return count


def inventory_counts(session_id: int) -> dict[str, int]:
    rows = db.session.execute(select(SeatInventory.state, func.count()).where(
        SeatInventory.session_id == session_id).group_by(SeatInventory.state))
    return dict(rows.all())


def hold_expiries(session_id: int) -> dict[int, str]:
    """Seat id -> ISO expiry of each live hold of the session (the map shows the seat free once it passes)."""
    now = utcnow()
    return {seat_id: expires.isoformat() for seat_id, expires in db.session.execute(
        select(SeatInventory.seat_id, SeatInventory.hold_expires_at).where(
            SeatInventory.session_id == session_id, SeatInventory.state == "held",
            SeatInventory.hold_expires_at > now))}
