"""The public shop (no login, made for a phone) and the Stripe webhook endpoint.

Each step is one transaction through ``handling``; paying is three short ones around the call to
Stripe, so that no database lock is held while Stripe answers: begin (the cart turns ``checkout``),
create the Checkout Session (same idempotency key and parameters on a double click, so the same
session comes back), record it."""
import secrets
import threading
from dataclasses import replace
from datetime import timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template,
                   request, session as cookie, url_for)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from ..accounts import throttle
from ..accounts.throttle import limiter
from ..errors import Invalid, NotFound, ServiceError
from ..extensions import csrf, db
from ..festivals.models import FestivalSession
from ..handling import page_action, transaction
from ..i18n import localized
from ..inventory.drawing import render_svg
from ..inventory.services import categories_for_session, seat_views
from ..seating.services import map_of
from ..tickets.mail import send, send_tickets, ticket_message
from ..web import CONTENT_SECURITY_POLICY
from . import carts, fulfil, mapcache, resend, stripe_gateway, webhooks

bp = Blueprint("shop", __name__, url_prefix="/shop")
hooks = Blueprint("stripe_hooks", __name__)


def browser_key() -> str:
    """A random id for this browser, kept in the signed session cookie: the buyer's carts are its own."""
    if "shop_browser" not in cookie:
        cookie["shop_browser"] = secrets.token_urlsafe(18)
    return cookie["shop_browser"]


def _session_or_404(session_id: int) -> FestivalSession:
    session = db.session.get(FestivalSession, session_id)
    if session is None or not carts.sells_online(session):
        abort(404)
    return session


def _cart_or_404(cart_id: str):
    try:
        cart = carts.get_cart(cart_id)
    except NotFound:
        abort(404)
    if cart.browser_key != browser_key() and cart.status != "completed":
        abort(404)
    return cart


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def checkout_origin() -> str:
    """Where the pay button's form is redirected: Stripe's Checkout (or the stand-in of the tests)."""
    base = urlsplit(current_app.config.get("STRIPE_API_BASE") or "")
    return f"{base.scheme}://{base.netloc}" if base.netloc else "https://checkout.stripe.com"


def _cart_page(html, status=200):
    """The cart page's form ends at Stripe: its policy lets a form go there, and nowhere else."""
    response = _no_store(make_response(html, status))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {checkout_origin()}")
    return response


@bp.get("/")
def index():
    sessions = carts.shop_sessions()
    return render_template("shop/index.html", sessions=sessions, paying=stripe_gateway.enabled(),
                           free={s.id: sum(carts.free_counts(s).values()) for s in sessions})


@bp.get("/s/<int:session_id>")
def session_page(session_id):
    session = _session_or_404(session_id)
    categories = categories_for_session(session)

    def draw() -> str:
        seating_map = map_of(session.festival_id)
        seats = [s if carts.sellable_view(session, s) or s.state != "available" else replace(s, state="blocked")
                 for s in seat_views(session.id)]
        return render_svg(seats, seating_map, categories, {}) if seating_map else ""
    svg = mapcache.session_map(session.id, draw)
    free = carts.free_counts(session)
    # the seats this buyer was just refused: shown taken even on a map drawn before they were
    refused = cookie.pop("shop_taken") if "shop_taken" in cookie else {}  # (no new cookie on every visit)
    taken = refused.get("seats", []) if refused.get("session") == session.id else []
    return render_template("shop/session.html", session=session, svg=svg, categories=categories, free=free,
                           taken=taken,
                           paying=stripe_gateway.enabled(), limit=current_app.config["SHOP_MAX_SEATS"],
                           errors={})


@bp.post("/s/<int:session_id>/hold")
def hold(session_id):
    session = _session_or_404(session_id)
    form = request.form
    ids = [i for i in form.get("seat_ids", "").split(",") if i.strip()]
    count = form.get("count", "").strip()

    def action():
        if ids:
            return carts.hold(browser_key(), session, seat_ids=ids)
        if not count.isdigit():
            raise Invalid(_("Choose seats on the map, or say how many seats you want."), code="no_seats")
        return carts.hold(browser_key(), session, count=int(count), category=form.get("category") or None)
    outcome = page_action(action)
    if not outcome.ok:
        if isinstance(outcome.error, carts.SeatsGone):  # seats taken since the buyer's map was drawn
            mapcache.forget(session.id)
            gone = [i for i in outcome.error.details.get("seats", []) if isinstance(i, int)]
            cookie["shop_taken"] = {"session": session.id, "seats": gone[:50]}
        return redirect(url_for(".session_page", session_id=session.id))
    return redirect(url_for(".cart", cart_id=outcome.value.id), code=303)


@bp.get("/cart/<cart_id>")
def cart(cart_id):
    cart = _cart_or_404(cart_id)
    if cart.status == "completed":
        return redirect(url_for(".done", cart_id=cart.id))
    status = carts.effective_status(cart)
    expires = int(cart.expires_at.replace(tzinfo=timezone.utc).timestamp() * 1000)
    return _cart_page(render_template("shop/cart.html", cart=cart, status=status, expires_ms=expires,
                                      seats=carts.cart_lines(cart), paying=stripe_gateway.enabled(), errors={},
                                      form=request.form))


