"""The shop's back office: which seats sell online (admin), refunds through Stripe (admin) and the
reconciliation with Stripe (treasurer and admin)."""
from datetime import datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts.access import roles_required
from ..errors import Invalid, ServiceError
from ..extensions import db
from ..festivals.models import FestivalSession
from ..handling import page_action
from ..inventory import services as inventory
from ..inventory.models import SeatInventory
from ..seating.models import Section, Stand
from ..seating.services import map_of
from ..timeutil import from_local, local_today, parse_day
from . import reconcile as reconciliation
from . import refunds, settings, stripe_gateway

bp = Blueprint("shop_admin", __name__, url_prefix="/shop/admin")


def _session_or_404(session_id: int) -> FestivalSession:
    session = db.session.get(FestivalSession, session_id)
    if session is None:
        abort(404)
    return session


@bp.get("/")
@roles_required("admin")
def index():
    sessions = db.session.scalars(select(FestivalSession).order_by(FestivalSession.starts_at)).all()
    online = dict(db.session.execute(select(SeatInventory.session_id, func.count()).where(
        SeatInventory.online.is_(True)).group_by(SeatInventory.session_id)).all())
    sections = {}
    for s in sessions:
        seating_map = map_of(s.festival_id)
        sections[s.id] = db.session.execute(
            select(Section.id, Stand.code, Section.code).join(Stand, Stand.id == Section.stand_id)
            .where(Stand.map_id == seating_map.id).order_by(Stand.position, Section.position)).all() \
            if seating_map else []
    return render_template("shop/admin.html", sessions=sessions, online=online, sections=sections,
                           paying=stripe_gateway.enabled())


@bp.post("/sessions/<int:session_id>/pool")
@roles_required("admin")
def pool(session_id):
    session = _session_or_404(session_id)
    choice = request.form.get("pool_online")

    def action():
        if choice not in ("0", "1"):
            raise Invalid(_("Say whether the shared pool is sold online."), code="bad_choice")
        settings.set_pool_online(current_user, session, choice == "1")
    page_action(action, success=_("The shared pool is now sold online.") if choice == "1"
                else _("The shared pool is no longer sold online."))
    return redirect(url_for(".index"))


@bp.post("/sessions/<int:session_id>/allocate")
@roles_required("admin")
def allocate(session_id):
    session = _session_or_404(session_id)
    form = request.form

    def action():
        section_id = form.get("section_id", "")
        ids = inventory.seats_in_rows(session, int(section_id) if section_id.isdigit() else None,
                                      form.get("row_from", "").strip(), form.get("row_to", "").strip())
        n = inventory.allocate_seats(current_user, session, ids, inventory.ONLINE, skip_sold=True)
        return _("%(n)d seats allocated to the online shop.", n=n)
    page_action(action, success=lambda message: message)
    return redirect(url_for(".index"))


@bp.post("/sessions/<int:session_id>/release")
@roles_required("admin")
def release(session_id):
    session = _session_or_404(session_id)
    page_action(lambda: inventory.release_allocation(current_user, session, inventory.ONLINE),
                success=lambda n: _("%(n)d unsold seats returned to the shared pool.", n=n))
    return redirect(url_for(".index"))


@bp.post("/orders/<order_id>/refund")
@roles_required("admin")
def refund(order_id):
    form = request.form
    ticket_ids = form.getlist("ticket_ids") or None
    page_action(lambda: refunds.refund_online(current_user, order_id, form.get("reason", ""), ticket_ids),
                success=_("Refunded through Stripe."))
    return redirect(url_for("orders.show", order_id=order_id))


def _day(text: str | None, default):
    try:
        return parse_day(text) if text else default
    except ValueError:
        raise Invalid(_("Give dates as YYYY-MM-DD."), code="bad_date") from None


def day_bounds(first, last) -> tuple[datetime, datetime]:
    """[the first day's midnight, the day after the last) in Ubon, as UTC."""
    start = from_local(datetime.combine(first, datetime.min.time()))
    return start, from_local(datetime.combine(last + timedelta(days=1), datetime.min.time()))


@bp.get("/reconcile")
@roles_required("treasurer", "admin")
def reconcile():
    result, error = None, None
    if not stripe_gateway.enabled():
        error = _("Online payment is not configured: there is nothing at Stripe to compare with.")
    else:
        try:
            today = local_today()
            first = _day(request.args.get("from"), today - timedelta(days=30))
            last = _day(request.args.get("to"), today)
            if last < first:
                raise Invalid(_("The end date must not be before the start date."), code="bad_period")
            result = reconciliation.reconcile(*day_bounds(first, last))
        except ServiceError as err:
            error = err.message
    return render_template("shop/reconcile.html", result=result, error=error, args=request.args)
