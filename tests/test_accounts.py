"""Login, roles, CSRF, admin pages for organizations and users, API tokens."""
from sqlalchemy import func, select

from conftest import login
from ticketing.accounts.models import ApiToken, Organization, User
from ticketing.audit.models import AuditEntry
from ticketing.extensions import db


def test_login_logout_and_wrong_password(client, make):
    make.user("anna", roles=["admin"])
    resp = login(client, "anna", "wrong")
    assert resp.status_code == 200
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in resp.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still anonymous
    assert 'href="/login"' in client.get("/").get_data(as_text=True)  # visitors see the shop and the sign-in link
    assert login(client, "anna").status_code == 302
    assert client.get("/account").status_code == 200
    assert 'href="/login"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_inactive_user_cannot_log_in(client, make):
    user = make.user("gone", roles=["admin"])
    user.active = False
    db.session.commit()
    assert login(client, "gone").status_code == 200
    assert client.get("/account").status_code == 302


def test_roles_guard_admin_pages(client, make):
    make.user("sell", roles=["seller"])
    login(client, "sell")
    for url in ("/admin/users", "/admin/organizations", "/admin/festivals/"):
        assert client.get(url).status_code == 403, url
    gate = make.user("gatey", roles=["gate"])
    client.post("/logout")
    login(client, gate.username)
    assert client.get("/admin/users").status_code == 403


def test_admin_creates_user_with_bad_input_changes_nothing(client, make):
    make.user("boss", roles=["admin"])
    login(client, "boss")
    before = db.session.scalar(select(func.count()).select_from(User))
    resp = client.post("/admin/users/new", data={"username": "x y", "roles": ["seller"], "organization_id": "",
                                                  "password": "short"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "ผู้ขายต้องสังกัดองค์กรสมาชิก" in page  # a seller must belong to a member organization
    assert "อย่างน้อย 8 ตัวอักษร" in page  # password too short
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_admin_creates_seller(client, make):
    make.user("boss", roles=["admin"])
    org = make.org("chamber")
    login(client, "boss")
    resp = client.post("/admin/users/new", data={"username": "seller1", "roles": ["seller"],
                                                  "organization_id": str(org.id), "password": "long-enough",
                                                  "active": "y"})
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "seller1"))
    assert user.roles == {"seller"} and user.organization_id == org.id
    assert user.password_hash != "long-enough"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                       AuditEntry.object_id == str(user.id)))
    assert entry.after["roles"] == ["seller"]


def test_organization_codes_unique_and_one_central_fund(client, make):
    make.user("boss", roles=["admin"])
    make.org("chamber")
    make.org("central", kind="central")
    login(client, "boss")
    resp = client.post("/admin/organizations/new", data={"code": "chamber", "kind": "member", "transfer_custody": "own",
                                                          "name_th": "ก", "name_en": "A"})
    assert "รหัสนี้" in resp.get_data(as_text=True)
    resp = client.post("/admin/organizations/new", data={"code": "fund2", "kind": "central", "transfer_custody": "own",
                                                          "name_th": "ก", "name_en": "A"})
    assert "กองกลาง" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2


def test_csrf_is_enforced(app, make):
    make.user("boss", roles=["admin"])
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    resp = client.post("/login", data={"username": "boss", "password": "secret-pass"})
    assert resp.status_code == 400  # no CSRF token
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"username": "boss", "password": "secret-pass", "csrf_token": token})
    assert resp.status_code == 302


def test_api_token_cli_use_and_revoke(client, runner, make):
    make.user("api-user", roles=["treasurer"])
    result = runner.invoke(args=["users", "token", "api-user"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("cft_")
    assert db.session.scalar(select(ApiToken.token_hash)) != token  # only the hash is stored
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/festivals", headers=headers).status_code == 200
    assert client.get("/api/v1/festivals", headers={"Authorization": "Bearer cft_forged"}).status_code == 401
    assert client.get("/api/v1/festivals").status_code == 401
    result = runner.invoke(args=["users", "revoke-token", "api-user"])
    assert "revoked 1" in result.output
    resp = client.get("/api/v1/festivals", headers=headers)
    assert resp.status_code == 401 and resp.json["error"] == "unauthorized"


def test_token_cli_unknown_user(runner, app):
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code == 1


def test_admin_issues_and_revokes_token_in_the_browser_pages(client, make):
    boss = make.user("boss", roles=["admin"])
    login(client, "boss")
    resp = client.post(f"/admin/users/{boss.id}/tokens", follow_redirects=True)
    page = resp.get_data(as_text=True)
    token = "cft_" + page.split("cft_")[1].split("<")[0].split()[0]
    anonymous = client.application.test_client()  # no session cookie: the token alone
    assert anonymous.get("/api/v1/festivals", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    row = db.session.scalar(select(ApiToken))
    client.post(f"/admin/tokens/{row.id}/revoke")
    assert anonymous.get("/api/v1/festivals", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_user_moved_to_another_organization_is_in_both_organizations_audit(make):
    from ticketing.accounts.services import save_user
    first, second = make.org("first"), make.org("second")
    seller = make.user("mover", roles=["seller"], org=first)
    save_user(None, seller, username="mover", roles=["seller"], organization_id=second.id)
    db.session.commit()
    updates = db.session.scalars(select(AuditEntry.organization_id).where(
        AuditEntry.action == "user.update", AuditEntry.object_id == str(seller.id))).all()
    assert sorted(updates) == sorted([first.id, second.id])
