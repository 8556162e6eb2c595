"""A buyer's cart: the seats it holds while the buyer types and pays.

Rules (each enforced here, never by a sweeper):

- A cart holds its seats until ``expires_at``, set once when it is made (``SHOP_HOLD_MINUTES``, 15)
  and moved once, when the buyer goes to pay, to the Checkout Session's expiry (Stripe wants at
  least 30 minutes): a hold cannot be stretched further, however often the buyer clicks.
- After ``expires_at`` the seats are free for anyone (``inventory.models.seat_is_free``) and the
  cart counts as expired (``effective_status``), whether or not anything has written so.
- At most ``SHOP_MAX_SEATS`` (10) seats in a cart, and in all the live carts of one browser.
- One live cart per browser and session: choosing again gives the first cart's seats back.
- Only seats the shop may sell: those allocated to it, and the shared pool where the session sells
  it online (``FestivalSession.pool_online``).
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from .. import audit
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory, in_shared_pool, seat_is_free
from ..inventory.services import SeatView
from ..sales.buyers import normalised_phone, usable_email
from ..sales.holds import propose_seats
from ..seating.models import PriceCategory, Seat, Section, Stand
from ..timeutil import utcnow
from .models import Cart, CartSeat

LIVE = ("open", "checkout")


class SeatsGone(Conflict):
    code = "seats_taken"


def sold_online(session: FestivalSession):
    """SQL: the seats of ``session`` that the shop may sell."""
    return or_(SeatInventory.online.is_(True), and_(in_shared_pool(), session.pool_online))


def sellable_view(session: FestivalSession, seat: SeatView) -> bool:
    """The same rule for a seat of the drawn map."""
    return seat.online or (session.pool_online and seat.organization_id is None)


def shop_sessions() -> list[FestivalSession]:
    """Sessions still to come that sell online (seats allocated to the shop, or the pool)."""
    now = utcnow()
    online_seats = select(SeatInventory.session_id).where(SeatInventory.online.is_(True)).distinct()
    return list(db.session.scalars(select(FestivalSession).where(
        FestivalSession.starts_at > now,
        or_(FestivalSession.pool_online.is_(True), FestivalSession.id.in_(online_seats)))
        .order_by(FestivalSession.starts_at)))


def sells_online(session: FestivalSession) -> bool:
    """The session is still to come and the shop sells some of its seats."""
    if session.starts_at <= utcnow():
        return False
    return session.pool_online or db.session.scalar(select(SeatInventory.id).where(
        SeatInventory.session_id == session.id, SeatInventory.online.is_(True)).limit(1)) is not None


def cart_lines(cart: Cart) -> list[tuple]:
    """(stand, section, row, seat label, category, price) of the cart's seats, in the cart's order."""
    rows = {r[0]: r[1:] for r in db.session.execute(
        select(Seat.id, Stand.code, Section.code, Seat.row_label, Seat.label)
        .join(Section, Section.id == Seat.section_id).join(Stand, Stand.id == Section.stand_id)
        .where(Seat.id.in_([c.seat_id for c in cart.seats])))}
    categories = {c.id: c for c in db.session.scalars(select(PriceCategory).where(
        PriceCategory.id.in_({c.category_id for c in cart.seats})))}
    return [(*rows.get(c.seat_id, ("", "", "", "")), categories.get(c.category_id), c.price_satang) for c in cart.seats]


def free_counts(session: FestivalSession) -> dict[int, int]:
    """Seats free for the shop now, per price category."""
    now = utcnow()
    return dict(db.session.execute(
        select(Seat.category_id, func.count()).join(SeatInventory, SeatInventory.seat_id == Seat.id)
        .where(SeatInventory.session_id == session.id, sold_online(session), seat_is_free(now))
        .group_by(Seat.category_id)).all())


def effective_status(cart: Cart, now: datetime | None = None) -> str:
    """The cart's status as the buyer sees it now: a live cart past its expiry is expired."""
    if cart.status in LIVE and cart.expires_at <= (now or utcnow()):
        return "expired"
    return cart.status


