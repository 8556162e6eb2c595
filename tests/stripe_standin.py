"""A local HTTP stand-in for the few Stripe endpoints the online shop uses.

There is no network in the tests, so the real ``stripe`` library is pointed at this server
(``stripe.api_base = standin.url`` or ``stripe.StripeClient(key, base_addresses={"api": standin.url})``).
It speaks Stripe's wire format: form-encoded requests (``metadata[order]=7``,
``line_items[0][price_data][unit_amount]=50000``, ``expand[0]=...``), JSON answers whose objects carry an
``"object"`` field, errors as ``{"error": {"type", "message", "code", "param"}}`` with 400/401/404/5xx.
Standard library only; one lock serialises every request and test control, so it is safe to use from
several threads and from the threads of a ThreadingHTTPServer.

    with StripeStandin() as standin:          # or standin.start() ... standin.stop()
        stripe.api_base = standin.url
        cs = stripe.checkout.Session.create(..., idempotency_key="order-7")
        standin.pay(cs.id, method="promptpay", fee=1825)

HTTP endpoints (anything else is a 404 "Unrecognized request URL", as Stripe answers):
    POST /v1/checkout/sessions                 mode=payment, line_items[i][price_data][currency|unit_amount|
                                               product_data][name]] + quantity, success_url, cancel_url,
                                               payment_method_types (card, promptpay), expires_at (30 min to 24 h
                                               from now, by the real wall clock), metadata, client_reference_id,
                                               customer_email, locale, payment_intent_data[metadata]
    GET  /v1/checkout/sessions/<id>            POST /v1/checkout/sessions/<id>/expire (only while "open")
    GET  /v1/checkout/sessions                 list (filter payment_intent)
    GET  /v1/payment_intents/<id>              latest_charge is an id, unless
                                               expand[]=latest_charge[.balance_transaction]
    POST /v1/refunds                           payment_intent or charge, amount (default: what is left), reason,
                                               metadata; more than what is left: 400 code charge_already_refunded
    GET  /v1/charges, GET /v1/refunds          lists, newest first: limit (1..100, default 10), starting_after,
                                               ending_before, created[gte|gt|lte|lt], payment_intent, charge
    GET  /v1/charges/<id>, /v1/refunds/<id>, /v1/balance_transactions/<id>
    GET  /pay/<id>  (the session's ``url``)    a small HTML page; its button (POST /pay/<id>) pays by card and
                                               redirects to success_url (no webhook is sent: tests sign and post)
Every endpoint honours ``expand[]`` (e.g. ``data.balance_transaction`` on lists). A POST with an
``Idempotency-Key`` already seen replays the first successful answer (header ``Idempotent-Replayed: true``),
or fails with 400 ``idempotency_error`` if its path or parameters differ. Only successes are remembered.

Attributes: ``url``, ``secret_key`` (a key to use; any ``sk_...``/``rk_...`` bearer key is accepted unless
``api_key`` is set, then only that one), ``promptpay_enabled`` (False: naming promptpay is refused with 400
code ``payment_method_unactivated``, param ``payment_method_types``, like an account without PromptPay),
``clock_offset`` (seconds added to the clock that stamps ``created``; ``now()`` reads it), ``requests``
(every request received: ``Request(method, path, form, headers)``, form = the parameters nested back into
dicts/lists, headers = case-insensitive ``email.message.Message``).

Test controls (Python, not HTTP); all return plain dicts (deep copies):
    pay(cs_id, method="card", fee=None, async_pending=False) -> session   PaymentIntent pi_, Charge ch_ and
        BalanceTransaction txn_ (fee default 3.65 % of the amount, in satang); session complete/paid. With
        async_pending the session is complete/unpaid, the PaymentIntent "processing", the charge "pending".
    settle_async(cs_id, ok=True) -> session     paid (charge succeeded, txn made) or failed (payment stays unpaid)
    expire(cs_id) -> session                    like Stripe expiring an open session by itself
    get(id) -> object | None; session(cs_id); charge_of(cs_id) -> the session's charge
    event(type, obj, id=None, created=None) -> event dict (api_version 2024-06-20, livemode false)
    sign(payload, secret, timestamp=None) -> "t=<t>,v1=<hex HMAC-SHA256(secret, f'{t}.' + payload)>"
        (t defaults to the real wall clock, which is what stripe.Webhook.construct_event checks)
    webhook(event, secret, timestamp=None) -> (body bytes, headers dict) ready to POST to the shop
    fail_next(n, status=500, path=None, type=None, retry=None): the next n API requests (whose path starts with
        ``path``, if given) fail; retry=False adds ``Stripe-Should-Retry: false`` so the library gives up at once
    calls(method, path) -> the logged requests with that method and exact path
"""

