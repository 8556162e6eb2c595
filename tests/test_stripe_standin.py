"""The real stripe library against the Stripe stand-in (tests/stripe_standin.py): the stand-in is only useful
to the shop's tests if the library accepts its answers and it refuses what Stripe refuses."""

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest
import stripe

from stripe_fixtures import stripe_standin  # noqa: F401 (fixture)
from stripe_standin import StripeStandin

SECRET = "whsec_test_standin"


def create(standin, key="order-1", **overrides):
    params = dict(
        mode="payment", currency=None, success_url="https://shop.example/ok?cs={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/cancel", payment_method_types=["card", "promptpay"],
        line_items=[{"price_data": {"currency": "thb", "unit_amount": 50000, "product_data": {"name": "A-12"}},
                     "quantity": 2},
                    {"price_data": {"currency": "thb", "unit_amount": 30000, "product_data": {"name": "B-3"}},
                     "quantity": 1}],
        metadata={"order": "7"}, client_reference_id="7", customer_email="buyer@example.com",
        expires_at=int(time.time()) + 3600, payment_intent_data={"metadata": {"order": "7"}})
    params.pop("currency")
    params.update(overrides)
    return stripe.checkout.Session.create(api_key=standin.secret_key, idempotency_key=key, **params)


def test_checkout_session_is_created_from_the_form_the_library_sends(stripe_standin):
    cs = create(stripe_standin)
    assert cs.object == "checkout.session" and cs.id.startswith("cs_test_")
    assert (cs.status, cs.payment_status, cs.payment_intent) == ("open", "unpaid", None)
    assert (cs.amount_total, cs.currency, cs.metadata.to_dict()) == (130000, "thb", {"order": "7"})
    assert cs.url == f"{stripe_standin.url}/pay/{cs.id}"
    assert cs.payment_method_types == ["card", "promptpay"]
    [request] = stripe_standin.calls("POST", "/v1/checkout/sessions")
    assert request.headers["Idempotency-Key"] == "order-1"
    assert request.form["line_items"][0]["price_data"]["unit_amount"] == "50000"
    assert request.form["payment_method_types"] == ["card", "promptpay"]
    again = stripe.checkout.Session.retrieve(cs.id, api_key=stripe_standin.secret_key)
    assert again.to_dict() == cs.to_dict()
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.retrieve("cs_test_nope", api_key=stripe_standin.secret_key)
    assert (e.value.http_status, e.value.code) == (404, "resource_missing")


def test_same_idempotency_key_replays_and_different_parameters_are_refused(stripe_standin):
    expires_at = int(time.time()) + 3600
    first = create(stripe_standin, key="order-9", expires_at=expires_at)
    second = create(stripe_standin, key="order-9", expires_at=expires_at)
    assert second.id == first.id
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError) as e:
        create(stripe_standin, key="order-9", expires_at=expires_at, metadata={"order": "8"})
    assert e.value.http_status == 400
    assert create(stripe_standin, key="order-10").id != first.id


def test_concurrent_double_click_with_one_key_makes_one_session(stripe_standin):
    ids, errors = [], []
    expires_at = int(time.time()) + 3600        # fixed per order: a key's parameters must not change

    def click():
        try:
            ids.append(create(stripe_standin, key="order-dbl", expires_at=expires_at).id)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(ids) == 8 and len(set(ids)) == 1
    assert len(stripe_standin.calls("POST", "/v1/checkout/sessions")) == 8


@pytest.mark.parametrize("offset", [1800 - 60, 86400 + 60])
def test_expires_at_outside_30_minutes_to_24_hours_is_refused(stripe_standin, offset):
    with pytest.raises(stripe.InvalidRequestError) as e:
        create(stripe_standin, expires_at=int(time.time()) + offset)
    assert (e.value.http_status, e.value.param) == (400, "expires_at")
    assert create(stripe_standin, expires_at=int(time.time()) + 1800 + 60).status == "open"


def test_promptpay_refused_when_the_account_lacks_it(stripe_standin):
    stripe_standin.promptpay_enabled = False
    with pytest.raises(stripe.InvalidRequestError) as e:
        create(stripe_standin)
    assert (e.value.code, e.value.param) == ("payment_method_unactivated", "payment_method_types")
    assert "promptpay" in e.value.user_message
    assert create(stripe_standin, payment_method_types=["card"]).payment_method_types == ["card"]


