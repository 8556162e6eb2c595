"""One request path (ticketing/handling.py), seen through the admin's festival pages: a form's field
messages stay beside their fields, a refusal saves nothing of the request, a success is flashed once."""
import pytest
from sqlalchemy import func, select

from conftest import login
from ticketing.errors import Invalid
from ticketing.extensions import db
from ticketing.festivals.models import Festival
from ticketing.handling import transaction
from ticketing.sales.models import ComplimentaryQuota


@pytest.fixture
def admin(client, make):
    """An admin signed in, reading English."""
    make.user("admin", roles=["admin"])
    login(client, "admin")
    client.set_cookie("lang", "en")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_transaction_rolls_back_what_the_block_wrote(make):
    org = make.org("wat")
    with pytest.raises(Invalid):
        with transaction():
            org.name_en = "Changed"
            db.session.flush()
            raise Invalid("refused")
    db.session.expire_all()
    assert org.name_en == "Org wat"


def test_festival_form_marks_its_fields_then_saves(client, admin):
    refused = client.post("/admin/festivals/new", data={"name_th": "", "name_en": "Candle", "year": "2027"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "A Thai name is required." in page
    assert "Please correct the highlighted fields." in page and _count(Festival) == 0
    saved = client.post("/admin/festivals/new", data={"name_th": "งานแห่เทียน", "name_en": "Candle", "year": "2027"},
                        follow_redirects=True)
    assert saved.get_data(as_text=True).count("Saved.") == 1 and _count(Festival) == 1


def test_quotas_are_saved_all_or_nothing(client, admin, make):
    festival = make.festival()
    first, second = make.org("a"), make.org("b")
    url = f"/admin/festivals/{festival.id}/quotas"
    refused = client.post(url, data={f"seats-{first.id}": "5", f"seats-{second.id}": "20000"})
    assert refused.status_code == 422 and "Give a number of seats from 0 to 10,000." in refused.get_data(as_text=True)
    assert _count(ComplimentaryQuota) == 0  # the first organization's quota went back with the refusal
    assert client.post(url, data={f"seats-{first.id}": "5", f"seats-{second.id}": "2"}).status_code == 302
    assert sorted(db.session.scalars(select(ComplimentaryQuota.seats))) == [2, 5]


LONG = "ก" * 201  # one more than the columns hold


def test_names_too_long_for_their_column_are_refused_by_every_service_that_takes_them(make):
    """Festivals, sessions, organizations and entrances share one check of their two names (``i18n``): on
    PostgreSQL a 201-character name would otherwise end in the database's error, a 500."""
    from datetime import datetime, timezone

    from ticketing.accounts.models import Organization
    from ticketing.accounts.services import save_organization
    from ticketing.festivals.models import FestivalSession
    from ticketing.festivals.services import save_festival
    from ticketing.gate.models import Entrance
    from ticketing.gate.services import save_entrance
    from ticketing.inventory.sessions import save_session
    festival = make.festival()
    saves = {
        Festival: lambda th, en: save_festival(None, None, name_th=th, name_en=en, year=2027),
        FestivalSession: lambda th, en: save_session(None, festival, None, name_th=th, name_en=en,
                                                     starts_at=datetime(2027, 7, 25, tzinfo=timezone.utc)),
        Organization: lambda th, en: save_organization(None, None, code="new", kind="member", name_th=th, name_en=en),
        Entrance: lambda th, en: save_entrance(None, festival.id, None, code="S", name_th=th, name_en=en, stands=[]),
    }
    for model, save in saves.items():
        before = _count(model)
        for th, en, field, message in ((LONG, "North", "name_th", "ไม่เกิน 200 ตัวอักษร"),
                                       ("เหนือ", "N" * 201, "name_en", "ไม่เกิน 200 ตัวอักษร"),
                                       ("  ", "North", "name_th", "ต้องระบุชื่อภาษาไทย"),
                                       ("เหนือ", "", "name_en", "ต้องระบุชื่อภาษาอังกฤษ")):
            with pytest.raises(Invalid) as refused:
                with transaction():
                    save(th, en)
            assert refused.value.details == {field: message}, model
        assert _count(model) == before, model
        with transaction():
            save("ก" * 200, "N" * 200)  # the longest that fits
        assert _count(model) == before + 1, model


def test_a_name_too_long_is_marked_beside_its_field_in_thai(client, make):
    make.user("admin", roles=["admin"])
    login(client, "admin")
    refused = client.post("/admin/festivals/new", data={"name_th": LONG, "name_en": "Candle", "year": "2027"})
    assert "ไม่เกิน 200 ตัวอักษร" in refused.get_data(as_text=True) and _count(Festival) == 0
