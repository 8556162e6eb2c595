"""The permissions matrix (issue 14, item 1): every route of the app's URL map, visited as every kind of user,
is allowed or refused exactly as the table below says.

The route list comes from ``app.url_map``: a new route without a row fails ``test_every_route_has_a_row`` with
the row to add, and a row whose route is gone fails too. The objects a route names (an order, a shift, a
receipt, ...) belong to organization A, so seller B's column is the check that no organization reads or
changes another's orders, shifts, receipts or tickets, on pages and through the API alike.

How a visit is judged:
- refused ("-"): 401 or 403, or (pages, signed out) a redirect to the sign-in page;
- allowed ("A"): anything else below 500 except 404 (the object exists, so a 404 would hide a wrong rule).
Pages are visited with a browser session (signed in on the login page), the API with a Bearer token. POSTs send
an empty form (pages) or a body of the right shape (API), so that the access rule, not a missing field,
decides; what an allowed POST then does is tested elsewhere. No visit may give a 500.
"""
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from conftest import login
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import Shift
from ticketing.sales.services import PaymentInput, sell
from ticketing.shop.models import Cart
from ticketing.timeutil import utcnow

ROLES = ("anonymous", "seller_a", "seller_b", "gate", "treasurer", "admin")

#: (method, rule) -> one character per role, in ROLES order: A = allowed, - = refused
MATRIX = {
    # --- pages: everyone -----------------------------------------------------------------------------------------
    ("GET", "/static/<path:filename>"): "AAAAAA",
    ("GET", "/login"): "AAAAAA",
    ("POST", "/login"): "AAAAAA",
    ("GET", "/lang/<code>"): "AAAAAA",
    ("GET", "/healthz"): "AAAAAA",
    ("GET", "/readyz"): "AAAAAA",
    # the buyer's phone ticket: the unguessable link is the key
    ("GET", "/t/<token>"): "AAAAAA",
    ("GET", "/t/<token>/<ticket_id>.svg"): "AAAAAA",
    ("GET", "/t/<token>/<ticket_id>.png"): "AAAAAA",
    ("GET", "/t/<token>/tickets-<layout>.pdf"): "AAAAAA",
    ("GET", "/t/sw.js"): "AAAAAA",
    ("GET", "/gate/sw.js"): "AAAAAA",
    # the online shop: for anyone (a cart answers only the browser that made it, or anyone once completed)
    ("GET", "/shop/"): "AAAAAA",
    ("GET", "/shop/s/<int:session_id>"): "AAAAAA",
    ("POST", "/shop/s/<int:session_id>/hold"): "AAAAAA",
    ("GET", "/shop/cart/<cart_id>"): "AAAAAA",
    ("POST", "/shop/cart/<cart_id>/pay"): "AAAAAA",
    ("POST", "/shop/cart/<cart_id>/release"): "AAAAAA",
    ("GET", "/shop/cart/<cart_id>/done"): "AAAAAA",
    ("GET", "/shop/tickets-again"): "AAAAAA",
    ("POST", "/shop/tickets-again"): "AAAAAA",  # answers the same whoever asks; at most 3 an hour per address
    ("POST", "/stripe/webhook"): "AAAAAA",  # Stripe's signature is the key (refused with 400 here: none given)
    # the shop's back office: admins; the reconciliation with Stripe: treasurers too
    ("GET", "/shop/admin/"): "-----A",
    ("POST", "/shop/admin/sessions/<int:session_id>/pool"): "-----A",
    ("POST", "/shop/admin/sessions/<int:session_id>/allocate"): "-----A",
    ("POST", "/shop/admin/sessions/<int:session_id>/release"): "-----A",
    ("POST", "/shop/admin/orders/<order_id>/refund"): "-----A",
    ("GET", "/shop/admin/reconcile"): "----AA",
    # --- pages: anyone signed in ---------------------------------------------------------------------------------
    ("GET", "/"): "AAAAAA",  # signed out: the visitors' page (the shop); signed in: where each role starts
    ("POST", "/logout"): "-AAAAA",
    # one's own account: password and API tokens (another user's token is refused as "No such token.")
    ("GET", "/account"): "-AAAAA",
    ("POST", "/account"): "-AAAAA",
    ("POST", "/account/tokens/<int:token_id>/revoke"): "-AAAAA",
    ("GET", "/sessions/<int:session_id>/map"): "-AAAAA",
    ("GET", "/sessions/<int:session_id>/map.svg"): "-AAAAA",
    # --- the counter: sellers ------------------------------------------------------------------------------------
    ("GET", "/counter/"): "-AA---",
    ("GET", "/counter/sessions/<int:session_id>"): "-AA---",
    ("POST", "/counter/sessions/<int:session_id>/sell"): "-AA---",
    ("POST", "/counter/sessions/<int:session_id>/hold"): "-AA---",
    ("POST", "/counter/sessions/<int:session_id>/release"): "-AA---",
    ("POST", "/counter/sessions/<int:session_id>/best"): "-AA---",
    ("GET", "/counter/sessions/<int:session_id>/promptpay"): "-AA---",
    ("GET", "/counter/sessions/<int:session_id>/changes"): "-AA-AA",
    ("GET", "/counter/shift"): "-AA---",
    ("POST", "/counter/shift"): "-AA---",
    ("POST", "/counter/shift/open"): "-AA---",
    # organization A's receipt, tickets and shift: never seller B's
    ("GET", "/counter/orders/<order_id>"): "-A--AA",
    ("GET", "/counter/orders/<order_id>/tickets-<layout>.pdf"): "-A--AA",
    ("POST", "/counter/orders/<order_id>/email"): "-A---A",
    ("POST", "/counter/orders/<order_id>/void"): "-A---A",
    ("GET", "/counter/shifts/<int:shift_id>"): "-A--AA",
    ("GET", "/counter/shifts/"): "----AA",
    ("POST", "/counter/shifts/<int:shift_id>/received"): "----A-",
    # --- the orders desk: sellers (their organization's), treasurers and admins (all) ---------------------------
    ("GET", "/orders/"): "-AA-AA",
    ("GET", "/orders/<order_id>"): "-A--AA",
    ("POST", "/orders/<order_id>/email"): "-A---A",
    ("POST", "/orders/<order_id>/void"): "-A---A",
    # --- revenue: sellers see their own organization's statement -------------------------------------------------
    ("GET", "/revenue/"): "-AA-AA",
    ("GET", "/revenue/statement.<fmt>"): "-AA-AA",
    ("GET", "/revenue/ledger.csv"): "----AA",
    ("GET", "/revenue/rules"): "----AA",
    ("POST", "/revenue/rules"): "----AA",
    ("GET", "/revenue/expenses"): "----AA",
    ("POST", "/revenue/expenses"): "----AA",
    ("GET", "/revenue/expenses/<int:expense_id>/receipt"): "----AA",
    ("GET", "/revenue/close"): "----AA",
    ("POST", "/revenue/close"): "----AA",
    ("GET", "/revenue/closed/<int:period_id>.json"): "----AA",
    # --- the audit log: treasurers and admins --------------------------------------------------------------------
    ("GET", "/audit/"): "----AA",
    ("GET", "/audit/export.jsonl"): "----AA",
    # --- the gate: gate staff and admins -------------------------------------------------------------------------
    ("GET", "/gate/"): "---A-A",
    ("GET", "/gate/start"): "---A-A",
    ("GET", "/gate/sessions/<int:session_id>/entrances/<int:entrance_id>"): "---A-A",
    ("GET", "/gate/dashboard"): "-----A",
    ("GET", "/gate/dashboard/body"): "-----A",
    # --- administration: admins ----------------------------------------------------------------------------------
    ("GET", "/admin/organizations"): "-----A",
    ("GET", "/admin/organizations/new"): "-----A",
    ("POST", "/admin/organizations/new"): "-----A",
    ("GET", "/admin/organizations/<int:org_id>"): "-----A",
    ("POST", "/admin/organizations/<int:org_id>"): "-----A",
    ("GET", "/admin/users"): "-----A",
    ("GET", "/admin/users/new"): "-----A",
    ("POST", "/admin/users/new"): "-----A",
    ("GET", "/admin/users/<int:user_id>"): "-----A",
    ("POST", "/admin/users/<int:user_id>"): "-----A",
    ("POST", "/admin/users/<int:user_id>/tokens"): "-----A",
    ("POST", "/admin/tokens/<int:token_id>/revoke"): "-----A",
    ("GET", "/admin/festivals/"): "-----A",
    ("GET", "/admin/festivals/new"): "-----A",
    ("POST", "/admin/festivals/new"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/edit"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/edit"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/sessions/new"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/sessions/new"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/sessions/<int:session_id>"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/sessions/<int:session_id>"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/quotas"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/quotas"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/entrances"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/entrances"): "-----A",
    ("GET", "/admin/festivals/<int:festival_id>/map/"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/map/"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/map/categories/<int:category_id>/price"): "-----A",
    ("POST", "/admin/festivals/<int:festival_id>/map/import-priced"): "-----A",
    ("GET", "/admin/sessions/<int:session_id>/seats"): "-----A",
    ("POST", "/admin/sessions/<int:session_id>/seats/selection"): "-----A",
    ("POST", "/admin/sessions/<int:session_id>/seats/rows"): "-----A",
    ("POST", "/admin/sessions/<int:session_id>/seats/equal-shares"): "-----A",
    ("POST", "/admin/sessions/<int:session_id>/seats/release"): "-----A",
    # --- the API (Bearer token; signed out: 401) -----------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): "AAAAAA",
    ("GET", "/api/v1/festivals"): "-AAAAA",
    ("GET", "/api/v1/sessions"): "-AAAAA",
    ("GET", "/api/v1/sessions/<int:session_id>/seats"): "-AAAAA",
    ("GET", "/api/v1/sessions/<int:session_id>/revocations"): "-AAAAA",
    ("GET", "/api/v1/tickets/public-key"): "-AAAAA",
    ("POST", "/api/v1/orders"): "-AA---",
    ("GET", "/api/v1/orders"): "-AA-AA",
    ("GET", "/api/v1/orders/<order_id>"): "-A--AA",
    ("GET", "/api/v1/orders/<order_id>/tickets.pdf"): "-A--AA",
    ("POST", "/api/v1/orders/<order_id>/void"): "-A---A",
    ("GET", "/api/v1/revenue/statement"): "-AA-AA",
    ("GET", "/api/v1/festivals/<int:festival_id>/entrances"): "-AAAAA",  # names and stands, read by any user
    ("POST", "/api/v1/checkins"): "---A-A",
    ("POST", "/api/v1/checkins/batch"): "---A-A",
    ("GET", "/api/v1/sessions/<int:session_id>/gate-bundle"): "---A-A",
    ("GET", "/api/v1/sessions/<int:session_id>/gate-counts"): "---A-A",
    ("GET", "/api/v1/sessions/<int:session_id>/gate-lookup"): "---A-A",
}