def test_bad_parameters_and_bad_keys_are_refused(stripe_standin):
    with pytest.raises(stripe.InvalidRequestError) as e:
        create(stripe_standin, key="k1", success_url=None)
    assert (e.value.code, e.value.param) == ("parameter_missing", "success_url")
    with pytest.raises(stripe.InvalidRequestError):
        create(stripe_standin, key="k2", payment_method_types=["promptpay"], line_items=[
            {"price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}, "quantity": 1}])
    with pytest.raises(stripe.AuthenticationError):
        stripe.checkout.Session.retrieve("cs_test_x", api_key="not-a-key")
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.create(api_key=stripe_standin.secret_key)
    assert "Unrecognized request URL" in e.value.user_message


def test_expire_only_while_open(stripe_standin):
    cs = create(stripe_standin)
    assert stripe.checkout.Session.expire(cs.id, api_key=stripe_standin.secret_key).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.expire(cs.id, api_key=stripe_standin.secret_key)
    with pytest.raises(ValueError):
        stripe_standin.pay(cs.id)
    paid = create(stripe_standin, key="order-2")
    stripe_standin.pay(paid.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.expire(paid.id, api_key=stripe_standin.secret_key)


def test_paid_session_has_a_payment_intent_charge_and_fee(stripe_standin):
    stripe.api_key = stripe_standin.secret_key
    cs = create(stripe_standin)
    done = stripe_standin.pay(cs.id, method="promptpay", fee=4745)
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    assert stripe.checkout.Session.retrieve(cs.id).payment_intent == done["payment_intent"]
    pi = stripe.PaymentIntent.retrieve(done["payment_intent"])
    assert (pi.object, pi.status, pi.amount, pi.currency) == ("payment_intent", "succeeded", 130000, "thb")
    assert pi.metadata.to_dict() == {"order": "7"} and isinstance(pi.latest_charge, str)
    pi = stripe.PaymentIntent.retrieve(done["payment_intent"], expand=["latest_charge.balance_transaction"])
    charge = pi.latest_charge
    assert (charge.object, charge.payment_method_details.type, charge.amount_refunded) == ("charge", "promptpay", 0)
    txn = charge.balance_transaction
    assert (txn.object, txn.amount, txn.fee, txn.net) == ("balance_transaction", 130000, 4745, 130000 - 4745)
    [request] = stripe_standin.calls("GET", f"/v1/payment_intents/{pi.id}")[1:]
    assert request.form["expand"] == ["latest_charge.balance_transaction"]


def test_async_payment_settles_or_fails(stripe_standin):
    stripe.api_key = stripe_standin.secret_key
    good, bad = create(stripe_standin, key="g"), create(stripe_standin, key="b")
    for cs in (good, bad):
        pending = stripe_standin.pay(cs.id, method="promptpay", async_pending=True)
        assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
        assert stripe.PaymentIntent.retrieve(pending["payment_intent"]).status == "processing"
    assert stripe_standin.settle_async(good.id, ok=True)["payment_status"] == "paid"
    assert stripe_standin.settle_async(bad.id, ok=False)["payment_status"] == "unpaid"
    assert stripe_standin.charge_of(good.id)["balance_transaction"].startswith("txn_")
    failed = stripe.PaymentIntent.retrieve(stripe_standin.session(bad.id)["payment_intent"])
    assert failed.status == "requires_payment_method"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=failed.id)
    with pytest.raises(ValueError):
        stripe_standin.settle_async(good.id)


def test_refunds_never_exceed_what_was_paid(stripe_standin):
    stripe.api_key = stripe_standin.secret_key
    pi_id = stripe_standin.pay(create(stripe_standin).id)["payment_intent"]
    part = stripe.Refund.create(payment_intent=pi_id, amount=50000, metadata={"ticket": "A-12"},
                                idempotency_key="refund-1")
    assert (part.object, part.amount, part.status, part.payment_intent) == ("refund", 50000, "succeeded", pi_id)
    assert part.metadata.to_dict() == {"ticket": "A-12"} and part.charge.startswith("ch_")
    replay = stripe.Refund.create(payment_intent=pi_id, amount=50000, metadata={"ticket": "A-12"},
                                  idempotency_key="refund-1")
    assert replay.id == part.id
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Refund.create(payment_intent=pi_id, amount=80001)
    assert e.value.code == "charge_already_refunded"
    rest = stripe.Refund.create(payment_intent=pi_id)
    assert rest.amount == 80000
    charge = stripe.Charge.retrieve(part.charge)
    assert (charge.amount_refunded, charge.refunded) == (130000, True)
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Refund.create(payment_intent=pi_id, amount=1)
    assert e.value.code == "charge_already_refunded"


def test_lists_page_newest_first_within_a_period(stripe_standin):
    stripe.api_key = stripe_standin.secret_key
    start = int(time.time()) - 40 * 86400       # a period 40 days ago, 10 days long
    made = []
    for i in range(30):                          # 5 before, 22 inside, 3 after the period
        stripe_standin.clock_offset = start - int(time.time()) + (i - 5) * 10 * 3600
        done = stripe_standin.pay(create(stripe_standin, key=f"o{i}").id, fee=100 + i)
        refund = stripe.Refund.create(payment_intent=done["payment_intent"], amount=1000)
        made.append((stripe_standin.charge_of(done["id"]), refund))
    end = start + 10 * 86400
    inside = [(c, r) for c, r in made if start <= c["created"] < end]
    assert len(inside) == 24
    period = {"gte": start, "lt": end}
    charges = list(stripe.Charge.list(created=period, limit=10, expand=["data.balance_transaction"])
                   .auto_paging_iter())
    assert [c.id for c in charges] == [c["id"] for c, _ in reversed(inside)]
    assert [c.balance_transaction.fee for c in charges] == [100 + made.index((c, r)) for c, r in reversed(inside)]
    assert len(stripe_standin.calls("GET", "/v1/charges")) == 3
    refunds = list(stripe.Refund.list(created=period, limit=100).auto_paging_iter())
    assert [r.id for r in refunds] == [r.id for _, r in reversed(inside)]
    assert [r.id for r in stripe.Refund.list(payment_intent=made[0][0]["payment_intent"])] == [made[0][1].id]
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Charge.list(limit=101)


def test_signatures_are_accepted_by_the_library(stripe_standin):
    cs = stripe_standin.pay(create(stripe_standin).id)
    event = stripe_standin.event("checkout.session.completed", cs)
    body, headers = stripe_standin.webhook(event, SECRET)
    parsed = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
    assert (parsed.type, parsed.data.object.id, parsed.id) == ("checkout.session.completed", cs["id"], event["id"])
    assert parsed.api_version == "2024-06-20" and parsed.livemode is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stripe_standin.sign(body, "whsec_other"), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"paid", b"unpaid"), headers["Stripe-Signature"], SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stripe_standin.sign(body, SECRET, time.time() - 600), SECRET)


def test_injected_failures_and_the_library_retry_with_one_key(stripe_standin):
    client = stripe.StripeClient(stripe_standin.secret_key, base_addresses={"api": stripe_standin.url},
                                 max_network_retries=0)
    stripe_standin.fail_next(1, path="/v1/checkout/sessions")
    with pytest.raises(stripe.APIError) as e:
        client.v1.checkout.sessions.retrieve("cs_test_x")
    assert e.value.http_status == 500
    retrying = stripe.StripeClient(stripe_standin.secret_key, base_addresses={"api": stripe_standin.url},
                                   max_network_retries=1)
    stripe_standin.fail_next(1, path="/v1/refunds")
    pi_id = stripe_standin.pay(create(stripe_standin).id)["payment_intent"]
    refund = retrying.v1.refunds.create({"payment_intent": pi_id, "amount": 100})
    attempts = stripe_standin.calls("POST", "/v1/refunds")
    assert len(attempts) == 2 and refund.amount == 100
    assert attempts[0].headers["Idempotency-Key"] == attempts[1].headers["Idempotency-Key"]
    stripe_standin.fail_next(5, status=503, retry=False)
    with pytest.raises(stripe.APIError):
        retrying.v1.refunds.create({"payment_intent": pi_id, "amount": 100})
    assert len(stripe_standin.calls("POST", "/v1/refunds")) == 3


def test_checkout_page_pays_and_redirects_to_the_success_url(stripe_standin):
    cs = create(stripe_standin)
    url = urlsplit(cs.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", url.path)
    page = conn.getresponse()
    assert page.status == 200 and b"1300.00 THB" in page.read()
    conn.request("POST", url.path, body="method=promptpay",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    answer.read()
    assert (answer.status, answer.getheader("Location")) == (303, f"https://shop.example/ok?cs={cs.id}")
    assert stripe_standin.charge_of(cs.id)["payment_method_details"]["type"] == "promptpay"
    conn.close()


def test_stop_closes_the_port():
    standin = StripeStandin().start()
    url = urlsplit(standin.url)
    standin.stop()
    with pytest.raises(OSError):
        http.client.HTTPConnection(url.hostname, url.port, timeout=5).connect()


def test_event_is_a_plain_json_copy(stripe_standin):
    cs = create(stripe_standin)
    event = stripe_standin.event("checkout.session.expired", stripe_standin.expire(cs.id), id="evt_1", created=5)
    assert json.loads(json.dumps(event))["data"]["object"]["status"] == "expired"
    assert (event["id"], event["created"], event["object"]) == ("evt_1", 5, "event")
    assert stripe_standin.session(cs.id)["status"] == "expired"
