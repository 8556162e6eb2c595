"""Counter sales through the API: sell seats, read and void an order."""
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from .parsing import Blueprint

from ..accounts.access import may_see_order
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..festivals.models import FestivalSession
from ..handling import commits
from ..sales import services
from ..sales.holds import best_available
from ..sales.models import Order
from ..sales.search import OrderFilter, search_orders
from ..tickets.codes import public_pem
from ..tickets.services import keyring, revocations
from ..tickets.views import pdf_response
from .views import session_or_404
from .schemas import (ApiErrorSchema, IdempotencyHeaderSchema, OrderCreateSchema, OrderListSchema,
                      OrderQuerySchema, OrderSchema, PublicKeySchema, RevocationSchema, VoidSchema)

bp = Blueprint("api_orders", __name__, url_prefix="/api/v1", description="Counter sales")


@bp.route("/orders", methods=["POST"])
@bp.arguments(OrderCreateSchema)
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.response(201, OrderSchema)
@bp.alt_response(409, schema=ApiErrorSchema, description="seats_taken: some seats were sold meanwhile; "
                                                          "idempotency_key_reused: the key made another order")
@bp.alt_response(403, schema=ApiErrorSchema, description="seats the caller may not sell")
@commits
def create_order(args, headers):
    """Sell seats. Send an `Idempotency-Key` header so that a retried request returns the first order."""
    key = headers.get("idempotency_key") or None
    seat_ids = args.get("seat_ids")
    if "best_available" in args:
        earlier = services.existing_order(current_user, key, args["session_id"], args["payment_method"],
                                          count=args["best_available"]["count"])
        if earlier is not None:
            return earlier
        session = db.session.get(FestivalSession, args["session_id"])
        if session is None:  # the same answer as for seat_ids (services.sell)
            raise Invalid(_("Some values are wrong."), details={"session_id": _("No such session.")})
        services.check_seller(current_user)
        wanted = args["best_available"]
        seat_ids = best_available(current_user, session, wanted["count"], wanted["category"], wanted["section"])
    payment = services.PaymentInput(args["payment_method"], args.get("received_satang"), args["reference"],
                                    args["reason"])
    return services.sell(current_user, args["session_id"], seat_ids, payment, args["buyer"], idempotency_key=key,
                         best_count=args["best_available"]["count"] if "best_available" in args else None)


def _visible_order(order_id: str) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(_("No such order."))
    if not may_see_order(current_user, order):
        raise Forbidden(_("You may not do this."))
    return order


@bp.route("/orders", methods=["GET"])
@bp.arguments(OrderQuerySchema, location="query")
@bp.response(200, OrderListSchema)
@bp.alt_response(403, schema=ApiErrorSchema, description="the caller may see no organization's orders")
def list_orders(args):
    """Find orders, newest first: a seller sees its organization's orders, treasurers and admins all.
    Give `next_cursor` back as `cursor` for the next page."""
    found = search_orders(current_user, OrderFilter(
        q=args.get("q", ""), phone=args.get("phone", ""), email=args.get("email", ""),
        session_id=args.get("session"), status=args.get("status"), method=args.get("method"),
        date_from=args.get("from_"), date_to=args.get("to")), args.get("cursor"), args["limit"])
    return {"orders": found.orders, "next_cursor": found.next_cursor}


@bp.route("/orders/<order_id>")
@bp.response(200, OrderSchema)
def get_order(order_id):
    """One order with its tickets."""
    return _visible_order(order_id)


@bp.route("/orders/<order_id>/void", methods=["POST"])
@bp.arguments(VoidSchema)
@bp.response(200, OrderSchema)
@bp.alt_response(409, schema=ApiErrorSchema, description="already_void: the order, or some of the tickets, "
                                                          "are void already")
@bp.alt_response(422, schema=ApiErrorSchema, description="unknown_tickets: ids that are not this order's tickets")
@commits
def void_order(args, order_id):
    """Void and refund the whole order, or only `ticket_ids`: their seats return to sale, their tickets are
    void and the ledger reverses exactly their shares. The order's status becomes `partly_void` while some
    tickets stay valid. A seller's refund books into its shift (opened if it was closed)."""
    return services.void_order(current_user, order_id, args["reason"], args.get("ticket_ids"),
                               method=args.get("refund_method"), reference=args["reference"])


@bp.route("/orders/<order_id>/tickets.pdf")
@bp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
def order_tickets_pdf(order_id):
    """The order's live tickets as one PDF (`?layout=a6` or `80mm`)."""
    return pdf_response(_visible_order(order_id), request.args.get("layout", "a6"))


@bp.route("/sessions/<int:session_id>/revocations")
@bp.response(200, RevocationSchema)
def session_revocations(session_id):
    """For gate devices working offline: codes that verify but must be refused."""
    return {"session_id": session_or_404(session_id).id, **revocations(session_id)}


@bp.route("/tickets/public-key")
@bp.response(200, PublicKeySchema)
def ticket_public_key():
    """The Ed25519 public keys that verify ticket codes (a code names its key by id)."""
    ring = keyring()
    return {"algorithm": "Ed25519", "public_key_pem": public_pem(ring.signing_key), "key_id": ring.current,
            "keys": [{"key_id": kid, "public_key_pem": pem} for kid, pem in ring.public_pems().items()]}
