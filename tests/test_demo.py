"""`flask --app wsgi demo` loads the demo festival and is harmless when run twice."""
from sqlalchemy import func, select

from ticketing.accounts.models import Organization, User
from ticketing.extensions import db
from ticketing.festivals.models import FestivalSession
from ticketing.inventory.models import SeatInventory


def _counts():
    return [db.session.scalar(select(func.count()).select_from(m)) for m in
            (Organization, User, FestivalSession, SeatInventory)]


def test_demo_twice(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "seller9" in result.output and "admin-demo" in result.output
    first = _counts()
    assert first[0] == 10 and first[1] == 12 and first[2] == 3
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts() == first
    seller = db.session.scalar(select(User).where(User.username == "seller3"))
    assert seller.organization.code == "tourism"
    placeholders = db.session.scalars(select(Organization).where(Organization.is_example.is_(True))).all()
    assert len(placeholders) == 4
