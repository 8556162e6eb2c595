"""Thai first: every string has a Thai translation, the compiled catalogue is fresh, dates use B.E."""
from datetime import datetime, timezone

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from conftest import ROOT
from ticketing.money import format_thb, parse_baht
from ticketing.timeutil import format_datetime, from_local

PO = ROOT / "translations" / "th" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "in_both": None, "both": None}


def _source_messages() -> set[str]:
    method_map = [("ticketing/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_string_has_a_thai_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(_source_messages() - translated)
    assert not missing, f"{len(missing)} strings without Thai: {missing[:10]}"


def test_compiled_catalogue_matches_the_po_file():
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with PO.open("rb") as f:
        po = {key(m.id): key(m.string) for m in read_po(f) if m.id and m.string and not m.fuzzy}
    with MO.open("rb") as f:
        mo = {key(m.id): key(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run: pybabel compile -d translations"


def test_pages_are_thai_by_default_and_english_on_request(client, make):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="th"' in page and "เข้าสู่ระบบ" in page
    client.get("/lang/en?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page
    assert client.get("/lang/xx").status_code == 404
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_thai_dates_use_buddhist_era_and_bangkok_time():
    moment = datetime(2027, 7, 19, 0, 30, tzinfo=timezone.utc)
    assert format_datetime(moment, "th") == "19 กรกฎาคม 2570 เวลา 07:30 น."
    assert format_datetime(moment, "en") == "19 July 2027, 07:30"
    assert from_local(datetime(2027, 7, 19, 7, 30)) == moment


@pytest.mark.parametrize("text,satang", [("1,500", 150000), ("0.5", 50), ("12.34", 1234), ("0", 0), ("๑๒", 1200), ("1200.5", 120050)])
def test_parse_baht(text, satang):
    assert parse_baht(text) == satang
    assert parse_baht(format_thb(satang)) == satang


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1.2.3", "-", "-5", "1e3", " . ", "1,50", "12,345.678"])
def test_parse_baht_refuses(text):
    with pytest.raises(ValueError):
        parse_baht(text)
