"""What the admin's gate dashboard shows: admissions per entrance over time, scans per minute,
refusals by reason, devices last seen and the conflicts found when offline queues synced."""
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..sales.models import Ticket
from ..seating.models import Seat
from .models import Admission, CheckIn, Entrance

#: admissions are counted in slices of this length for the "over time" chart
SLICE = timedelta(minutes=10)
#: the scans-per-minute chart covers this much of the recent past
RECENT = timedelta(minutes=30)


def _floor(moment: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


def admitted_over_time(session_id: int) -> list[tuple[datetime, dict[int | None, int]]]:
    """(start of slice, {entrance id: admissions}) for every slice with admissions, in time order."""
    slices: dict[datetime, Counter] = {}
    for first_at, entrance_id in db.session.execute(
            select(Admission.first_at, Admission.first_entrance_id).where(Admission.session_id == session_id)):
        slices.setdefault(_floor(first_at, SLICE), Counter())[entrance_id] += 1
    return [(start, dict(counts)) for start, counts in sorted(slices.items())]


def scans_per_minute(session_id: int, now: datetime) -> list[tuple[datetime, int]]:
    """Scans recorded in each minute of the last RECENT, oldest first (empty minutes included)."""
    start = _floor(now - RECENT, timedelta(minutes=1))
    counts = Counter(_floor(at, timedelta(minutes=1)) for at in db.session.scalars(
        select(CheckIn.recorded_at).where(CheckIn.session_id == session_id, CheckIn.recorded_at >= start)))
    minutes = int(RECENT.total_seconds() // 60) + 1
    return [(start + timedelta(minutes=i), counts.get(start + timedelta(minutes=i), 0)) for i in range(minutes)]


def refusals(session_id: int) -> list[tuple[str, int]]:
    return [tuple(r) for r in db.session.execute(
        select(CheckIn.result, func.count()).where(CheckIn.session_id == session_id, CheckIn.result != "ok")
        .group_by(CheckIn.result).order_by(func.count().desc()))]


def devices(session_id: int) -> list[dict]:
    """Each device that scanned for the session: last seen, scans, and how many it sent from offline."""
    rows = db.session.execute(
        select(CheckIn.device, func.max(CheckIn.recorded_at), func.count(),
               func.sum(db.case((CheckIn.offline.is_(True), 1), else_=0)))
        .where(CheckIn.session_id == session_id).group_by(CheckIn.device).order_by(func.max(CheckIn.recorded_at).desc()))
    return [{"device": d, "last_seen": last, "scans": n, "offline": int(off or 0)} for d, last, n, off in rows]


def conflicts(session_id: int) -> list[dict]:
    """Tickets admitted offline by one device after another device had admitted them."""
    rows = db.session.execute(
        select(CheckIn.scanned_at, CheckIn.device, CheckIn.recorded_at, Seat.label, Admission.first_device,
               Admission.first_at, CheckIn.entrance_id)
        .join(Ticket, Ticket.id == CheckIn.ticket_id).join(Seat, Seat.id == Ticket.seat_id)
        .join(Admission, Admission.ticket_id == CheckIn.ticket_id)
        .where(CheckIn.session_id == session_id, CheckIn.conflict.is_(True)).order_by(CheckIn.scanned_at.desc()))
    return [{"scanned_at": r[0], "device": r[1], "synced_at": r[2], "seat_label": r[3], "first_device": r[4],
             "first_at": r[5], "entrance_id": r[6]} for r in rows]


def entrances_by_id(festival_id: int) -> dict[int, Entrance]:
    return {e.id: e for e in db.session.scalars(select(Entrance).where(Entrance.festival_id == festival_id))}
