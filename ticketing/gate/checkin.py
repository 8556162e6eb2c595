"""Check-in: one scan at one entrance, decided once and recorded.

The order of work is the point (DESIGN.md invariants 3 and 4):

1. the code's Ed25519 signature is checked before any database work, so a forged or garbled code
   costs no look-up (only the record of the scan);
2. one query reads the ticket, its seat, its session, its admission and the entrance bindings;
3. one conditional write admits: ``INSERT … ON CONFLICT DO NOTHING`` on the admission's primary key
   (first entry) or ``UPDATE … WHERE state = 'out'`` (re-entry), so a ticket gets in once whatever
   the number of gates scanning it in the same instant;
4. the scan is recorded with ``ON CONFLICT (device, nonce) DO NOTHING``: a resent scan (a retry
   after a dropped connection) finds its first record and gets the first answer back, never
   ``already_used``;
5. a scan that admits (or lets out, or back in) writes an audit entry, chained by the database at
   commit (``audit.chain``): in the same statement as the admission and its record on PostgreSQL, one
   prebuilt INSERT otherwise. Refused scans change nothing and are only recorded.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, String, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..audit.models import AuditEntry
from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..sales.models import Order, Ticket
from ..seating.models import PriceCategory, Seat, Section, Stand
from ..tickets.codes import InvalidCode, verify
from ..tickets.services import public_keys
from ..timeutil import UTCDateTime, utcnow
from .models import Admission, CheckIn, Entrance, EntranceStand

MODES = ("entry", "exit")
#: an offline scan's device time may be this far ahead of the server's clock (clocks drift)
CLOCK_SKEW = timedelta(minutes=5)
#: offline queues older than this are refused (a device left in a drawer since last year)
OLDEST_OFFLINE = timedelta(days=3)


@dataclass
class Scan:
    """One scan as a gate device sends it."""
    session_id: int
    entrance_id: int
    device: str
    nonce: str
    code: str | None = None
    #: a manual look-up (damaged ticket) names the ticket instead of a code
    ticket_id: str | None = None
    mode: str = "entry"
    #: the device's time of an offline scan; None for "now"
    scanned_at: datetime | None = None
    offline: bool = False
    #: what the device answered offline
    device_result: str | None = None


@dataclass
class Answer:
    result: str
    ticket: dict | None = None
    first_admitted_at: datetime | None = None
    first_entrance: dict | None = None
    #: an offline ``ok`` that the server found already admitted by another device
    conflict: bool = False
    #: the same scan was sent before: this is its first answer
    repeated: bool = False
    nonce: str = ""
    extra: dict = field(default_factory=dict)


def _check_shape(scan: Scan, now: datetime) -> None:
    """Malformed requests are refused (422) and change nothing; a bad *code* is a scan result."""
    problems = {}
    if not (scan.device or "").strip() or len(scan.device) > 60:
        problems["device"] = _("Give the device a name of 1 to 60 characters.")
    if not (scan.nonce or "") or len(scan.nonce) > 64:
        problems["nonce"] = _("Each scan needs a nonce of 1 to 64 characters.")
    if scan.mode not in MODES:
        problems["mode"] = _("The mode is entry or exit.")
    if scan.scanned_at is not None and not (now - OLDEST_OFFLINE <= scan.scanned_at <= now + CLOCK_SKEW):
        problems["scanned_at"] = _("The scan time is not plausible; check the device's clock.")
    if problems:
        raise Invalid(_("Some values are wrong."), details=problems)


# The hot path's statements are built once, on the tables rather than the mapped classes, and take
# their values as parameters: building a statement (and the ORM's part in running it) cost more than
# the database work of a scan.

@cache
def _ticket_query(by_seat: bool):
    """Everything the decision needs, in one statement: the ticket, its seat, stand and category, its
    session, its admission with the first entrance, and the entrance bindings. Parameters: ``ticket_id``,
    ``entrance_id`` and (``by_seat``) ``seat_id``."""
    ticket, seat, section, stand, category, session, admission, binding, entrance, order = (
        m.__table__ for m in (Ticket, Seat, Section, Stand, PriceCategory, FestivalSession, Admission,
                              EntranceStand, Entrance, Order))
    first = entrance.alias("first_entrance")
    entrance_id = bindparam("entrance_id", type_=Integer)
    bound_anywhere = (select(func.count())
                      .select_from(binding.join(entrance, entrance.c.id == binding.c.entrance_id))
                      .where(entrance.c.festival_id == session.c.festival_id, binding.c.stand_code == stand.c.code)
                      .scalar_subquery())
    bound_here = (select(func.count()).select_from(binding)
                  .where(binding.c.entrance_id == entrance_id, binding.c.stand_code == stand.c.code).scalar_subquery())
    entrance_festival = select(entrance.c.festival_id).where(entrance.c.id == entrance_id).scalar_subquery()
    query = (select(ticket.c.id, ticket.c.status, ticket.c.issue_no, ticket.c.session_id, seat.c.label,
                    seat.c.row_label, section.c.code.label("section"), stand.c.code.label("stand"),
                    stand.c.name_th.label("stand_th"), stand.c.name_en.label("stand_en"),
                    category.c.code.label("category"), category.c.name_th.label("category_th"),
                    category.c.name_en.label("category_en"), session.c.festival_id, session.c.starts_at,
                    session.c.gate_opens_at, session.c.reentry_allowed, admission.c.state, admission.c.first_at,
                    admission.c.first_entrance_id, admission.c.first_device, first.c.code.label("first_code"),
                    first.c.name_th.label("first_th"), first.c.name_en.label("first_en"),
                    bound_anywhere.label("bound_anywhere"), bound_here.label("bound_here"),
                    entrance_festival.label("entrance_festival"), order.c.organization_id)
             .select_from(ticket.join(seat, seat.c.id == ticket.c.seat_id)
                          .join(section, section.c.id == seat.c.section_id)
                          .join(stand, stand.c.id == section.c.stand_id)
                          .join(category, category.c.id == ticket.c.category_id)
                          .join(session, session.c.id == ticket.c.session_id)
                          .join(order, order.c.id == ticket.c.order_id)
                          .outerjoin(admission, admission.c.ticket_id == ticket.c.id)
                          .outerjoin(first, first.c.id == admission.c.first_entrance_id))
             .where(ticket.c.id == bindparam("ticket_id", type_=String)))
    if by_seat:
        query = query.where(ticket.c.seat_id == bindparam("seat_id", type_=Integer))
    return query


@cache
def _first_admission_query():
    """The first admission of ``ticket_id``, with its entrance."""
    admission, entrance = Admission.__table__, Entrance.__table__
    return (select(admission.c.first_at, admission.c.first_entrance_id, admission.c.first_device,
                   entrance.c.code.label("first_code"), entrance.c.name_th.label("first_th"),
                   entrance.c.name_en.label("first_en"))
            .select_from(admission.outerjoin(entrance, entrance.c.id == admission.c.first_entrance_id))
            .where(admission.c.ticket_id == bindparam("ticket_id", type_=String)))


@cache
def _writes(dialect: str):
    """(admit, record) for the dialect: the first entry's INSERT … ON CONFLICT DO NOTHING, returning the
    ticket when it went in (the rowcount of this INSERT is -1 on PostgreSQL, so it cannot say), and the
    scan's record, returning its id unless the same device sent the same nonce before."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    admissions, checkins = Admission.__table__, CheckIn.__table__
    return (insert(admissions).on_conflict_do_nothing(index_elements=["ticket_id"]).returning(admissions.c.ticket_id),
            insert(checkins).on_conflict_do_nothing(index_elements=["device", "nonce"]).returning(checkins.c.id))


