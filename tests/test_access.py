"""Who may see what (accounts/access.py): the rules themselves, the pages and the API answering from the
same rule, and the structure that keeps commits out of the views."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from conftest import ROOT, login
from ticketing.accounts.access import (may_change_order, may_see_order, may_see_organization, may_see_shift,
                                       organization_scope)
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import Shift
from ticketing.sales.services import PaymentInput, sell


def _user(roles, organization_id=None, user_id=1):
    return SimpleNamespace(id=user_id, organization_id=organization_id,
                           has_role=lambda *wanted: bool(set(wanted) & set(roles)))


def test_the_rules():
    admin, treasurer = _user(["admin"]), _user(["treasurer"])
    seller, lost, gate = _user(["seller"], 7, user_id=2), _user(["seller"]), _user(["gate"], 7)
    assert organization_scope(admin) is None and organization_scope(treasurer) is None
    assert organization_scope(seller) == 7
    for nobody in (lost, gate):
        with pytest.raises(PermissionError):
            organization_scope(nobody)
    order, others = SimpleNamespace(organization_id=7), SimpleNamespace(organization_id=8)
    assert may_see_organization(seller, 7) and not may_see_organization(seller, 8)
    assert not may_see_organization(lost, None) and not may_see_organization(gate, 7)
    assert may_see_order(treasurer, others) and may_see_order(seller, order) and not may_see_order(seller, others)
    assert not may_see_order(gate, order)
    assert may_change_order(admin, others) and may_change_order(seller, order)
    assert not may_change_order(treasurer, order) and not may_change_order(seller, others)
    assert not may_change_order(lost, SimpleNamespace(organization_id=None))
    assert may_see_shift(seller, SimpleNamespace(user_id=2)) and not may_see_shift(seller, SimpleNamespace(user_id=3))
    assert may_see_shift(treasurer, SimpleNamespace(user_id=3))


@pytest.fixture
def two_sellers(make):
    """Two organizations' sellers, one sale each, a treasurer, gate staff and a seller whose
    organization was taken away (the service refuses to make one; older data may hold one)."""
    festival = make.festival()
    session = festival.sessions[0]
    seats = inventory.seat_views(session.id)
    first, second = make.user("seller1", roles=["seller"]), make.user("seller2", roles=["seller"])
    orders = [sell(seller, session.id, [seats[i].id], PaymentInput("cash")) for i, seller in enumerate((first, second))]
    make.user("treasurer", roles=["treasurer"])
    make.user("gate1", roles=["gate"], org=first.organization)
    lost = make.user("lost", roles=["seller"])
    lost.organization_id = None
    db.session.commit()
    shifts = [db.session.scalar(select(Shift.id).where(Shift.user_id == s.id)) for s in (first, second)]
    return SimpleNamespace(festival=festival, sellers=(first, second), orders=[o.id for o in orders], shifts=shifts)


def _token(client, username):
    from ticketing.accounts.models import User
    token = issue_token(None, db.session.scalar(select(User).where(User.username == username)))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_seller_without_organization_sees_no_statement(client, two_sellers):
    festival = two_sellers.festival
    login(client, "lost")
    query = {"festival": festival.id}
    assert client.get("/revenue/", query_string=query).status_code == 403
    for fmt in ("csv", "xlsx", "pdf", "json"):
        assert client.get(f"/revenue/statement.{fmt}", query_string=query).status_code == 403, fmt
    api = client.get("/api/v1/revenue/statement", headers=_token(client, "lost"),
                     query_string={"festival": festival.id, "from": "2027-07-01T00:00:00+07:00",
                                   "to": "2027-08-01T00:00:00+07:00"})
    assert api.status_code == 403 and api.json["error"] == "forbidden"


def test_gate_staff_read_no_order(client, two_sellers):
    order_id = two_sellers.orders[0]  # sold by the gate user's own organization
    login(client, "gate1")
    assert client.get(f"/counter/orders/{order_id}").status_code == 403
    assert client.get(f"/counter/orders/{order_id}/tickets-a6.pdf").status_code == 403
    headers = _token(client, "gate1")
    assert client.get(f"/api/v1/orders/{order_id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/orders/{order_id}/tickets.pdf", headers=headers).status_code == 403


def test_a_seller_sees_its_own_organizations_orders_and_shift_only(client, two_sellers):
    own, other = two_sellers.orders
    login(client, "seller1")
    assert client.get(f"/counter/orders/{own}").status_code == 200
    assert client.get(f"/counter/shifts/{two_sellers.shifts[0]}").status_code == 200
    assert client.get(f"/counter/orders/{other}").status_code == 403
    assert client.get(f"/counter/orders/{other}/tickets-a6.pdf").status_code == 403
    assert client.post(f"/counter/orders/{other}/void", data={"reason": "x"}).status_code == 403
    assert client.post(f"/counter/orders/{other}/email", data={"email": "a@example.com"}).status_code == 403
    assert client.get(f"/counter/shifts/{two_sellers.shifts[1]}").status_code == 403
    headers = _token(client, "seller1")
    assert client.get(f"/api/v1/orders/{own}", headers=headers).status_code == 200
    refused = client.get(f"/api/v1/orders/{other}", headers=headers)
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert client.post(f"/api/v1/orders/{other}/void", json={"reason": "x"}, headers=headers).status_code == 403


def test_a_treasurer_reads_every_order_and_shift_but_changes_none(client, two_sellers):
    login(client, "treasurer")
    for order_id in two_sellers.orders:
        assert client.get(f"/counter/orders/{order_id}").status_code == 200
    for shift_id in two_sellers.shifts:
        assert client.get(f"/counter/shifts/{shift_id}").status_code == 200
    headers = _token(client, "treasurer")
    assert client.post(f"/api/v1/orders/{two_sellers.orders[0]}/void", json={"reason": "x"},
                       headers=headers).status_code == 403


def test_views_do_not_commit():
    """Requests commit through ticketing.handling only (transaction, commits, page_action)."""
    package = ROOT / "ticketing"
    files = sorted(package.rglob("views.py")) + sorted((package / "api").glob("*.py"))
    assert len(files) > 8
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in files
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if re.search(r"db\.session\.(commit|rollback)\(", line)]
    assert offenders == []
