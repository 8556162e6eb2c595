"""The buyer's phone tickets (an unguessable link, no login), QR images, and PDF downloads."""
import io

import qrcode
from flask import Blueprint, Response, abort, make_response, render_template, send_file, url_for

from ..extensions import db
from ..promptpay import qr_svg
from ..sales.models import Ticket
from ..sales.receipts import receipt_lines
from . import pdf, services

bp = Blueprint("tickets", __name__, url_prefix="/t")
#: the phone page and its codes are not kept by the HTTP cache (issue 14: no-store on ticket pages, also set
#: for them in ``web.NO_STORE_ENDPOINTS``); it opens at the gate with no network from the copy its service
#: worker keeps (Cache Storage, static/js/phone.js and tickets/sw.js)
PHONE_CACHE = "no-store"


def _order(token):
    order = services.order_for_token(token)
    if order is None:
        abort(404)
    return order


def _live_ticket(order, ticket_id) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.order_id != order.id or ticket.status != "valid":
        abort(404)
    return ticket


@bp.get("/<token>")
def phone(token):
    order = _order(token)
    lines = receipt_lines(order)
    tickets = [(t, line, qr_svg(services.code_for(t)) if t.status == "valid" else None)
               for t, line in zip(order.tickets, lines)]
    resp = make_response(render_template("tickets/phone.html", order=order, tickets=tickets))
    resp.headers["Cache-Control"] = PHONE_CACHE
    return resp


@bp.get("/<token>/<ticket_id>.svg")
def qr_as_svg(token, ticket_id):
    ticket = _live_ticket(_order(token), ticket_id)
    return Response(qr_svg(services.code_for(ticket)), mimetype="image/svg+xml", headers={"Cache-Control": PHONE_CACHE})


@bp.get("/<token>/<ticket_id>.png")
def qr_as_png(token, ticket_id):
    ticket = _live_ticket(_order(token), ticket_id)
    image = qrcode.make(services.code_for(ticket), error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return Response(buf.getvalue(), mimetype="image/png", headers={"Cache-Control": PHONE_CACHE})


def pdf_response(order, layout: str):
    if layout not in pdf.LAYOUTS:
        abort(404)
    views = pdf.ticket_views(order_id=order.id)
    if not views:
        abort(404)
    data = pdf.render(views, layout).getvalue()
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"tickets-{order.id[:8]}-{layout}.pdf")


@bp.get("/<token>/tickets-<layout>.pdf")
def buyer_pdf(token, layout):
    return pdf_response(_order(token), layout)


@bp.get("/sw.js")
def service_worker():
    """Keeps every phone-ticket page the buyer opened, for the gate when the network drops."""
    return Response(render_template("tickets/sw.js"), mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


def phone_url(order) -> str:
    return url_for("tickets.phone", token=order.access_token, _external=True)