def get_cart(cart_id: str) -> Cart:
    cart = db.session.get(Cart, cart_id) if isinstance(cart_id, str) and len(cart_id) <= 36 else None
    if cart is None:
        raise NotFound(_("This cart does not exist (or the link is incomplete)."))
    return cart


def _browser_seats(browser_key: str, now) -> int:
    return db.session.scalar(select(func.count()).select_from(CartSeat).join(Cart, Cart.id == CartSeat.cart_id)
                             .where(Cart.browser_key == browser_key, Cart.status.in_(LIVE),
                                    Cart.expires_at > now)) or 0


def _release_seats(cart: Cart) -> int:
    return db.session.execute(update(SeatInventory).where(
        SeatInventory.cart_id == cart.id, SeatInventory.state == "held")
        .values(state="available", cart_id=None, hold_expires_at=None, updated_at=utcnow())).rowcount


def _parse_ids(seat_ids) -> list[int]:
    try:
        ids = sorted({int(i) for i in seat_ids})
    except (TypeError, ValueError):
        ids = None
    if not ids or any(i <= 0 or i > 2**31 - 1 for i in ids):
        raise Invalid(_("Choose at least one seat on the map."), code="no_seats",
                      details={"seat_ids": _("Choose at least one seat on the map.")})
    return ids


def hold(browser_key: str, session: FestivalSession, *, seat_ids=None, count=None, category: str | None = None) -> Cart:
    """Hold the chosen seats (or the best ``count`` seats of ``category``) in a new cart for this browser.
    The browser's earlier live cart for the session gives its seats back first. Nothing is held when any
    seat cannot be: the buyer is told which."""
    if not sells_online(session):
        raise NotFound(_("This session is not on sale online."))
    limit = current_app.config["SHOP_MAX_SEATS"]
    now = utcnow()
    for earlier in db.session.scalars(select(Cart).where(Cart.browser_key == browser_key, Cart.session_id == session.id,
                                                         Cart.status == "open")):
        release(earlier, browser_key)
    if seat_ids is None:
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= limit:
            message = _("Choose from 1 to %(n)d seats.", n=limit)
            raise Invalid(message, code="bad_count", details={"count": message})
        free = set(db.session.scalars(select(SeatInventory.seat_id).where(
            SeatInventory.session_id == session.id, sold_online(session), seat_is_free(now))))
        ids = propose_seats(session, count, category, lambda s: s.id in free).seat_ids
    else:
        ids = _parse_ids(seat_ids)
    if len(ids) > limit:
        message = _("At most %(n)d seats in one order.", n=limit)
        raise Invalid(message, code="too_many_seats", details={"seat_ids": message})
    if _browser_seats(browser_key, now) + len(ids) > limit:
        message = _("You already hold seats in another cart: at most %(n)d seats at a time. Pay for them or "
                    "give them back first.", n=limit)
        raise Invalid(message, code="too_many_seats", details={"seat_ids": message})
    lines = db.session.execute(
        select(Seat.id, Seat.category_id, PriceCategory.price_satang)
        .join(SeatInventory, SeatInventory.seat_id == Seat.id).join(PriceCategory, PriceCategory.id == Seat.category_id)
        .where(SeatInventory.session_id == session.id, Seat.id.in_(ids)).order_by(Seat.position)).all()
    if len(lines) != len(ids):
        raise Invalid(_("Some of these seats are not part of this session."), code="unknown_seats",
                      details={"seat_ids": sorted(set(ids) - {r[0] for r in lines})})
    cart = Cart(session_id=session.id, browser_key=browser_key, status="open", created_at=now,
                expires_at=now + timedelta(minutes=current_app.config["SHOP_HOLD_MINUTES"]),
                total_satang=sum(r[2] for r in lines))
    cart.seats = [CartSeat(seat_id=r[0], category_id=r[1], price_satang=r[2], position=i) for i, r in enumerate(lines)]
    db.session.add(cart)
    db.session.flush()
    taken = db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids), sold_online(session), seat_is_free(now))
        .values(state="held", held_by_id=None, cart_id=cart.id, hold_expires_at=cart.expires_at, updated_at=now)).rowcount
    if taken != len(ids):
        gone = sorted(set(ids) - set(db.session.scalars(select(SeatInventory.seat_id).where(
            SeatInventory.cart_id == cart.id))))
        raise SeatsGone(_("Someone else has just taken some of these seats. Please choose again."),
                        details={"seats": gone})
    return cart