#: rules visited last for each role (they end the visitor's session)
LAST = {("POST", "/logout")}


def _routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def test_every_route_has_a_row(app):
    routes = _routes(app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, ("these routes have no row in MATRIX (tests/test_permissions_matrix.py): add one for each, "
                         "saying who may use it:\n" + "\n".join(f'    ("{m}", "{r}"): "??????",' for m, r in missing))
    assert not stale, "these rows name routes the app no longer has: " + ", ".join(f"{m} {r}" for m, r in stale)
    for key, row in MATRIX.items():
        assert re.fullmatch(r"[A-]{%d}" % len(ROLES), row), (key, row)


@pytest.fixture
def world(app, make, tmp_path):
    """Organizations A and B with a seller each, gate staff, a treasurer, an admin; organization A's sale (order,
    tickets, shift), an expense with its receipt, a closed period, an entrance, and a spare user and token."""
    from ticketing.gate.services import save_entrance
    from ticketing.revenue.services import add_expense, close_period
    from ticketing.seating.models import PriceCategory

    app.config["INSTANCE_PATH"] = str(tmp_path)
    festival = make.festival()
    session = festival.sessions[0]
    seats = [s.id for s in inventory.seat_views(session.id)]
    org_a, org_b = make.org("orga"), make.org("orgb")
    users = {"seller_a": make.user("seller_a", roles=["seller"], org=org_a),
             "seller_b": make.user("seller_b", roles=["seller"], org=org_b),
             "gate": make.user("gate", roles=["gate"]), "treasurer": make.user("treasurer", roles=["treasurer"]),
             "admin": make.user("admin", roles=["admin"])}
    spare = make.user("spare", roles=["gate"])
    order = sell(users["seller_a"], session.id, seats[:2], PaymentInput("cash"), {"email": "buyer@example.com"})
    sell(users["seller_b"], session.id, seats[2:3], PaymentInput("cash"))
    close_period(None, festival, utcnow() - timedelta(days=30), utcnow() - timedelta(days=29))
    expense = add_expense(None, festival, spent_on=date.today(), category="video", amount_satang=100_000,
                          payee="อัพอุบล", receipt_name="receipt.pdf", receipt_bytes=b"%PDF-1.4 receipt\n%%EOF\n")
    entrance = save_entrance(None, festival.id, None, code="N1", name_th="ประตูเหนือ", name_en="North", stands=["A"])
    issue_token(None, spare)  # the token an admin revokes
    session.pool_online = True  # the shop sells this session; a paid cart any browser may open
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_matrix"
    cart = Cart(session_id=session.id, browser_key="someone", status="completed", expires_at=utcnow())
    db.session.add(cart)
    tokens = {role: issue_token(None, user) for role, user in users.items()}
    db.session.commit()
    from ticketing.accounts.models import ApiToken
    from ticketing.revenue.models import ClosedPeriod
    params = {
        "festival_id": festival.id, "session_id": session.id, "order_id": order.id, "ticket_id": order.tickets[0].id,
        "token": order.access_token, "layout": "a6", "fmt": "csv", "code": "en", "filename": "css/app.css",
        "shift_id": db.session.scalar(select(Shift.id).where(Shift.user_id == users["seller_a"].id)),
        "org_id": org_a.id, "user_id": spare.id, "entrance_id": entrance.id, "expense_id": expense.id,
        "token_id": db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == spare.id)),
        "period_id": db.session.scalar(select(ClosedPeriod.id)),
        "category_id": db.session.scalar(select(PriceCategory.id).limit(1)),  # the one festival's map
        "cart_id": cart.id,
    }
    assert all(params.values()), params
    return SimpleNamespace(festival=festival, session=session, seats=seats, order=order, params=params,
                           tokens=tokens)