@bp.post("/cart/<cart_id>/pay")
def pay(cart_id):
    cart = _cart_or_404(cart_id)
    errors: dict = {}
    outcome = page_action(lambda: carts.begin_checkout(
        cart, browser_key(), carts.check_buyer(request.form.get("name"), request.form.get("phone"),
                                               request.form.get("email"))), errors=errors)
    if not outcome.ok:
        if errors:
            return _cart_page(render_template(
                "shop/cart.html", cart=cart, status=carts.effective_status(cart), seats=carts.cart_lines(cart),
                expires_ms=int(cart.expires_at.replace(tzinfo=timezone.utc).timestamp() * 1000),
                paying=stripe_gateway.enabled(), errors=errors, form=request.form), 422)
        return redirect(url_for(".cart", cart_id=cart.id))
    if cart.checkout_url:
        return redirect(cart.checkout_url, code=303)
    festival = cart.session.festival
    try:
        checkout = stripe_gateway.create_checkout(
            key=f"checkout-{cart.id}", email=cart.buyer_email, expires_at=cart.expires_at,
            lines=[(f"{localized(festival)} · {localized(cart.session)} · {stand} {section}/{row}/{label}", price)
                   for stand, section, row, label, _category, price in carts.cart_lines(cart)],
            success_url=url_for(".done", cart_id=cart.id, _external=True),
            cancel_url=url_for(".cart", cart_id=cart.id, _external=True),
            metadata={"cart_id": cart.id, "session_id": str(cart.session_id)})
    except ServiceError as err:
        with transaction():
            carts.undo_checkout(cart)
        flash(err.message, "error")
        return redirect(url_for(".cart", cart_id=cart.id))
    with transaction():
        carts.record_checkout(cart, checkout.id, checkout.url)
    return redirect(checkout.url, code=303)


@bp.post("/cart/<cart_id>/release")
def release(cart_id):
    cart = _cart_or_404(cart_id)
    checkout_id = cart.checkout_session_id if cart.status == "checkout" else None
    page_action(lambda: carts.release(cart, browser_key()), success=_("Your seats were given back."))
    if checkout_id and stripe_gateway.enabled():
        try:
            stripe_gateway.expire_checkout(checkout_id)
        except ServiceError:
            pass  # it expires by itself; a payment that still comes is settled like a late one
    return redirect(url_for(".session_page", session_id=cart.session_id))


@bp.get("/cart/<cart_id>/done")
def done(cart_id):
    """Where Stripe sends the buyer back: the tickets if the payment is through, else a page that waits."""
    cart = _cart_or_404(cart_id)
    outcome = None
    if cart.status == "checkout" and stripe_gateway.enabled():
        try:
            with transaction():
                outcome = fulfil.confirm(cart)
        except ServiceError:
            outcome = "awaiting"
    if outcome == "completed":  # completed by this request (not by the webhook, which mails itself)
        _mail_tickets(cart)
    order = fulfil.order_of(cart)
    if order is not None:
        return redirect(url_for("tickets.phone", token=order.access_token))
    return _no_store(render_template("shop/done.html", cart=cart, status=carts.effective_status(cart)))


def _mail_tickets(cart) -> None:
    """Send the ticket link to the buyer, once, by whoever completed the order (after the commit)."""
    order = fulfil.order_of(cart)
    if order is not None and order.buyer_email:
        send_tickets(order, order.buyer_email)


@bp.route("/tickets-again", methods=["GET", "POST"])
@limiter.limit(lambda: f"{current_app.config['TICKETS_AGAIN_PER_ADDRESS']} per hour", key_func=throttle.email_key,
               methods=["POST"], deduct_when=lambda response: response.status_code == 303)
@limiter.limit(lambda: f"{current_app.config['TICKETS_AGAIN_PER_CLIENT']} per hour", methods=["POST"])
def tickets_again():
    """A buyer who lost the e-mail with their tickets has it sent again (``resend``). The answer is the same
    whether or not an order matched, and comes as soon: the e-mails go out after it, from a thread."""
    errors: dict = {}
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        outcome = page_action(lambda: [(email, *ticket_message(order)) for order in resend.orders_to_send_again(email)],
                              errors=errors)
        if outcome.ok:
            _mail_later(outcome.value)
            flash(_("If tickets for a coming session were bought with %(email)s, their links are on the way "
                    "there now. Look in the inbox (and the spam folder) in a few minutes.", email=email), "success")
            return redirect(url_for(".tickets_again"), code=303)
    return _tickets_again_page(errors, 422 if errors else 200)


def _tickets_again_page(errors: dict, status: int):
    return _no_store(make_response(render_template(
        "shop/tickets_again.html", errors=errors, form=request.form,
        per_address=current_app.config["TICKETS_AGAIN_PER_ADDRESS"]), status))


@bp.errorhandler(RateLimitExceeded)
def asked_too_often(_err):
    """An address (or a client) that asked too often this hour: said in the buyer's language, nothing sent."""
    flash(_("This has been asked for too often in the last hour. Please try again later, or ask at a counter."),
          "error")
    return _tickets_again_page({}, 429)


def _mail_later(messages: list[tuple[str, str, str]]) -> None:
    """Send (to, subject, text) messages from a thread of this process, after the answer has gone."""
    if not messages:
        return
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            for to, subject, text in messages:
                try:
                    send(to, subject, text)
                except OSError as err:
                    app.logger.warning("ticket e-mail to %s not sent: %s", to, err)
    threading.Thread(target=run, name="ticket-mail", daemon=True).start()


@hooks.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    try:
        with transaction():
            outcome, cart = webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except ServiceError as err:
        return jsonify(error=err.code, message=err.message), err.status
    if outcome == "completed":  # completed by this delivery (not by the return page, which mails itself)
        _mail_tickets(cart)
    return jsonify(outcome=outcome)
