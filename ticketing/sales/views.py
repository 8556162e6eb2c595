"""The counter: pick seats on the map (or the best N), take the money, print the receipt, close the shift."""
import hashlib
import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.access import may_change_order, may_receive_shift_cash, may_see_shift, roles_required
from ..accounts.models import Organization
from ..errors import Invalid, ServiceError
from ..i18n import localized
from ..extensions import db
from ..festivals.models import FestivalSession
from ..festivals.services import list_sessions
from ..handling import commits, page_action
from ..inventory import changes as live_changes
from ..inventory.models import SeatInventory, live_hold_of
from ..inventory.views import map_context
from ..money import parse_baht
from ..timeutil import utcnow
from .. import promptpay
from . import history, holds, services, shifts
from ..tickets.mail import say_sent, send_tickets
from ..tickets.views import pdf_response, phone_url
from .desk import order_or_abort
from .forms import CloseShiftForm, EmailForm, OpenShiftForm, ReceiveCashForm, SaleForm, VoidForm
from .methods import method_name
from .models import Shift
from .receipts import receipt_lines

bp = Blueprint("counter", __name__, url_prefix="/counter")
bp.add_app_template_filter(method_name, "method_name")


#: ids are 32-bit integers in the database: a bigger number names nothing (and must not reach the driver)
MAX_ID = 2**31 - 1


def _session(session_id) -> FestivalSession:
    if not 0 < session_id <= MAX_ID:
        abort(404)
    return db.get_or_404(FestivalSession, session_id)


def _seat_ids_from_text(text: str) -> list[int]:
    """The sale form's comma-separated seat ids; anything else is a clear 422, never a crash."""
    ids = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 0 < int(part) <= MAX_ID:
            raise Invalid(_("Seat numbers must be whole numbers."), code="invalid_seats",
                          details={"seat_ids": _("Seat numbers must be whole numbers.")})
        ids.append(int(part))
    return ids


@bp.get("/")
@roles_required("seller")
def index():
    return render_template("counter/index.html", sessions=list_sessions(), shift=shifts.open_shift(current_user))


def _my_holds(session_id) -> list[int]:
    return sorted(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session_id, live_hold_of(current_user.id, utcnow()))))


@bp.get("/sessions/<int:session_id>")
@roles_required("seller")
def sell_page(session_id):
    session = _session(session_id)
    form = SaleForm()
    return render_template("counter/sell.html", session=session, form=form, held=_my_holds(session.id),
                           quota_left=services.complimentary_left(current_user.organization_id, session.festival_id),
                           **map_context(session, current_user.organization_id))


def _payment_from(form: SaleForm) -> services.PaymentInput:
    received = None
    if form.payment_method.data == "cash" and (form.received.data or "").strip():
        try:
            received = parse_baht(form.received.data)
        except ValueError:
            raise Invalid(_("Give the cash received as an amount in baht, like 1,500 or 1500.00."),
                               details={"received": _("Give the cash received as an amount in baht.")})
    return services.PaymentInput(form.payment_method.data or "", received, form.reference.data or "",
                                 form.reason.data or "")


@bp.post("/sessions/<int:session_id>/sell")
@roles_required("seller")
def sell(session_id):
    session = _session(session_id)
    form = SaleForm()

    def sell_seats():
        seat_ids = _seat_ids_from_text(form.seat_ids.data)
        return services.sell(current_user, session.id, seat_ids, _payment_from(form),
                             {"name": form.buyer_name.data, "phone": form.buyer_phone.data,
                              "email": form.buyer_email.data}, idempotency_key=form.idempotency_key.data or None)
    outcome = page_action(sell_seats, form=form)
    if outcome.ok:
        return redirect(url_for(".receipt", order_id=outcome.value.id))
    return render_template("counter/sell.html", session=session, form=form, held=_my_holds(session.id),
                           quota_left=services.complimentary_left(current_user.organization_id, session.festival_id),
                           **map_context(session, current_user.organization_id)), outcome.status


# --- JSON endpoints used by the counter page (session cookie + CSRF header) ------------------

def _ids(payload) -> list[int]:
    ids = payload.get("seat_ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID
                                            for i in ids):
        raise Invalid(_("Seat numbers must be whole numbers."), code="invalid_seats")
    return ids