import copy
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2024-06-20"
Request = namedtuple("Request", "method path form headers")
KINDS = {"checkout/sessions": "checkout.session", "payment_intents": "payment_intent", "charges": "charge",
         "refunds": "refund", "balance_transactions": "balance_transaction"}
METHODS = ("card", "promptpay")


class StripeError(Exception):
    def __init__(self, status, message, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, "code": code, "param": param}}


def _nest(pairs):
    """Form pairs ("a[b][0]", v) back into nested dicts; dicts whose keys are all indexes become lists."""
    root = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0]] + re.findall(r"\[([^\]]*)\]", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeError(400, f"Invalid parameter: {key}", param=key)
        node[parts[-1] or str(len(node))] = value

    def listify(v):
        if not isinstance(v, dict):
            return v
        v = {k: listify(x) for k, x in v.items()}
        if v and all(k.isdigit() for k in v):
            return [v[k] for k in sorted(v, key=int)]
        return v
    return listify(root)


def _int(value, param, minimum=None, maximum=None):
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    if (minimum is not None and n < minimum) or (maximum is not None and n > maximum):
        raise StripeError(400, f"Invalid {param}: must be between {minimum} and {maximum}",
                          code="parameter_invalid_integer", param=param)
    return n


def _required(form, param):
    value = form.get(param)
    if value in (None, "", [], {}):
        raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
    return value


def _metadata(form, param="metadata"):
    meta = form.get("metadata") or {}
    if not isinstance(meta, dict) or len(meta) > 50:
        raise StripeError(400, "Invalid metadata: at most 50 keys.", param=param)
    for k, v in meta.items():
        if len(k) > 40 or not isinstance(v, str) or len(v) > 500:
            raise StripeError(400, f"Invalid metadata[{k}]: keys up to 40, values up to 500 characters.",
                              param=f"{param}[{k}]")
    return {k: v for k, v in meta.items() if v != ""}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.standin._serve(self)

    do_POST = do_DELETE = do_GET


class StripeStandin:
    def __init__(self, promptpay_enabled=True, clock_offset=0, api_key=None):
        self.promptpay_enabled = promptpay_enabled
        self.clock_offset = clock_offset
        self.api_key = api_key
        self.secret_key = api_key or "sk_test_standin"
        self.requests = []
        self._objects = {}          # id -> live object dict (what the API shows)
        self._private = {}          # id -> what Stripe keeps but does not show (line items, fee, PI metadata)
        self._seq = itertools.count()
        self._order = {}            # id -> creation sequence, to break ties in lists
        self._idempotent = {}       # key -> (fingerprint, status, body bytes)
        self._faults = []           # [remaining, status, path, type, retry]
        self._lock = threading.RLock()
        self._server = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.standin = self
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="stripe-standin", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def now(self):
        return int(time.time()) + self.clock_offset

    # -- test controls -----------------------------------------------------------------------------
    def get(self, object_id):
        with self._lock:
            return copy.deepcopy(self._objects.get(object_id))

    def session(self, cs_id):
        return self.get(cs_id)

    def charge_of(self, cs_id):
        with self._lock:
            pi = self._objects.get(self._objects[cs_id]["payment_intent"] or "")
            return pi and copy.deepcopy(self._objects[pi["latest_charge"]])

    def calls(self, method, path):
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def pay(self, cs_id, method="card", fee=None, async_pending=False):
        with self._lock:
            cs = self._objects[cs_id]
            if cs["status"] != "open":
                raise ValueError(f"{cs_id} is {cs['status']}, not open")
            if method not in cs["payment_method_types"]:
                raise ValueError(f"{cs_id} does not offer {method}")
            amount = cs["amount_total"]
            fee = (amount * 365 + 5000) // 10000 if fee is None else fee
            pi_id, ch_id = self._new_id("pi"), self._new_id("ch")
            meta = dict(self._private[cs_id]["pi_metadata"])
            self._add({"id": pi_id, "object": "payment_intent", "amount": amount, "currency": cs["currency"],
                       "status": "processing", "metadata": meta, "latest_charge": ch_id,
                       "payment_method_types": [method], "created": self.now(), "livemode": False})
            self._add({"id": ch_id, "object": "charge", "amount": amount, "amount_captured": 0,
                       "amount_refunded": 0, "refunded": False, "currency": cs["currency"], "paid": False,
                       "status": "pending", "payment_intent": pi_id, "balance_transaction": None,
                       "payment_method_details": {"type": method, method: {}}, "metadata": dict(meta),
                       "created": self.now(), "livemode": False})
            self._private[ch_id] = {"fee": fee}
            cs.update(status="complete", payment_status="unpaid", payment_intent=pi_id)
            if not async_pending:
                self._settle(cs, True)
            return copy.deepcopy(cs)

    def settle_async(self, cs_id, ok=True):
        with self._lock:
            cs = self._objects[cs_id]
            pi = self._objects.get(cs["payment_intent"] or "")
            if not pi or pi["status"] != "processing":
                raise ValueError(f"{cs_id} has no payment waiting to settle")
            self._settle(cs, ok)
            return copy.deepcopy(cs)

    def _settle(self, cs, ok):
        pi = self._objects[cs["payment_intent"]]
        charge = self._objects[pi["latest_charge"]]
        if not ok:
            pi["status"] = "requires_payment_method"
            charge.update(status="failed", failure_code="payment_failed")
            return
        fee = self._private[charge["id"]]["fee"]
        txn = self._add({"id": self._new_id("txn"), "object": "balance_transaction", "amount": charge["amount"],
                         "fee": fee, "net": charge["amount"] - fee, "currency": charge["currency"],
                         "type": "charge", "source": charge["id"], "status": "pending", "created": self.now(),
                         "fee_details": [{"amount": fee, "currency": charge["currency"], "type": "stripe_fee"}]})
        pi["status"] = "succeeded"
        charge.update(status="succeeded", paid=True, amount_captured=charge["amount"], balance_transaction=txn["id"])
        cs["payment_status"] = "paid"

    def expire(self, cs_id):
        with self._lock:
            return self._expire_session(cs_id, {})

    def event(self, type, obj, id=None, created=None):
        return {"id": id or self._new_id("evt"), "object": "event", "type": type, "api_version": API_VERSION,
                "created": self.now() if created is None else created, "data": {"object": copy.deepcopy(obj)},
                "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}}

    @staticmethod
    def sign(payload, secret, timestamp=None):
        payload = payload.encode() if isinstance(payload, str) else payload
        t = int(time.time() if timestamp is None else timestamp)
        mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def webhook(self, event, secret, timestamp=None):
        body = json.dumps(event).encode()
        return body, {"Content-Type": "application/json", "Stripe-Signature": self.sign(body, secret, timestamp)}

    def fail_next(self, n, status=500, path=None, type=None, retry=None):
        type = type or ("api_error" if status >= 500 else "rate_limit_error" if status == 429
                        else "invalid_request_error")
        with self._lock:
            self._faults.append([n, status, path, type, retry])

    # -- HTTP --------------------------------------------------------------------------------------
    def _serve(self, h):
        split = urlsplit(h.path)
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        pairs = parse_qsl(split.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
        headers = {"Request-Id": self._new_id("req")}
        with self._lock:
            try:
                form = _nest(pairs)
            except StripeError:
                form = {}
            self.requests.append(Request(h.command, split.path, form, h.headers))
            if split.path.startswith("/pay/"):
                status, ctype, out = self._checkout_page(h.command, split.path[5:], form, headers)
            else:
                ctype = "application/json"
                status, out = self._api(h.command, split.path, pairs, h.headers, headers)
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(out)))
        h.end_headers()
        h.wfile.write(out)

    def _api(self, method, path, pairs, req_headers, headers):
        for fault in self._faults:
            if fault[0] > 0 and (fault[2] is None or path.startswith(fault[2])):
                fault[0] -= 1
                if fault[4] is not None:
                    headers["Stripe-Should-Retry"] = str(fault[4]).lower()
                body = {"error": {"type": fault[3], "message": "Injected failure (stand-in fail_next).",
                                  "code": None, "param": None}}
                return fault[1], json.dumps(body).encode()
        auth = req_headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not token.startswith(("sk_", "rk_")) or (self.api_key and token != self.api_key):
            err = StripeError(401, "Invalid API Key provided.", type="authentication_error")
            return 401, json.dumps(err.body).encode()
        key = req_headers.get("Idempotency-Key") if method == "POST" else None
        fingerprint = (path, sorted(pairs))
        if key in self._idempotent:
            seen, status, out = self._idempotent[key]
            if seen != fingerprint:
                err = StripeError(400, "Keys for idempotent requests can only be used with the same parameters "
                                  f"they were first used with. Try using a key other than '{key}' if you meant "
                                  "to execute a different request.", type="idempotency_error")
                return 400, json.dumps(err.body).encode()
            headers["Idempotent-Replayed"] = "true"
            return status, out
        try:
            form = _nest(pairs)
            obj = self._route(method, path, form)
            for expand in form.get("expand") or []:
                obj = self._expand(obj, expand.split("."), expand)
            status, out = 200, json.dumps(obj).encode()
        except StripeError as e:
            status, out = e.status, json.dumps(e.body).encode()
        if key and status == 200:
            self._idempotent[key] = (fingerprint, status, out)
        return status, out

    def _route(self, method, path, form):
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(form)
        if method == "POST" and (m := re.fullmatch(r"/v1/checkout/sessions/([^/]+)/expire", path)):
            return self._expire_session(m[1], form)
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(form)
        if method == "GET" and (m := re.fullmatch(r"/v1/(checkout/sessions|charges|refunds)", path)):
            return self._list(m[1], form)
        if method == "GET" and (m := re.fullmatch(r"/v1/(%s)/([^/]+)" % "|".join(KINDS), path)):
            return copy.deepcopy(self._find(m[2], KINDS[m[1]]))
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _find(self, object_id, kind, param="id"):
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
        return obj

    def _expand(self, obj, parts, whole):
        if not parts or obj is None:
            return obj
        if obj.get("object") == "list" and parts[0] == "data":
            obj["data"] = [self._expand(item, parts[1:], whole) for item in obj["data"]]
            return obj
        value = obj.get(parts[0], ...)
        if isinstance(value, str) and value in self._objects:
            value = copy.deepcopy(self._objects[value])
        elif value is not None and not isinstance(value, dict):
            raise StripeError(400, f"This property cannot be expanded ({whole}).", param="expand")
        obj[parts[0]] = self._expand(value, parts[1:], whole)
        return obj

    def _create_session(self, form):
        if _required(form, "mode") != "payment":
            raise StripeError(400, "The stand-in only knows mode=payment.", param="mode")
        _required(form, "success_url")
        items = _required(form, "line_items")
        if not isinstance(items, list):
            raise StripeError(400, "Invalid array", param="line_items")
        total, currencies = 0, set()
        for i, item in enumerate(items):
            price = item.get("price_data") if isinstance(item, dict) else None
            if not isinstance(price, dict):
                raise StripeError(400, "The stand-in only knows line_items with price_data.",
                                  code="parameter_missing", param=f"line_items[{i}][price_data]")
            currencies.add(_required(price, "currency").lower())
            if not (price.get("product_data") or {}).get("name"):
                raise StripeError(400, "Missing required param: line_items[%d][price_data][product_data][name]."
                                  % i, code="parameter_missing", param=f"line_items[{i}][price_data][product_data]")
            total += (_int(price.get("unit_amount"), f"line_items[{i}][price_data][unit_amount]", 0)
                      * _int(item.get("quantity"), f"line_items[{i}][quantity]", 1))
        if len(currencies) != 1:
            raise StripeError(400, "All line_items must use the same currency.", param="line_items")
        currency = currencies.pop()
        types = form.get("payment_method_types") or ["card"]
        types = [types] if isinstance(types, str) else types
        for t in types:
            if t not in METHODS or (t == "promptpay" and not self.promptpay_enabled):
                raise StripeError(400, f"The payment method type provided: {t} is invalid. Please ensure the "
                                  "provided type is activated in your dashboard and your account is enabled for "
                                  "any preview features that you are trying to use.",
                                  code="payment_method_unactivated", param="payment_method_types")
            if t == "promptpay" and currency != "thb":
                raise StripeError(400, "promptpay only supports currency thb.", param="payment_method_types")
        wall = int(time.time())
        expires_at = _int(form.get("expires_at", wall + 86400), "expires_at")
        if not wall + 1800 <= expires_at <= wall + 86400:
            raise StripeError(400, "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                              "Checkout Session creation.", code="parameter_invalid_integer", param="expires_at")
        email = form.get("customer_email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise StripeError(400, "Invalid email address: " + email, code="email_invalid", param="customer_email")
        if len(form.get("client_reference_id") or "") > 200:
            raise StripeError(400, "client_reference_id is longer than 200 characters.",
                              param="client_reference_id")
        cs_id = self._new_id("cs_test")
        pi_data = form.get("payment_intent_data") or {}
        self._private[cs_id] = {"line_items": items,
                                "pi_metadata": _metadata(pi_data, "payment_intent_data[metadata]")}
        return copy.deepcopy(self._add({
            "id": cs_id, "object": "checkout.session", "url": f"{self.url}/pay/{cs_id}", "status": "open",
            "payment_status": "unpaid", "amount_subtotal": total, "amount_total": total, "currency": currency,
            "metadata": _metadata(form), "client_reference_id": form.get("client_reference_id"),
            "customer_email": email, "expires_at": expires_at, "payment_intent": None, "mode": "payment",
            "success_url": form["success_url"], "cancel_url": form.get("cancel_url"),
            "payment_method_types": types, "locale": form.get("locale"), "created": self.now(),
            "livemode": False}))

    def _expire_session(self, cs_id, form):
        cs = self._find(cs_id, "checkout.session", "session")
        if cs["status"] != "open":
            raise StripeError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.',
                              code="checkout_session_not_open", param="session")
        cs["status"] = "expired"
        return copy.deepcopy(cs)

    def _create_refund(self, form):
        if form.get("charge"):
            charge = self._find(form["charge"], "charge", "charge")
        else:
            pi = self._find(_required(form, "payment_intent"), "payment_intent", "payment_intent")
            charge = self._objects[pi["latest_charge"]]
        if charge["status"] != "succeeded":
            raise StripeError(400, f"Charge {charge['id']} has not succeeded and cannot be refunded.",
                              param="payment_intent")
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(form.get("amount", left), "amount", 1) if left else 0
        if left == 0 or amount > left:
            message = (f"Charge {charge['id']} has already been refunded." if left == 0 else
                       f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).")
            raise StripeError(400, message, code="charge_already_refunded", param="amount")
        if form.get("reason") not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise StripeError(400, f"Invalid reason: {form['reason']}", param="reason")
        re_id = self._new_id("re")
        txn = self._add({"id": self._new_id("txn"), "object": "balance_transaction", "amount": -amount, "fee": 0,
                         "net": -amount, "currency": charge["currency"], "type": "refund", "source": re_id,
                         "status": "pending", "created": self.now(), "fee_details": []})
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return copy.deepcopy(self._add({
            "id": re_id, "object": "refund", "amount": amount, "currency": charge["currency"],
            "status": "succeeded", "payment_intent": charge["payment_intent"], "charge": charge["id"],
            "balance_transaction": txn["id"], "reason": form.get("reason"), "metadata": _metadata(form),
            "created": self.now()}))

    def _list(self, collection, form):
        kind = KINDS[collection]
        limit = _int(form.get("limit", 10), "limit", 1, 100)
        items = sorted((o for o in self._objects.values() if o["object"] == kind),
                       key=lambda o: (o["created"], self._order[o["id"]]), reverse=True)
        created = form.get("created")
        if created is not None:
            if not isinstance(created, dict):
                created = {"gte": created, "lte": created}
            tests = {"gte": int.__ge__, "gt": int.__gt__, "lte": int.__le__, "lt": int.__lt__}
            for op, bound in created.items():
                if op not in tests:
                    raise StripeError(400, f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
                bound = _int(bound, f"created[{op}]")
                items = [o for o in items if tests[op](o["created"], bound)]
        for field in ("payment_intent", "charge"):
            if form.get(field):
                items = [o for o in items if o.get(field) == form[field]]
        ids = [o["id"] for o in items]
        for cursor in ("starting_after", "ending_before"):
            if form.get(cursor):
                self._find(form[cursor], kind, cursor)
                if form[cursor] not in ids:
                    raise StripeError(400, f"{form[cursor]} is not in this list.", param=cursor)
        if form.get("starting_after"):
            items = items[ids.index(form["starting_after"]) + 1:]
        if form.get("ending_before"):
            items = items[:ids.index(form["ending_before"])]
            page = items[-limit:]
        else:
            page = items[:limit]
        return {"object": "list", "data": copy.deepcopy(page), "has_more": len(items) > limit,
                "url": f"/v1/{collection}"}

    def _checkout_page(self, method, cs_id, form, headers):
        cs = self._objects.get(cs_id)
        if cs is None or cs["object"] != "checkout.session":
            return 404, "text/plain", b"No such checkout session"
        if method == "POST":
            if cs["status"] != "open":
                return 400, "text/plain", f"This checkout session is {cs['status']}".encode()
            self.pay(cs_id, form.get("method") or "card")
            headers["Location"] = cs["success_url"].replace("{CHECKOUT_SESSION_ID}", cs_id)
            return 303, "text/plain", b""
        buttons = "".join(f'<button name="method" value="{m}">Pay with {m}</button>'
                          for m in cs["payment_method_types"]) if cs["status"] == "open" else ""
        page = (f'<!doctype html><meta name="viewport" content="width=device-width"><title>Stripe stand-in</title>'
                f'<h1>Stripe stand-in checkout</h1><p id="amount">{cs["amount_total"] / 100:.2f} '
                f'{html.escape(cs["currency"].upper())}</p><p id="status">{cs["status"]}</p>'
                f'<form method="post">{buttons}</form>'
                f'<a href="{html.escape(cs["cancel_url"] or "")}">Cancel</a>')
        return 200, "text/html; charset=utf-8", page.encode()

    # -- storage -----------------------------------------------------------------------------------
    def _new_id(self, prefix):
        return f"{prefix}_{secrets.token_hex(12)}"

    def _add(self, obj):
        self._objects[obj["id"]] = obj
        self._order[obj["id"]] = next(self._seq)
        return obj