@cache
def _admit_and_record_pg():
    """PostgreSQL, an online entry scan of a ticket not yet admitted: the admission, the scan's record
    and (when it went in) the audit entry in one statement (round trips fewer). The scan is recorded ``ok`` when its admission went in,
    ``already_used`` when another gate's did first; returns whether it went in and the record's id
    (none for a resent scan)."""
    return text("""
        WITH admitted AS (
            INSERT INTO admissions (ticket_id, session_id, state, first_at, first_entrance_id, first_device,
                                    entries, updated_at)
            VALUES (:ticket_id, :session_id, 'in', :scanned_at, :entrance_id, :device, 1, :recorded_at)
            ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id),
        recorded AS (
            INSERT INTO checkins (session_id, ticket_id, entrance_id, device, nonce, user_id, mode, method, result,
                                  scanned_at, recorded_at, offline, device_result, conflict)
            VALUES (:session_id, :ticket_id, :entrance_id, :device, :nonce, :user_id, :mode, :method,
                    CASE WHEN EXISTS (SELECT 1 FROM admitted) THEN 'ok' ELSE 'already_used' END,
                    :scanned_at, :recorded_at, false, NULL, false)
            ON CONFLICT (device, nonce) DO NOTHING RETURNING id),
        audited AS (
            INSERT INTO audit_entries (at, user_id, organization_id, action, object_type, object_id, after)
            SELECT :recorded_at, CAST(:user_id AS integer), CAST(:organization_id AS integer), 'checkin.entry',
                   'ticket', ticket_id,
                   CAST(:audit_after AS json)
            FROM admitted)
        SELECT EXISTS (SELECT 1 FROM admitted) AS admitted, (SELECT id FROM recorded) AS recorded
        """).bindparams(bindparam("scanned_at", type_=UTCDateTime()), bindparam("recorded_at", type_=UTCDateTime()))