def _url(rule: str, params: dict) -> str:
    def value(match):
        name = match.group(1)
        assert name in params, f"{rule}: give <{name}> a value in the `world` fixture's params"
        return str(params[name])
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule)


def _api_body(rule: str, w) -> dict:
    """A body of the right shape, so that the access rule decides (not a missing field)."""
    return {"/api/v1/orders": {"session_id": w.session.id, "seat_ids": [w.seats[10]], "payment_method": "cash"},
            "/api/v1/orders/<order_id>/void": {"reason": "matrix", "ticket_ids": ["no-such-ticket"]},
            "/api/v1/checkins": {"session_id": w.session.id, "entrance": w.params["entrance_id"], "device": "matrix",
                                 "nonce": "n1", "code": "NOT-A-CODE"},
            "/api/v1/checkins/batch": {"session_id": w.session.id, "entrance": w.params["entrance_id"],
                                       "device": "matrix", "scans": []},
            }.get(rule, {})


def _judge(resp, api: bool) -> str:
    if resp.status_code in (401, 403):
        return "-"
    location = resp.headers.get("Location", "")
    if not api and resp.status_code in (301, 302, 303) and "/login?next=" in location:  # Flask-Login's refusal
        return "-"
    return "A"


def test_the_matrix(app, world):
    routes = sorted(_routes(app) & set(MATRIX), key=lambda key: (key in LAST, key[0] == "POST", key[1]))
    query = {"festival": world.festival.id, "q": "1"}
    wrong, errors = [], []
    for i, role in enumerate(ROLES):
        pages, api = app.test_client(), app.test_client()
        if role != "anonymous":
            assert login(pages, role).status_code == 302, role
        bearer = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
        for method, rule in routes:
            is_api = rule.startswith("/api/")
            url = _url(rule, world.params)
            if is_api:
                resp = api.open(url, method=method, headers=bearer, query_string=query if method == "GET" else None,
                                json=_api_body(rule, world) if method == "POST" else None)
            else:
                resp = pages.open(url, method=method, query_string=query if method == "GET" else None,
                                  data={} if method == "POST" else None)
            got = _judge(resp, is_api)
            expected = MATRIX[(method, rule)][i]
            if resp.status_code >= 500 or (got == "A" and resp.status_code == 404):
                errors.append(f"{role:9} {method:4} {url}: {resp.status_code}")
            elif got != expected:
                wrong.append(f"{role:9} {method:4} {rule}: expected {'allowed' if expected == 'A' else 'refused'}, "
                             f"got {resp.status_code} {resp.headers.get('Location', '')}")
    assert not wrong and not errors, "\n".join(["wrong answers:"] + wrong + ["errors:"] + errors)


def test_another_organizations_orders_shifts_and_receipts_are_refused_on_every_page(app, world):
    """Seller B, signed in, asks for organization A's order, receipt, tickets, shift report and statement; every
    page refuses, and none of them shows A's order number."""
    client = app.test_client()
    login(client, "seller_b")
    number = world.order.id[:8].upper()
    p = world.params
    for url in (f"/orders/{p['order_id']}", f"/counter/orders/{p['order_id']}",
                f"/counter/orders/{p['order_id']}/tickets-a6.pdf", f"/counter/shifts/{p['shift_id']}",
                f"/api/v1/orders/{p['order_id']}"):
        resp = client.get(url)
        assert resp.status_code == 403, (url, resp.status_code)
        assert number not in resp.get_data(as_text=True)
    listing = client.get("/orders/", query_string={"q": number}).get_data(as_text=True)
    assert f"/orders/{p['order_id']}" not in listing
    statement = client.get("/revenue/statement.csv", query_string={"festival": world.festival.id,
                                                                   "organization": p["org_id"]})
    assert statement.status_code in (200, 403)
    assert "orga" not in statement.get_data(as_text=True).lower() or statement.status_code == 403
