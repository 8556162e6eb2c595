"""Gate check-in through the API: entrances, scans, a device's offline queue, the offline bundle."""
import hashlib
import json
from functools import cache

from flask import Response, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from .parsing import Blueprint
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from ..accounts.access import may_scan
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..festivals.models import Festival
from ..gate import checkin, services
from ..gate.results import result_message
from ..handling import commits
from ..i18n import lang
from .schemas import ID_RANGE, ApiErrorSchema
from .views import session_or_404

bp = Blueprint("api_gate", __name__, url_prefix="/api/v1", description="Gate check-in")

#: a ticket code is 146 characters; anything much longer is refused as a wrong value, not scanned
MAX_CODE = 1000
MAX_BATCH = 2000


class EntranceSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String(metadata={"description": "in the caller's language"})
    name_th = fields.String()
    name_en = fields.String()
    stands = fields.List(fields.String(), metadata={"description": "stand codes, as `stand` in the seats API"})


class EntranceListSchema(Schema):
    entrances = fields.List(fields.Nested(EntranceSchema))


class ScanFields(Schema):
    code = fields.String(validate=validate.Length(max=MAX_CODE),
                         metadata={"description": "the text of the ticket's QR"})
    ticket_id = fields.String(validate=validate.Length(min=1, max=36),
                              metadata={"description": "instead of `code`: a ticket found by the manual look-up"})
    nonce = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "new per scan; a resend uses the same one and gets the first answer"})
    mode = fields.String(load_default="entry", validate=validate.OneOf(checkin.MODES))

    @validates_schema
    def one_of(self, data, **_kwargs):
        if ("code" in data) == ("ticket_id" in data):
            raise ValidationError(_("Send either code or ticket_id."), "code")


class CheckInSchema(ScanFields):
    session_id = fields.Integer(required=True, validate=ID_RANGE)
    entrance = fields.Integer(required=True, validate=ID_RANGE, metadata={"description": "the entrance's id"})
    device = fields.String(required=True, validate=validate.Length(min=1, max=60))


class QueuedScanSchema(ScanFields):
    scanned_at = fields.AwareDateTime(required=True, metadata={"description": "the device's time of the scan"})
    result = fields.String(load_default=None, validate=validate.OneOf(
        ["ok", "already_used", "wrong_session", "wrong_entrance", "void", "revoked", "invalid", "not_yet",
         "not_inside"]), metadata={"description": "what the device answered offline"})
    entrance = fields.Integer(validate=ID_RANGE, metadata={"description": "if not the batch's entrance"})


class BatchSchema(Schema):
    session_id = fields.Integer(required=True, validate=ID_RANGE)
    entrance = fields.Integer(required=True, validate=ID_RANGE)
    device = fields.String(required=True, validate=validate.Length(min=1, max=60))
    scans = fields.List(fields.Nested(QueuedScanSchema), required=True, validate=validate.Length(max=MAX_BATCH))


class TicketRefSchema(Schema):
    id = fields.String()
    seat_label = fields.String()
    stand = fields.String()
    section = fields.String()
    row = fields.String()
    category = fields.String()
    stand_name = fields.Dict(metadata={"description": "{th, en}"})
    category_name = fields.Dict(metadata={"description": "{th, en}"})


class AnswerSchema(Schema):
    result = fields.String(metadata={"enum": ["ok", "already_used", "wrong_session", "wrong_entrance", "void",
                                              "revoked", "invalid", "not_yet", "not_inside"]})
    message = fields.String(metadata={"description": "what to tell the guest, in the caller's language"})
    ticket = fields.Nested(TicketRefSchema, allow_none=True)
    first_admitted_at = fields.DateTime(allow_none=True, metadata={"description": "already_used: first admission"})
    first_entrance = fields.Dict(allow_none=True, metadata={"description": "already_used: {id, code, name}"})
    nonce = fields.String()
    repeated = fields.Boolean(metadata={"description": "this scan was sent before; this is its first answer"})
    conflict = fields.Boolean(metadata={"description": "offline: admitted here while another device had admitted it"})


class BatchAnswerSchema(Schema):
    results = fields.List(fields.Nested(AnswerSchema), metadata={"description": "in device-time order"})
    conflicts = fields.List(fields.Nested(AnswerSchema))


class BundleQuerySchema(Schema):
    since = fields.AwareDateTime(metadata={"description": "`generated_at` of the previous bundle: only changes"})


class LookupQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=60),
                      metadata={"description": "seat label, or the first 6+ characters of the order number"})


class GateCountsSchema(Schema):
    expected = fields.Integer(metadata={"description": "live tickets of the session"})
    admitted = fields.Integer()
    inside = fields.Integer(metadata={"description": "admitted and not gone out"})
    to_come = fields.Integer()
    by_entrance = fields.Dict(keys=fields.String(), values=fields.Integer(),
                              metadata={"description": "admitted by entrance id (first entry)"})


class LookupTicketSchema(Schema):
    ticket_id = fields.String()
    status = fields.String()
    order_id = fields.String()
    seat_label = fields.String()
    row = fields.String()
    stand = fields.String()
    section = fields.String()
    category = fields.String()
    buyer_name = fields.String()
    gate_state = fields.String(allow_none=True, metadata={"description": "null (not admitted), in or out"})
    first_admitted_at = fields.String(allow_none=True)