@cache
def _audit_insert():
    """The audit entry of a scan that changed a ticket's state (the database chains it at commit)."""
    return insert(AuditEntry.__table__)


def _audit_facts(scan: Scan, when: datetime) -> dict:
    """What the audit entry of a scan that changed a ticket's state says."""
    return {"session_id": scan.session_id, "entrance_id": scan.entrance_id, "device": scan.device,
            "method": "manual" if scan.ticket_id else "qr", "scanned_at": when.isoformat(), "offline": scan.offline}


def _audit(scan: Scan, row, action: str, when: datetime, record: dict) -> None:
    db.session.execute(_audit_insert(), {
        "at": record["recorded_at"], "user_id": record["user_id"], "organization_id": row.organization_id,
        "action": action, "object_type": "ticket", "object_id": row.id, "before": None,
        "after": _audit_facts(scan, when)})


#: the scan is not recorded yet
_PENDING = object()


def _ticket_row(ticket_id: str, seat_id: int | None, entrance_id: int):
    """Everything the decision needs, in one query."""
    params = {"ticket_id": ticket_id, "entrance_id": entrance_id}
    if seat_id is not None:
        params["seat_id"] = seat_id
    return db.session.execute(_ticket_query(seat_id is not None), params).first()


def _ticket_view(row) -> dict:
    return {"id": row.id, "seat_label": row.label, "stand": row.stand, "section": row.section,
            "row": row.row_label, "category": row.category,
            "stand_name": {"th": row.stand_th, "en": row.stand_en},
            "category_name": {"th": row.category_th, "en": row.category_en}}


def gate_opens_at(starts_at: datetime, gate_opens: datetime | None) -> datetime:
    return gate_opens or starts_at - timedelta(minutes=current_app.config["GATE_OPENS_MINUTES"])


def _first_entrance(row) -> dict | None:
    """The first admission's entrance, from a row with first_entrance_id, first_code, first_th, first_en."""
    if row.first_entrance_id is None:
        return None
    return {"id": row.first_entrance_id, "code": row.first_code, "name": {"th": row.first_th, "en": row.first_en}}


def _claim_ticket(scan: Scan):
    """(ticket id, seat id) that the scan names, or None for a code that is not a genuine ticket."""
    if scan.ticket_id is not None:
        return (scan.ticket_id, None) if len(scan.ticket_id) <= 36 else None
    try:
        claim = verify(public_keys(), scan.code or "")
    except InvalidCode:
        return None
    return claim


def _decide(scan: Scan, row, claim_issue: int | None, when: datetime, now: datetime, record: dict):
    """The result for a genuine code of a ticket we know, writing the admission when it is ``ok``; and
    the id of the scan's record if it was written with the admission (None: a resent scan), else
    ``_PENDING``. ``record`` holds the record's values but its result."""
    if row.entrance_festival != row.festival_id:
        raise Invalid(_("This entrance is not one of this festival's."), details={"entrance": _("No such entrance.")})
    view = _ticket_view(row)
    if row.status != "valid":
        return Answer("void", view), _PENDING
    if claim_issue is not None and claim_issue != row.issue_no:
        return Answer("revoked" if claim_issue < row.issue_no else "invalid", view), _PENDING
    if row.session_id != scan.session_id:
        return Answer("wrong_session", view), _PENDING
    if row.bound_anywhere and not row.bound_here:
        return Answer("wrong_entrance", view), _PENDING
    if now < gate_opens_at(row.starts_at, row.gate_opens_at):
        return Answer("not_yet", view), _PENDING
    first = None
    if scan.mode == "exit":
        if not row.reentry_allowed:
            raise Invalid(_("This session does not allow re-entry, so there is no exit scan."),
                          details={"mode": _("Re-entry is off for this session.")})
        done = db.session.execute(update(Admission).where(Admission.ticket_id == row.id, Admission.state == "in")
                                  .values(state="out", updated_at=now)).rowcount
        if done:
            _audit(scan, row, "checkin.exit", when, record)
        return Answer("ok" if done else "not_inside", view), _PENDING
    recorded = _PENDING
    if row.state is None:
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql" and not scan.offline:
            try:
                done, recorded = db.session.execute(_admit_and_record_pg(), {
                    **record, "organization_id": row.organization_id,
                    "audit_after": json.dumps(_audit_facts(scan, when))}).one()
            except IntegrityError:
                raise _no_such_session()
        else:
            admit, _record = _writes(dialect)
            done = db.session.execute(admit, {
                "ticket_id": row.id, "session_id": row.session_id, "state": "in", "first_at": when,
                "first_entrance_id": scan.entrance_id, "first_device": scan.device, "entries": 1,
                "updated_at": now}).first() is not None
            if done:
                _audit(scan, row, "checkin.entry", when, record)
    elif row.state == "out" and row.reentry_allowed:
        done = db.session.execute(update(Admission).where(Admission.ticket_id == row.id, Admission.state == "out")
                                  .values(state="in", entries=Admission.entries + 1, updated_at=now)).rowcount
        if done:
            _audit(scan, row, "checkin.reentry", when, record)
    else:
        done = 0
        first = row  # inside already: the row says since when and where
    if done:
        return Answer("ok", view), recorded
    if first is None:  # another gate admitted it after the row was read
        first = db.session.execute(_first_admission_query(), {"ticket_id": row.id}).first()
    answer = Answer("already_used", view, first.first_at, _first_entrance(first))
    answer.conflict = scan.offline and scan.device_result == "ok" and first.first_device != scan.device
    return answer, recorded


