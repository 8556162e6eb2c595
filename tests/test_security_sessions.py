"""Sessions and sign-in (issue 14, item 3): no open redirect, failed sign-ins throttled with a lockout that
holds across gunicorn workers (database) or in Redis, unknown usernames as slow as wrong passwords,
sessions that end on the server, CSRF skipped only for a valid Bearer token, and API tokens with
expiry, last use, listed and revocable."""
import json
import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import requests
from flask import g
from sqlalchemy import func, select, update

from conftest import SMALL_MAP, _sa, login
from ticketing import create_app
from ticketing.accounts import services
from ticketing.accounts.models import ApiToken, RateLimitCounter
from ticketing.accounts.services import issue_token, save_organization, save_user
from ticketing.extensions import db
from ticketing.festivals.services import save_festival
from ticketing.inventory import services as inventory
from ticketing.inventory.sessions import import_map, save_session
from ticketing.sales.models import Order
from ticketing.seating.mapfile import parse_map
from ticketing.timeutil import utcnow
from gunicorn_server import Gunicorn

HOME = "/"

# --- open redirect -------------------------------------------------------------------------------

#: raw query-string values of ``next`` (already percent-encoded as an attacker would send them)
BYPASSES = [
    "//evil.example", "/%09/evil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "%5C%5Cevil.example",
    "%2F%2Fevil.example", "///evil.example", "https:evil.example", "https://evil.example", "http:/evil.example",
    "javascript:alert(1)", "JaVaScRiPt%3Aalert(1)", "data:text/html,x", "/%0d%0aSet-Cookie:%20a=b",
    "/%0a/evil.example", "%0a//evil.example", "%09//evil.example", "%20//evil.example", "/%E2%80%A8/evil.example",
    "evil.example", "//evil.example%2F@good", "/%00/evil.example", "//%09/evil.example", "%2F%5Cevil.example",
]


@pytest.mark.parametrize("raw_next", BYPASSES)
def test_language_switch_never_redirects_off_site(client, raw_next):
    resp = client.get(f"/lang/en?next={raw_next}")
    if resp.status_code == 400:  # a NUL byte in the URL is refused before any view (ticketing.web)
        assert "%00" in raw_next
        return
    assert resp.status_code == 302
    assert resp.headers["Location"] == HOME, resp.headers["Location"]


@pytest.mark.parametrize("raw_next", ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "/%0a/x"])
def test_sign_in_never_redirects_off_site(client, make, raw_next):
    make.user("gate1", roles=["gate"])
    resp = client.post(f"/login?next={raw_next}", data={"username": "gate1", "password": "secret-pass"})
    assert resp.status_code == 302 and resp.headers["Location"] == HOME


@pytest.mark.parametrize("target", ["/counter/", "/orders/?q=a%20b&status=valid", "/revenue/?organization=3",
                                    "/t/abc", "/gate/dashboard?session=1#x", "/%E0%B8%81"])
def test_paths_on_this_site_are_kept(client, make, target):
    assert client.get(f"/lang/th?next={quote(target)}").headers["Location"] == target
    make.user("gate1", roles=["gate"])
    resp = client.post(f"/login?next={quote(target)}", data={"username": "gate1", "password": "secret-pass"})
    assert resp.headers["Location"] == target


# --- throttling ----------------------------------------------------------------------------------

def _attempt(client, username, password, address="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_sign_ins_lock_the_account_even_for_the_right_password(app, client, make):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")
    make.user("seller1", roles=["seller"])
    make.user("seller2", roles=["seller"])
    for _ in range(3):
        assert _attempt(client, "seller1", "wrong").status_code == 200
    locked = _attempt(client, "SELLER1", "secret-pass")  # the right password, in other capitals
    assert locked.status_code == 429
    assert "ลองใหม่อีกครั้งใน 15 นาที" in locked.get_data(as_text=True)  # Thai first, with how long
    assert client.get("/counter/").status_code == 302  # not signed in
    # The lockout is the account's: another account from the same address signs in.
    assert _attempt(client, "seller2", "secret-pass").status_code == 302
    # Counted in the database, where every worker sees it.
    assert db.session.scalar(select(func.max(RateLimitCounter.hits))) == 3


def test_successful_sign_ins_do_not_count(app, client, make):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make.user("seller1", roles=["seller"])
    for _ in range(5):
        assert _attempt(client, "seller1", "secret-pass").status_code == 302
        client.post("/logout")


def test_failed_sign_ins_lock_the_address_across_usernames(app, client, make):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    make.user("seller1", roles=["seller"])
    for i in range(4):
        assert _attempt(client, f"guess{i}", "wrong", address="10.9.9.9").status_code == 200
    assert _attempt(client, "seller1", "secret-pass", address="10.9.9.9").status_code == 429
    assert _attempt(client, "seller1", "secret-pass", address="10.1.1.1").status_code == 302


