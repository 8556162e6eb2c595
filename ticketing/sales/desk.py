"""The orders desk: find any order (by number, buyer, phone, e-mail, seat, session, method, status,
day) and, on its page, see its tickets, payments, refunds, e-mails and audit trail; reprint, resend,
void or refund some of its tickets. The search is ``sales.search``, the same as the API's."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.access import may_change_order, may_see_order, organization_scope, roles_required
from ..errors import ServiceError
from ..extensions import db
from ..festivals.services import list_sessions
from ..handling import page_action
from ..money import format_thb
from ..tickets.mail import say_sent, send_tickets
from ..tickets.views import phone_url
from . import services
from .forms import EmailForm, RefundForm
from .history import audit_trail, emails_sent, record_email, refunds_of
from .methods import METHOD_NAMES
from .models import Order
from .receipts import receipt_lines
from .search import STATUSES, OrderFilter, search_orders

bp = Blueprint("orders", __name__, url_prefix="/orders")

STATUS_NAMES = {"paid": _l("Paid"), "partly_void": _l("Partly void"), "void": _l("Void")}
ACTION_NAMES = {"order.sell": _l("Sold"), "order.sell_online": _l("Sold online"), "order.void": _l("Voided and refunded"),
                "order.void_tickets": _l("Tickets voided and refunded"), "order.email": _l("Ticket e-mail sent"),
                "ticket.reissue": _l("Ticket reissued")}


@bp.app_template_filter("order_status")
def order_status(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


def _day(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _int(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


@bp.get("/")
@roles_required("seller", "admin", "treasurer")
def index():
    try:
        organization_scope(current_user)
    except PermissionError:
        abort(403)
    f = OrderFilter(q=request.args.get("q", ""), phone=request.args.get("phone", ""),
                    email=request.args.get("email", ""), session_id=_int("session"),
                    status=request.args.get("status") or None, method=request.args.get("method") or None,
                    date_from=_day("from"), date_to=_day("to"))
    try:
        found = search_orders(current_user, f, request.args.get("cursor") or None)
        error = None
    except ServiceError as err:
        found, error = None, err
    searched = any(request.args.get(k) for k in ("q", "phone", "email", "session", "status", "method", "from", "to"))
    return render_template("orders/index.html", found=found, error=error, f=f, searched=searched,
                           sessions=list_sessions(), statuses=STATUSES, methods=METHOD_NAMES,
                           args={k: v for k, v in request.args.items() if k != "cursor"})


def order_or_abort(order_id, may=may_see_order) -> Order:
    """The order, if ``may(current_user, order)``; 404 or 403 otherwise (the counter's pages use it too)."""
    order = db.get_or_404(Order, order_id)
    if not may(current_user, order):
        abort(403)
    return order


@bp.get("/<order_id>")
@roles_required("seller", "admin", "treasurer")
def show(order_id):
    order = order_or_abort(order_id)
    return _page(order)


def _page(order: Order, form: RefundForm | None = None, status: int = 200):
    lines = list(zip(order.tickets, receipt_lines(order)))
    may_change = may_change_order(current_user, order)
    # an online order's money goes back through Stripe (the shop's admin refund), never as cash or a transfer
    online = order.channel == "online"
    return render_template("orders/order.html", order=order, lines=lines, refunds=refunds_of(order),
                           emails=emails_sent(order), trail=audit_trail(order), action_names=ACTION_NAMES,
                           may_change=may_change, may_void=may_change and order.status != "void" and (
                               not online or current_user.has_role("admin")),
                           online=online, form=form or RefundForm(),
                           email_form=EmailForm(email=order.buyer_email), methods=METHOD_NAMES,
                           phone_link=phone_url(order), chosen=set(request.form.getlist("ticket_ids"))), status


@bp.post("/<order_id>/email")
@roles_required("seller", "admin")
def email(order_id):
    order = order_or_abort(order_id, may_change_order)
    form = EmailForm()
    if not form.validate_on_submit():
        flash(_("Give a valid e-mail address."), "error")
        return redirect(url_for(".show", order_id=order.id))
    to = form.email.data.strip()
    sent = send_tickets(order, to)  # noted on the order page only once it went out
    if not sent or page_action(lambda: record_email(current_user, order, to)).ok:
        say_sent(sent, to)
    return redirect(url_for(".show", order_id=order.id))


@bp.post("/<order_id>/void")
@roles_required("seller", "admin")
def void(order_id):
    order = order_or_abort(order_id, may_change_order)
    if order.channel == "online":
        flash(_("An online order is refunded through Stripe, with the form on its page."), "error")
        return redirect(url_for(".show", order_id=order.id))
    form = RefundForm()
    ticket_ids = request.form.getlist("ticket_ids")

    def void_them():
        return services.void_order(current_user, order.id, form.reason.data or "", ticket_ids or [],
                                   method=(form.refund_method.data or None) if order.total_satang else None,
                                   reference=form.reference.data or "")
    outcome = page_action(void_them, form=form, success=lambda o: _(
        "%(n)d tickets voided; refund %(amount)s baht (%(method)s).", n=len(ticket_ids),
        amount=format_thb(o.refunds[-1].amount_satang), method=_method(o.refunds[-1].method)))
    if outcome.ok:
        return redirect(url_for(".show", order_id=order.id))
    db.session.expire_all()
    return _page(db.session.get(Order, order.id), form, outcome.status)


def _method(method: str) -> str:
    return str(METHOD_NAMES.get(method, method))