@bp.post("/sessions/<int:session_id>/hold")
@roles_required("seller")
@commits
def hold(session_id):
    session = _session(session_id)
    _held, refused = holds.hold_seats(current_user, session, _ids(request.get_json(silent=True)))
    return jsonify(held=_my_holds(session.id), refused=refused, total_satang=_total(session.id))


@bp.post("/sessions/<int:session_id>/release")
@roles_required("seller")
@commits
def release(session_id):
    session = _session(session_id)
    payload = request.get_json(silent=True) or {}
    holds.release_holds(current_user, session, _ids(payload) if "seat_ids" in payload else None)
    return jsonify(held=_my_holds(session.id), total_satang=_total(session.id))


@bp.post("/sessions/<int:session_id>/best")
@roles_required("seller")
@commits
def best(session_id):
    """Replace the seller's selection with the best seats for a group of N (one row, else a block over
    adjacent rows, else the fewest runs close together), held, with what the proposal is in words."""
    session = _session(session_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        payload = {}
    category = payload.get("category") or None
    if category is not None and not isinstance(category, str):
        raise Invalid(_("Unknown category."), details={"category": _("Unknown category.")})
    proposal = holds.propose_group(current_user, session, payload.get("count"), category)
    holds.release_holds(current_user, session)
    _held, refused = holds.hold_seats(current_user, session, proposal.seat_ids)
    return jsonify(held=_my_holds(session.id), refused=refused, total_satang=_total(session.id),
                   proposal={"kind": proposal.kind, "summary": proposal.summary(), "lines": proposal.lines(),
                             "runs": [[s.id for s in run] for run in proposal.runs]})


def _total(session_id) -> int:
    return services.held_total(current_user, session_id)


@bp.get("/sessions/<int:session_id>/changes")
@roles_required("seller", "admin", "treasurer")
def changes(session_id):
    """Seats changed at or after ``cursor`` (the page's, then each answer's), for the live map: read from
    an index, with an ETag; an unchanged answer is 304 (``inventory.changes``: one statement, as nine
    tablets ask every second)."""
    if not 0 < session_id <= MAX_ID:
        abort(404)
    try:
        found = live_changes.changes_since(session_id, live_changes.parse_cursor(request.args.get("cursor")))
    except Invalid as err:
        return jsonify(error=err.code, message=err.message), 400
    if found is None:
        abort(404)
    seats = [[c.seat_id, c.state, c.organization_id, c.held_by_id == current_user.id,
              c.hold_expires_at.isoformat() if c.hold_expires_at else None] for c in found.seats]
    response = jsonify(cursor=found.cursor, now=found.now.isoformat(), seats=seats)
    # weak: the same seats after the same cursor are the same answer, whatever its `now` says
    response.set_etag(hashlib.sha1(json.dumps([found.cursor, seats]).encode()).hexdigest(), weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@bp.get("/sessions/<int:session_id>/promptpay")
@roles_required("seller")
def promptpay_qr(session_id):
    """The PromptPay QR for the seller's held seats, paid to the account that receives transfers."""
    total = _total(_session(session_id).id)
    receiver_id = services.custodian_for("promptpay", current_user.organization_id)
    receiver = db.session.get(Organization, receiver_id) if receiver_id else None
    if receiver is None or not receiver.promptpay_id:
        return jsonify(error="no_promptpay_id", message=_("No PromptPay ID is set up for the receiving account.")), 409
    if total <= 0:
        return jsonify(error="no_seats", message=_("Select seats first.")), 409
    text = promptpay.payload(receiver.promptpay_id, total)
    return jsonify(payload=text, svg=promptpay.qr_svg(text), total_satang=total, receiver=localized(receiver))


# --- receipt, void, shift -----------------------------------------------------------------

@bp.get("/orders/<order_id>")
@roles_required("seller", "admin", "treasurer")
def receipt(order_id):
    order = order_or_abort(order_id)
    link = phone_url(order)
    return render_template("counter/receipt.html", order=order, lines=receipt_lines(order), void_form=VoidForm(),
                           email_form=EmailForm(email=order.buyer_email), phone_link=link,
                           phone_qr=promptpay.qr_svg(link))


@bp.get("/orders/<order_id>/tickets-<layout>.pdf")
@roles_required("seller", "admin", "treasurer")
def tickets_pdf(order_id, layout):
    return pdf_response(order_or_abort(order_id), layout)


@bp.post("/orders/<order_id>/email")
@roles_required("seller", "admin")
def email_tickets(order_id):
    order = order_or_abort(order_id, may_change_order)
    form = EmailForm()
    if form.validate_on_submit():
        to = form.email.data.strip()
        sent = send_tickets(order, to)  # noted on the order page only once it went out
        if not sent or page_action(lambda: history.record_email(current_user, order, to)).ok:
            say_sent(sent, to)
    else:
        flash(_("Give a valid e-mail address."), "error")
    return redirect(url_for(".receipt", order_id=order.id))


@bp.post("/orders/<order_id>/void")
@roles_required("seller", "admin")
def void(order_id):
    order = order_or_abort(order_id, may_change_order)
    form = VoidForm()

    def void_it():
        if not form.validate_on_submit():
            raise ServiceError(_("Give a reason for voiding."))
        services.void_order(current_user, order.id, form.reason.data or "")
    page_action(void_it, success=_("The order is void; its seats are for sale again."))
    return redirect(url_for(".receipt", order_id=order.id))


@bp.post("/shift/open")
@roles_required("seller")
def open_shift():
    form = OpenShiftForm()

    def start():
        try:
            amount = parse_baht(form.opening_float.data or "0")
        except ValueError:
            amount = None
        return shifts.start_shift(current_user, amount)
    outcome = page_action(start, form=form, success=_("Your shift is open. Sell from the sessions below."))
    if outcome.ok:
        return redirect(url_for(".index"))
    return render_template("counter/shift.html", form=CloseShiftForm(formdata=None), open_form=form, report=None,
                           closed=shifts.closed_shifts(current_user)), outcome.status


@bp.route("/shift", methods=["GET", "POST"])
@roles_required("seller")
def shift():
    form = CloseShiftForm()
    current = shifts.open_shift(current_user)
    if current is not None and form.validate_on_submit():
        try:
            counted = parse_baht(form.counted_cash.data or "")
        except ValueError:
            counted = None
        outcome = page_action(lambda: shifts.close_shift(current_user, counted, form.note.data or ""), form=form,
                              success=_("The shift is closed. Print this report and hand it in with the cash."))
        if outcome.ok:
            return redirect(url_for(".shift_report", shift_id=outcome.value.id))
    report = shifts.shift_report(current) if current else None
    return render_template("counter/shift.html", form=form, report=report, open_form=OpenShiftForm(formdata=None),
                           closed=shifts.closed_shifts(current_user))


@bp.get("/shifts/<int:shift_id>")
@roles_required("seller", "admin", "treasurer")
def shift_report(shift_id):
    shift = db.get_or_404(Shift, shift_id)
    if not may_see_shift(current_user, shift):
        abort(403)
    paper = "80mm" if request.args.get("paper") == "80mm" else "a4"
    return render_template("counter/shift_report.html", report=shifts.shift_report(shift), paper=paper)


@bp.get("/shifts/")
@roles_required("treasurer", "admin")
def all_shifts():
    """Every shift of every organization with its difference; the treasurer marks cash received."""
    organization_id = request.args.get("organization", type=int)
    waiting = request.args.get("waiting") == "1"
    rows = [(s, (s.counted_cash_satang - s.expected_cash_satang) if s.closed_at and s.counted_cash_satang is not None
             and s.expected_cash_satang is not None else None)
            for s in shifts.all_shifts(organization_id, waiting_only=waiting)]
    organizations = db.session.scalars(select(Organization).where(Organization.kind == "member")
                                       .order_by(Organization.id)).all()
    return render_template("counter/shifts_all.html", rows=rows, organizations=organizations,
                           organization_id=organization_id, waiting=waiting,
                           handover=shifts.cash_handover(organization_id),
                           may_receive=may_receive_shift_cash(current_user), receive_form=ReceiveCashForm())


@bp.post("/shifts/<int:shift_id>/received")
@roles_required("treasurer")
def receive_cash(shift_id):
    page_action(lambda: shifts.mark_cash_received(current_user, shift_id), form=ReceiveCashForm(),
                success=lambda s: _("Cash of %(seller)s's shift marked as received.",
                                    seller=s.user.display_name or s.user.username))
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/counter/shifts")
                    else url_for(".all_shifts"))