def test_lockout_in_english_and_for_the_api_answer(app, client, make):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="1 per 15 minutes")
    client.set_cookie("lang", "en")
    _attempt(client, "nobody", "wrong")
    resp = _attempt(client, "nobody", "wrong")
    assert resp.status_code == 429 and "Too many failed sign-ins. Try again in 15 minutes." in resp.get_data(as_text=True)


def test_unknown_username_checks_a_password_hash_like_a_wrong_password(client, make, monkeypatch):
    """An unknown username must cost one password-hash check of the same method and cost as a real one,
    so that the time taken does not tell which usernames exist."""
    user = make.user("seller1", roles=["seller"])
    inactive = make.user("former", roles=["gate"])
    inactive.active = False
    db.session.commit()
    checked = []
    real_check = services.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])  # method and cost, e.g. "scrypt:32768:8:1"
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    method = user.password_hash.split("$", 1)[0]
    for name, password in [("seller1", "wrong"), ("no-such-user", "wrong"), ("former", "secret-pass")]:
        checked.clear()
        assert services.authenticate(name, password) is None
        assert checked == [method], name


@pytest.fixture
def gunicorn_3_workers(app, tmp_path):
    """The app under gunicorn with three worker processes, each with its own memory, on this test's database."""
    env = {"SESSION_COOKIE_SECURE": "0", "LOGIN_LIMIT_PER_ACCOUNT": "4 per 15 minutes",
           "LOGIN_LIMIT_PER_ADDRESS": "1000 per 15 minutes", "RATELIMIT_STORAGE_URI": None}
    with Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=3, env=env) as server:
        yield server.url
    db.engine.dispose()


def _http_attempt(url, username, password):
    """One sign-in as a browser makes it, on a new connection (so the workers share the attempts)."""
    with requests.Session() as browser:
        page = browser.get(f"{url}/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        return browser.post(f"{url}/login", data={"csrf_token": token, "username": username, "password": password},
                            allow_redirects=False).status_code


def test_lockout_holds_across_gunicorn_workers(make, gunicorn_3_workers):
    """Three workers, each with its own memory: the fifth attempt is refused whichever worker takes it,
    because the counts are in the database."""
    make.user("seller1", roles=["seller"])
    assert [_http_attempt(gunicorn_3_workers, "seller1", "wrong") for _ in range(4)] == [200] * 4
    assert [_http_attempt(gunicorn_3_workers, "seller1", "secret-pass") for _ in range(6)] == [429] * 6
    assert _http_attempt(gunicorn_3_workers, "nobody-else", "wrong") == 200


def _redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"Redis not reachable at {url} (TEST_REDIS_URL)")
    return url


def test_lockout_counted_in_redis_when_configured(fresh_url):
    redis_url = _redis_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": _sa(fresh_url), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": redis_url, "LOGIN_LIMIT_PER_ACCOUNT": "2 per 15 minutes",
                      "LOGIN_LIMIT_PER_ADDRESS": "1000 per 15 minutes"})
    name = f"redis{uuid.uuid4().hex[:12]}"  # Redis outlives the test database: a name of its own
    try:
        with app.app_context():
            save_user(None, None, username=name, roles=["gate"], organization_id=None, password="secret-pass")
            db.session.commit()
            client = app.test_client()
            assert [_attempt(client, name, "wrong").status_code for _ in range(2)] == [200, 200]
            assert _attempt(client, name, "secret-pass").status_code == 429
            assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0  # not in the database
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- sessions that end ---------------------------------------------------------------------------

def _copy_session(app, source):
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/gate/").status_code == 200


@pytest.fixture
def guard(app, client, make):
    user = make.user("gate1", roles=["gate"])
    assert login(client, "gate1").status_code == 302
    assert _signed_in(client)
    return user


def test_copied_cookie_stops_working_after_logout(app, client, guard):
    thief = _copy_session(app, client)
    assert _signed_in(thief)
    other_device = app.test_client()
    login(other_device, "gate1")
    client.post("/logout")
    assert not _signed_in(thief)
    assert not _signed_in(other_device)  # signing out ends every session of the user
    assert login(client, "gate1").status_code == 302 and _signed_in(client)  # a new sign-in works


@pytest.mark.parametrize("change", ["password", "roles", "deactivate"])
def test_password_role_change_and_deactivation_end_sessions(app, client, guard, change):
    thief = _copy_session(app, client)
    kwargs = dict(username="gate1", roles=["gate"], organization_id=None)
    if change == "password":
        kwargs["password"] = "a-new-password"
    elif change == "roles":
        kwargs["roles"] = ["gate", "treasurer"]
    else:
        kwargs["active"] = False
    save_user(None, guard, **kwargs)
    db.session.commit()
    assert not _signed_in(client) and not _signed_in(thief)


