"""The seating commands and the import page: all or nothing."""
import io
import json

from sqlalchemy import func, select

from conftest import ROOT, SMALL_MAP, login
from ticketing.extensions import db
from ticketing.festivals.services import save_festival
from ticketing.inventory.models import SeatInventory
from ticketing.seating.models import Seat, SeatingMap

EXAMPLE = ROOT / "seating_maps" / "candle-grandstand.example.json"


def _festival():
    festival = save_festival(None, None, name_th="ก", name_en="A", year=2027)
    db.session.commit()
    return festival


def test_validate_good_and_bad_files(runner, tmp_path):
    result = runner.invoke(args=["seating", "validate", str(EXAMPLE)])
    assert result.exit_code == 0 and result.output.startswith("ok: ")
    bad = json.loads(json.dumps(SMALL_MAP))
    bad["stands"][0]["sections"][0]["blocks"][0]["category"] = "nope"
    bad["categories"][0]["price_satang"] = -5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = runner.invoke(args=["seating", "validate", str(path), "--lang", "en"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1
    assert any(line.startswith("categories[0].price_satang:") for line in lines), lines
    path.write_text("{not json")
    result = runner.invoke(args=["seating", "validate", str(path)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_validate_missing_file(runner):
    assert runner.invoke(args=["seating", "validate", "/nonexistent.json"]).exit_code == 1


def test_import_command_all_or_nothing(runner, tmp_path, make):
    festival = _festival()
    bad = json.loads(json.dumps(SMALL_MAP))
    bad["stands"][0]["sections"][1]["code"] = "A1"  # duplicate section code
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = runner.invoke(args=["seating", "import", str(path), "--festival", str(festival.id)])
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(Seat)) == 0
    assert db.session.scalar(select(func.count()).select_from(SeatingMap)) == 0
    result = runner.invoke(args=["seating", "import", str(EXAMPLE), "--festival", str(festival.id)])
    assert result.exit_code == 0, result.output
    seats = db.session.scalar(select(func.count()).select_from(Seat))
    assert 2000 <= seats <= 3000
    result = runner.invoke(args=["seating", "import", str(EXAMPLE), "--festival", str(festival.id)])
    assert result.exit_code == 1  # already has a map; --replace needed


def test_replace_map_only_while_nothing_sold(make, runner, tmp_path):
    festival = make.festival(sessions=1)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(SMALL_MAP))
    args = ["seating", "import", str(path), "--festival", str(festival.id), "--replace"]
    assert runner.invoke(args=args).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(SeatInventory)) == 56
    row = db.session.scalar(select(SeatInventory).limit(1))
    row.state = "sold"
    db.session.commit()
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(SeatInventory)) == 56


def test_import_page_shows_problems_and_imports_nothing(client, make):
    make.user("boss", roles=["admin"])
    festival = _festival()
    login(client, "boss")
    resp = client.post(f"/admin/festivals/{festival.id}/map/", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b'{"format": "ubon-candle-seating/1"}'), "m.json")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'class="card problems"' in page and "$" not in page.split("problems")[1][:300]
    assert db.session.scalar(select(func.count()).select_from(Seat)) == 0
    resp = client.post(f"/admin/festivals/{festival.id}/map/", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(EXAMPLE.read_bytes()), "m.json")}, follow_redirects=True)
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Seat)) > 2000


def test_price_edit_validates(client, make):
    make.user("boss", roles=["admin"])
    festival = make.festival()
    login(client, "boss")
    seating_map = db.session.scalar(select(SeatingMap))
    from ticketing.seating.models import PriceCategory
    cat = db.session.scalar(select(PriceCategory).where(PriceCategory.map_id == seating_map.id))
    for bad in ("-1", "abc", "1.234", ""):
        client.post(f"/admin/festivals/{festival.id}/map/categories/{cat.id}/price", data={"price": bad})
        db.session.refresh(cat)
        assert cat.price_satang == 150000, bad
    client.post(f"/admin/festivals/{festival.id}/map/categories/{cat.id}/price", data={"price": "1,200.50"})
    db.session.refresh(cat)
    assert cat.price_satang == 120050