def _no_such_session() -> Invalid:
    return Invalid(_("No such session or entrance."), details={"session_id": _("No such session or entrance.")})


class _Repeated(Exception):
    """A resent scan whose second attempt admitted (the first was refused): the write must be undone."""


def check_in(user, scan: Scan, now: datetime | None = None) -> Answer:
    """Decide one scan and record it (the caller commits once)."""
    try:
        return _check_in(user, scan, now or utcnow())
    except _Repeated:
        db.session.rollback()
        return _first_answer(scan)


def _check_in(user, scan: Scan, now: datetime) -> Answer:
    _check_shape(scan, now)
    when = scan.scanned_at or now
    claim = _claim_ticket(scan)
    ticket_id = None if claim is None else claim[0] if isinstance(claim, tuple) else claim.ticket_id
    record = {"session_id": scan.session_id, "ticket_id": ticket_id, "entrance_id": scan.entrance_id,
              "device": scan.device, "nonce": scan.nonce, "user_id": getattr(user, "id", None), "mode": scan.mode,
              "method": "manual" if scan.ticket_id else "qr", "scanned_at": when, "recorded_at": now}
    recorded = _PENDING
    if claim is None:
        answer = Answer("invalid")
    else:
        row = _ticket_row(ticket_id, None if isinstance(claim, tuple) else claim.seat_id, scan.entrance_id)
        if row is None:
            answer, record["ticket_id"] = Answer("invalid"), None
        else:
            answer, recorded = _decide(scan, row, None if isinstance(claim, tuple) else claim.issue, when, now,
                                       record)
    answer.nonce = scan.nonce
    if recorded is _PENDING:
        _admit, insert_record = _writes(db.session.get_bind().dialect.name)
        try:
            recorded = db.session.execute(insert_record, {
                **record, "result": answer.result, "offline": scan.offline, "device_result": scan.device_result,
                "conflict": answer.conflict}).scalar()
        except IntegrityError:
            raise _no_such_session()
    if recorded is None:
        if answer.result == "ok":
            raise _Repeated()
        return _first_answer(scan)
    return answer


def _first_answer(scan: Scan) -> Answer:
    """A resent scan: answer what the first attempt answered."""
    first = db.session.execute(select(CheckIn).where(CheckIn.device == scan.device, CheckIn.nonce == scan.nonce)
                               ).scalar_one()
    answer = Answer(first.result, nonce=scan.nonce, repeated=True, conflict=first.conflict)
    if first.ticket_id:
        row = _ticket_row(first.ticket_id, None, first.entrance_id or 0)
        answer.ticket = _ticket_view(row) if row else None
        if first.result == "already_used" and row is not None and row.first_at is not None:
            answer.first_admitted_at = row.first_at
            answer.first_entrance = _first_entrance(row)
    return answer


def sync(user, scans: list[Scan], now: datetime | None = None) -> list[Answer]:
    """A device's offline queue: every scan applied in device-time order, in one transaction.

    A scan whose device time is implausible (a wrong clock) keeps its place in the order but is
    recorded at the server's time, so one bad clock never blocks the rest of the queue."""
    now = now or utcnow()
    answers = []
    for scan in sorted(scans, key=lambda s: (s.scanned_at or now, s.nonce)):
        scan.offline = True
        if scan.scanned_at is not None and not (now - OLDEST_OFFLINE <= scan.scanned_at <= now + CLOCK_SKEW):
            scan.scanned_at = now
        try:
            with db.session.begin_nested():  # a resent scan undoes only its own attempt
                answers.append(_check_in(user, scan, now))
        except _Repeated:
            answers.append(_first_answer(scan))
    return answers