def test_a_display_name_change_keeps_sessions(app, client, guard):
    save_user(None, guard, username="gate1", roles=["gate"], organization_id=None, display_name="Gate one")
    db.session.commit()
    assert _signed_in(client)


def test_admin_changing_own_password_stays_signed_in_here_only(app, client, make):
    admin = make.user("boss", roles=["admin"])
    login(client, "boss")
    elsewhere = _copy_session(app, client)
    resp = client.post(f"/admin/users/{admin.id}", data={"username": "boss", "roles": ["admin"],
                                                         "organization_id": "", "password": "another-pass",
                                                         "active": "y"})
    assert resp.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").status_code == 302


def test_cookie_without_generation_signs_nobody_in(app, client, guard):
    with client.session_transaction() as sess:
        sess["_user_id"] = str(guard.id)  # the form before sessions could be ended
    assert not _signed_in(client)


# --- CSRF and Bearer tokens ----------------------------------------------------------------------

@pytest.fixture
def csrf_app(fresh_url):
    """The app as served: CSRF on."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": _sa(fresh_url), "TESTING": True})

    @app.before_request
    def _fresh_request_state():  # as in conftest's app: each request starts afresh, as on a real server
        g.pop("_login_user", None)
        db.session.expire_all()

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def counter(csrf_app):
    save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central")
    org = save_organization(None, None, code="chamber", kind="member", name_th="หอการค้า", name_en="Chamber")
    festival = save_festival(None, None, name_th="งานแห่เทียน", name_en="Candle Festival", year=2027)
    import_map(None, festival, parse_map(json.dumps(SMALL_MAP)))
    session = save_session(None, festival, None, name_th="รอบ 1", name_en="Session 1",
                           starts_at=datetime(2027, 7, 19, tzinfo=timezone.utc))
    seller = save_user(None, None, username="seller1", roles=["seller"], organization_id=org.id, password="secret-pass")
    token = issue_token(None, seller)
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": csrf, "username": "seller1",
                                       "password": "secret-pass"}).status_code == 302
    seat = inventory.seat_views(session.id)[0]
    return {"client": client, "token": token, "body": {"session_id": session.id, "payment_method": "cash",
                                                       "seat_ids": [seat.id]}}


def _orders():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("authorization", [None, "Basic c2VsbGVyMTpzZWNyZXQtcGFzcw==", "Token abc", "Bearer",
                                           "Bearer cft_forged", "bearer"])
def test_a_cookie_session_needs_the_csrf_token_whatever_authorization_says(counter, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    resp = counter["client"].post("/api/v1/orders", json=counter["body"], headers=headers)
    assert resp.status_code in (400, 401), resp.get_data(as_text=True)
    assert resp.is_json
    assert _orders() == 0


def test_a_valid_bearer_token_needs_no_csrf_token(counter):
    anonymous = counter["client"].application.test_client()
    resp = anonymous.post("/api/v1/orders", json=counter["body"],
                          headers={"Authorization": f"Bearer {counter['token']}"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert _orders() == 1


def test_a_bearer_token_does_not_open_pages(counter):
    anonymous = counter["client"].application.test_client()
    headers = {"Authorization": f"Bearer {counter['token']}"}
    assert anonymous.get("/api/v1/festivals", headers=headers).status_code == 200
    for page in ("/counter/", "/orders/", "/revenue/"):
        resp = anonymous.get(page, headers=headers)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], page


# --- API tokens: expiry, last use, listed and revoked on the user's page --------------------------

def _token_row(token):
    db.session.expire_all()
    return db.session.scalar(select(ApiToken).where(ApiToken.prefix == token[:12]))


def test_token_expiry(client, make):
    seller = make.user("seller1", roles=["seller"])
    token = issue_token(None, seller, days=30)
    db.session.commit()
    row = _token_row(token)
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/festivals", headers=headers).status_code == 200
    db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/api/v1/festivals", headers=headers).status_code == 401
    for days in (0, -1, 3651, True, "7"):
        with pytest.raises(services.Invalid):
            issue_token(None, seller, days=days)


def test_last_used_is_written_at_most_once_a_minute(client, make):
    seller = make.user("seller1", roles=["seller"])
    token = issue_token(None, seller)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert _token_row(token).last_used_at is None
    client.get("/api/v1/festivals", headers=headers)
    first = _token_row(token).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    recent = utcnow() - timedelta(seconds=30)
    db.session.execute(update(ApiToken).where(ApiToken.prefix == token[:12]).values(last_used_at=recent))
    db.session.commit()
    client.get("/api/v1/festivals", headers=headers)
    assert _token_row(token).last_used_at == recent  # within the minute: not written again
    old = utcnow() - timedelta(minutes=2)
    db.session.execute(update(ApiToken).where(ApiToken.prefix == token[:12]).values(last_used_at=old))
    db.session.commit()
    client.get("/api/v1/festivals", headers=headers)
    assert _token_row(token).last_used_at > old + timedelta(minutes=1)


def test_tokens_listed_issued_with_expiry_and_revoked_on_the_users_page(client, make):
    make.user("boss", roles=["admin"])
    seller = make.user("seller1", roles=["seller"])
    login(client, "boss")
    assert client.post(f"/admin/users/{seller.id}/tokens", data={"days": "7"}).status_code == 302
    page = client.get(f"/admin/users/{seller.id}").get_data(as_text=True)
    token = re.search(r'id="new-token" class="token-value">([^<]+)<', page).group(1)
    row = _token_row(token)
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    anonymous = client.application.test_client()
    assert anonymous.get("/api/v1/festivals", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page = client.get(f"/admin/users/{seller.id}").get_data(as_text=True)
    listing = page[page.index('id="tokens"'):]
    assert token[:12] in listing and "ไม่เคยใช้" not in listing  # used just now: its time is shown
    for bad in ("0", "abc", "99999", "-3"):
        client.post(f"/admin/users/{seller.id}/tokens", data={"days": bad})
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1, bad
    assert client.post(f"/admin/tokens/{row.id}/revoke").status_code == 302
    assert anonymous.get("/api/v1/festivals", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _token_row(token).revoked_at is not None


# --- the address behind a reverse proxy ----------------------------------------------------------

def test_forwarded_addresses_are_believed_only_from_a_trusted_proxy(app, client, make, fresh_url):
    make.user("seller1", roles=["seller"])
    # No proxy trusted (the default): a client cannot dodge the per-address limit with X-Forwarded-For.
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    for spoof in ("198.51.100.1", "198.51.100.2"):
        client.post("/login", data={"username": "x", "password": "y"}, headers={"X-Forwarded-For": spoof})
    assert client.post("/login", data={"username": "seller1", "password": "secret-pass"},
                       headers={"X-Forwarded-For": "198.51.100.3"}).status_code == 429
    # Behind one trusted proxy, every client address counts on its own (the proxy's address is shared).
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": _sa(fresh_url), "TESTING": True, "WTF_CSRF_ENABLED": False,
                          "TRUSTED_PROXIES": 1, "LOGIN_LIMIT_PER_ACCOUNT": "100 per 15 minutes",
                          "LOGIN_LIMIT_PER_ADDRESS": "2 per 15 minutes"})
    with proxied.app_context():
        try:
            through = proxied.test_client()
            attempt = lambda who, password: through.post(  # noqa: E731
                "/login", data={"username": "seller1", "password": password},
                headers={"X-Forwarded-For": who}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
            assert [attempt("203.0.113.5", "wrong") for _ in range(2)] == [200, 200]
            assert attempt("203.0.113.5", "secret-pass") == 429
            assert attempt("203.0.113.6", "secret-pass") == 302
        finally:
            db.session.remove()
            db.engine.dispose()


# --- one's own account: password and tokens ------------------------------------------------------

def test_changing_ones_own_password_ends_the_other_sessions(app, client, guard):
    elsewhere = _copy_session(app, client)
    page = client.get("/account").get_data(as_text=True)
    assert "gate1" in page and 'id="password-form"' in page
    refused = [
        {"current": "wrong-pass", "new": "a-new-password", "repeated": "a-new-password"},
        {"current": "secret-pass", "new": "short", "repeated": "short"},
        {"current": "secret-pass", "new": "a-new-password", "repeated": "another-password"},
        {"current": "secret-pass", "new": "secret-pass", "repeated": "secret-pass"},
    ]
    for data in refused:
        resp = client.post("/account", data=data)
        assert resp.status_code == 200 and 'aria-invalid="true"' in resp.get_data(as_text=True), data
        assert _signed_in(elsewhere), data  # nothing changed
    resp = client.post("/account", data={"current": "secret-pass", "new": "a-new-password",
                                         "repeated": "a-new-password"})
    assert resp.status_code == 302
    assert _signed_in(client) and not _signed_in(elsewhere)
    assert login(app.test_client(), "gate1", "a-new-password").status_code == 302
    assert services.authenticate("gate1", "secret-pass") is None


def test_own_tokens_listed_and_revoked_only_by_their_owner(app, client, make):
    seller = make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    mine, theirs = issue_token(None, seller, days=3), issue_token(None, other)
    db.session.commit()
    login(client, "seller1")
    page = client.get("/account").get_data(as_text=True)
    assert mine[:12] in page and theirs[:12] not in page
    assert client.post(f"/account/tokens/{_token_row(theirs).id}/revoke").status_code == 302
    assert _token_row(theirs).revoked_at is None  # not one's own: refused, nothing changed
    client.post(f"/account/tokens/{_token_row(mine).id}/revoke")
    assert _token_row(mine).revoked_at is not None
