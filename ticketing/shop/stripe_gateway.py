"""Stripe, through the official library, and nothing else of the shop talks to it.

The key and the address come from the configuration (``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE`` for a
stand-in in tests); with no key the shop sells nothing online and says so. Every call that creates
something carries an idempotency key, so a retried request (a double click, a lost answer) gets the
first answer back instead of a second Checkout Session or a second refund.
"""
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import stripe
from flask import current_app
from flask_babel import gettext as _

from ..errors import ServiceError


class PaymentUnavailable(ServiceError):
    """Stripe is not configured, or could not be reached: nothing was charged."""
    status = 503
    code = "payment_unavailable"


class BadSignature(ServiceError):
    status = 400
    code = "bad_signature"


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


@lru_cache(maxsize=4)
def _client_for(key: str, base: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": base} if base else None, max_network_retries=2)


def client() -> stripe.StripeClient:
    if not enabled():
        raise PaymentUnavailable(_("Online payment is not available at the moment."))
    return _client_for(current_app.config["STRIPE_SECRET_KEY"], current_app.config.get("STRIPE_API_BASE") or "")


def _unavailable(err: Exception) -> PaymentUnavailable:
    current_app.logger.warning("Stripe: %s", err)
    return PaymentUnavailable(_("The payment service did not answer. Nothing was charged; please try again."))


@dataclass(frozen=True)
class Checkout:
    id: str
    url: str
    expires_at: int


def create_checkout(*, key: str, lines: list[tuple[str, int]], email: str, expires_at: datetime,
                    success_url: str, cancel_url: str, metadata: dict) -> Checkout:
    """A Checkout Session in baht for ``lines`` (name, satang). Card and PromptPay when the shop offers
    PromptPay; an account that refuses PromptPay gets a card-only session (with its own key)."""
    params = {
        "mode": "payment", "currency": "thb", "customer_email": email or None,
        "line_items": [{"quantity": 1, "price_data": {"currency": "thb", "unit_amount": satang,
                                                      "product_data": {"name": name}}}
                       for name, satang in lines],
        "expires_at": int(expires_at.replace(tzinfo=timezone.utc).timestamp()),
        "success_url": success_url, "cancel_url": cancel_url,
        "client_reference_id": metadata.get("cart_id"), "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    params = {k: v for k, v in params.items() if v is not None}
    api = client()
    tries = [(["card", "promptpay"], key), (["card"], key + "-card")] if current_app.config["SHOP_PROMPTPAY"] \
        else [(["card"], key + "-card")]
    for n, (methods, idempotency_key) in enumerate(tries):
        try:
            session = api.v1.checkout.sessions.create(
                params={**params, "payment_method_types": methods}, options={"idempotency_key": idempotency_key})
            return Checkout(session.id, session.url, session.expires_at)
        except stripe.InvalidRequestError as err:
            if n + 1 < len(tries) and "promptpay" in str(err).lower() + str(getattr(err, "param", "")).lower():
                continue  # the account cannot take PromptPay: card only
            raise _unavailable(err) from err
        except stripe.StripeError as err:
            raise _unavailable(err) from err
    raise PaymentUnavailable(_("Online payment is not available at the moment."))


def retrieve_checkout(checkout_id: str):
    try:
        return client().v1.checkout.sessions.retrieve(checkout_id).to_dict()
    except stripe.StripeError as err:
        raise _unavailable(err) from err


def expire_checkout(checkout_id: str) -> None:
    """Close a Checkout Session the buyer gave up (an already closed one is fine)."""
    try:
        client().v1.checkout.sessions.expire(checkout_id)
    except stripe.InvalidRequestError:
        pass
    except stripe.StripeError as err:
        raise _unavailable(err) from err


@dataclass(frozen=True)
class PaymentDetails:
    method: str
    fee_satang: int
    charge_id: str


def payment_details(payment_intent_id: str) -> PaymentDetails:
    """How the buyer paid (card or PromptPay) and Stripe's fee, from the charge's balance transaction."""
    try:
        intent = client().v1.payment_intents.retrieve(
            payment_intent_id, params={"expand": ["latest_charge.balance_transaction"]})
    except stripe.StripeError as err:
        raise _unavailable(err) from err
    charge = intent.latest_charge
    if charge is None or isinstance(charge, str):
        return PaymentDetails("card", 0, charge or "")
    details = getattr(charge, "payment_method_details", None)
    method = getattr(details, "type", "card") if details else "card"
    balance = getattr(charge, "balance_transaction", None)
    fee = int(getattr(balance, "fee", 0) or 0) if balance is not None and not isinstance(balance, str) else 0
    return PaymentDetails(method if method in ("card", "promptpay") else "card", fee, charge.id)


def refund(payment_intent_id: str, amount_satang: int, key: str, metadata: dict) -> str:
    """Send ``amount_satang`` back to the buyer; returns Stripe's refund id."""
    try:
        result = client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount_satang, "metadata": metadata},
            options={"idempotency_key": key})
    except stripe.StripeError as err:
        raise _unavailable(err) from err
    return result.id


def charges_between(start: datetime, end: datetime) -> list:
    return _listed(client().v1.charges, start, end)


def refunds_between(start: datetime, end: datetime) -> list:
    return _listed(client().v1.refunds, start, end)


def _listed(service, start: datetime, end: datetime) -> list:
    created = {"gte": int(start.replace(tzinfo=timezone.utc).timestamp()),
               "lt": int(end.replace(tzinfo=timezone.utc).timestamp())}
    try:
        return [o.to_dict() for o in service.list(params={"created": created, "limit": 100}).auto_paging_iter()]
    except stripe.StripeError as err:
        raise _unavailable(err) from err


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event, if ``Stripe-Signature`` proves it came from Stripe with our endpoint secret and was
    signed within the tolerance: ``construct_event`` refuses old timestamps, and a timestamp in the
    future (which it accepts) is refused here."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    tolerance = current_app.config["STRIPE_WEBHOOK_TOLERANCE"]
    if not secret:
        raise PaymentUnavailable(_("Online payment is not available at the moment."))
    if not signature:
        raise BadSignature(_("Missing Stripe-Signature header."))
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
    except (stripe.SignatureVerificationError, ValueError) as err:
        raise BadSignature(_("The signature does not match: %(reason)s", reason=str(err)[:200])) from err
    stamps = [part.split("=", 1)[1] for part in signature.split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + tolerance:
        raise BadSignature(_("The signature's time is in the future."))
    return event.to_dict()