class LookupSchema(Schema):
    tickets = fields.List(fields.Nested(LookupTicketSchema))


def _scanner() -> None:
    if not may_scan(current_user):
        raise Forbidden(_("Only gate staff and admins scan tickets."))


@cache
def _message(locale: str, result: str, mode: str) -> str:
    """The answer's message, translated once per language (not once per scan)."""
    return result_message(result, mode)


def _answer(answer: checkin.Answer, mode: str) -> dict:
    return {"result": answer.result, "message": _message(str(get_locale()), answer.result, mode),
            "ticket": answer.ticket, "first_admitted_at": answer.first_admitted_at,
            "first_entrance": answer.first_entrance, "nonce": answer.nonce, "repeated": answer.repeated,
            "conflict": answer.conflict}


def _scan(args: dict, session_id: int, entrance: int, device: str, **more) -> checkin.Scan:
    return checkin.Scan(session_id=session_id, entrance_id=entrance, device=device, nonce=args["nonce"],
                        code=args.get("code"), ticket_id=args.get("ticket_id"), mode=args["mode"], **more)


@bp.route("/festivals/<int:festival_id>/entrances")
@bp.response(200, EntranceListSchema)
def entrances(festival_id):
    """The festival's entrances, each with the stands bound to it (none: any ticket may enter there)."""
    if not (1 <= festival_id < 2**31) or db.session.get(Festival, festival_id) is None:
        raise NotFound(_("No such festival."))
    return {"entrances": [{"id": e.id, "code": e.code, "name": e.name(lang()), "name_th": e.name_th,
                           "name_en": e.name_en, "stands": e.stand_codes}
                          for e in services.entrances_of(festival_id)]}


# The schema is given as one instance: given the class, webargs would build (deep-copy) one per scan.
@bp.route("/checkins", methods=["POST"])
@bp.arguments(CheckInSchema())
@bp.response(200, AnswerSchema)
@bp.alt_response(422, schema=ApiErrorSchema, description="a wrong value (not a wrong ticket: that is a result)")
@commits
def create_checkin(args):
    """Scan one ticket at an entrance. The answer is a result, also for a refused ticket (HTTP 200);
    resending the same `device` and `nonce` returns the first answer."""
    _scanner()
    scan = _scan(args, args["session_id"], args["entrance"], args["device"])
    return _answer(checkin.check_in(current_user, scan), scan.mode)


@bp.route("/checkins/batch", methods=["POST"])
@bp.arguments(BatchSchema)
@bp.response(200, BatchAnswerSchema)
@bp.alt_response(422, schema=ApiErrorSchema, description="a wrong value: nothing of the batch is applied")
@commits
def checkin_batch(args):
    """A device's offline queue: applied in device-time order in one transaction. A scan the device
    admitted offline that another device had admitted first is reported in `conflicts`."""
    _scanner()
    scans = [_scan(s, args["session_id"], s.get("entrance", args["entrance"]), args["device"],
                   scanned_at=s["scanned_at"], device_result=s["result"]) for s in args["scans"]]
    answers = [_answer(a, s.mode) for a, s in zip(checkin.sync(current_user, scans),
                                                   sorted(scans, key=lambda s: (s.scanned_at, s.nonce)))]
    return {"results": answers, "conflicts": [a for a in answers if a["conflict"]]}


@bp.route("/sessions/<int:session_id>/gate-bundle")
@bp.arguments(BundleQuerySchema, location="query")
@bp.response(200, {"type": "object"}, content_type="application/json",
             description="every accepted public key (key id: PEM), session rules, entrances, "
                         "seats (id: label, stand, section, row, category, names), "
                         "void and reissued tickets, admitted (ticket id: state, first time, first entrance)")
def gate_bundle(args, session_id):
    """What a gate device needs to decide scans offline. With `since`, only what changed after it.
    Sends an ETag; `If-None-Match` with it answers 304."""
    _scanner()
    session = session_or_404(session_id)
    body = services.bundle(session, args.get("since"))
    stable = {k: v for k, v in body.items() if k != "generated_at"}
    etag = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    return Response(json.dumps(body), mimetype="application/json", headers={"ETag": f'"{etag}"',
                                                                           "Cache-Control": "no-cache"})


@bp.route("/sessions/<int:session_id>/gate-counts")
@bp.response(200, GateCountsSchema)
def gate_counts(session_id):
    """Counters for the gate screen."""
    _scanner()
    counts = services.counts(session_or_404(session_id).id)
    counts["by_entrance"] = {str(k): v for k, v in counts["by_entrance"].items()}
    return counts


@bp.route("/sessions/<int:session_id>/gate-lookup")
@bp.arguments(LookupQuerySchema, location="query")
@bp.response(200, LookupSchema)
def gate_lookup(args, session_id):
    """Find a damaged ticket by seat label or order number, then admit it with `ticket_id`."""
    _scanner()
    return {"tickets": services.lookup(session_or_404(session_id).id, args["q"])}

