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


def test_demo_day_of_sales_adds_up(runner):
    """The demo with a simulated counter day: sales by every seller, voids, the first session dealt in
    equal shares; every money invariant holds."""
    result = runner.invoke(args=["demo", "--sales", "60"])
    assert result.exit_code == 0, result.output
    assert "Simulated 60 orders" in result.output
    first = db.session.scalar(select(FestivalSession).order_by(FestivalSession.starts_at))
    allocated = db.session.execute(select(SeatInventory.organization_id, func.count())
                                   .where(SeatInventory.session_id == first.id)
                                   .group_by(SeatInventory.organization_id)).all()
    counts = sorted(n for org, n in allocated)
    assert len(allocated) == 9 and counts[-1] - counts[0] <= 1
    check = runner.invoke(args=["revenue", "check"])
    assert check.exit_code == 0, check.output
    assert runner.invoke(args=["demo", "--sales", "0"]).exit_code == 0


def test_demo_refuses_a_silly_number_of_sales(runner):
    result = runner.invoke(args=["demo", "--sales", "-3"])
    assert result.exit_code != 0 and "-3" in result.output