def release(cart: Cart, browser_key: str | None = None) -> int:
    """Give the cart's seats back (the buyer changed their mind). Only the browser that made it may."""
    if browser_key is not None and cart.browser_key != browser_key:
        raise NotFound(_("This cart does not exist (or the link is incomplete)."))
    if cart.status not in LIVE:
        return 0
    n = _release_seats(cart)
    cart.status = "released"
    return n


def check_buyer(name, phone, email) -> dict:
    """An online buyer must give a name, a phone number and an e-mail address (the tickets go there)."""
    name, phone, email = (str(v or "").strip() for v in (name, phone, email))
    errors = {}
    if not name:
        errors["name"] = _("Give the buyer's name.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    normal = normalised_phone(phone) if phone else None
    if normal is None:
        errors["phone"] = _("Give a Thai phone number such as 081 234 5678.")
    if not usable_email(email):
        errors["email"] = _("Give an e-mail address such as name@example.com: the tickets are sent there.")
    if errors:
        raise Invalid(_("Some values are wrong; see the marked fields."), code="invalid_buyer", details=errors)
    return {"name": name, "phone": normal, "email": email}


def begin_checkout(cart: Cart, browser_key: str, buyer: dict) -> Cart:
    """First step of paying (its own transaction): the cart turns ``checkout``, the buyer's details are
    kept, and the hold moves once to the Checkout Session's expiry. A second click finds the cart
    already in checkout and goes on with the same Checkout Session."""
    if cart.browser_key != browser_key:
        raise NotFound(_("This cart does not exist (or the link is incomplete)."))
    status = effective_status(cart)
    if status == "checkout":
        return cart
    if status != "open":
        raise Conflict(_("This cart has expired and its seats were given back. Please choose again."),
                       code="cart_expired")
    now = utcnow()
    deadline = now + timedelta(minutes=current_app.config["SHOP_CHECKOUT_MINUTES"])
    deadline = deadline.replace(microsecond=0)
    if db.session.execute(update(Cart).where(Cart.id == cart.id, Cart.status == "open")
                          .values(status="checkout", expires_at=deadline, buyer_name=buyer["name"],
                                  buyer_phone=buyer["phone"], buyer_email=buyer["email"], updated_at=now)
                          .execution_options(synchronize_session=False)).rowcount != 1:
        db.session.refresh(cart)
        return cart
    kept = db.session.execute(update(SeatInventory).where(
        SeatInventory.cart_id == cart.id, SeatInventory.state == "held", SeatInventory.hold_expires_at > now)
        .values(hold_expires_at=deadline, updated_at=now)).rowcount
    if kept != len(cart.seats):
        raise Conflict(_("This cart has expired and its seats were given back. Please choose again."),
                       code="cart_expired")
    db.session.refresh(cart)
    audit.record(None, "shop.checkout", "cart", cart.id, None,
                 {"seats": [s.seat_id for s in cart.seats], "total_satang": cart.total_satang})
    return cart


def undo_checkout(cart: Cart) -> None:
    """Stripe could not be reached: the cart goes back to ``open`` with its first deadline."""
    first = cart.created_at + timedelta(minutes=current_app.config["SHOP_HOLD_MINUTES"])
    if cart.status != "checkout" or cart.checkout_session_id:
        return
    cart.status, cart.expires_at = "open", first
    db.session.execute(update(SeatInventory).where(SeatInventory.cart_id == cart.id, SeatInventory.state == "held")
                       .values(hold_expires_at=first))


def record_checkout(cart: Cart, checkout_id: str, url: str) -> None:
    cart.checkout_session_id, cart.checkout_url = checkout_id, url
