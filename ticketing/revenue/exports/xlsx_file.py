"""The statement as an XLSX workbook: a summary sheet, then one sheet per organization, amounts as
exact baht decimals with real number formats."""
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ...i18n import both, in_both
from ..bahttext import baht_text
from ..statements import OrganizationStatement, Statement
from .common import (baht_decimal, central_rows, direction_words, joined, online_name, online_rows, period_words,
                     share_rows, whole)


AMOUNT_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2E6E4")
SHEET_TITLE_MAX = 31
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def _lines(pair: tuple[str, str]) -> str:
    return pair[0] if pair[0] == pair[1] else f"{pair[0]}\n{pair[1]}"


def _text(ws, row: int, column: int, value: str, bold: bool = False, size: float | None = None):
    """A text cell that stays text: openpyxl would store a string starting with '=' as a formula."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if cell.data_type == "f":
        cell.data_type = "s"
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        cell.quotePrefix = True
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    return cell


def _number(ws, row: int, column: int, value, number_format: str, bold: bool):
    cell = ws.cell(row=row, column=column, value=value)
    cell.number_format = number_format
    if bold:
        cell.font = BOLD
    return cell


def _amount(ws, row: int, column: int, satang: int, bold: bool = False):
    """Baht, exact, with two decimals."""
    return _number(ws, row, column, baht_decimal(satang), AMOUNT_FORMAT, bold)


def _count(ws, row: int, column: int, count: int, bold: bool = False):
    return _number(ws, row, column, whole(count), COUNT_FORMAT, bold)


def _header_row(ws, row: int, labels: list[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = _text(ws, row, column, label, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 32


def _widths(ws, widths: list[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _title_block(ws, statement: Statement) -> int:
    """Festival, period (Bangkok time) and status in rows 1-6; returns the next free row."""
    _text(ws, 1, 1, statement.festival_th, bold=True, size=14)
    _text(ws, 2, 1, statement.festival_en)
    title = in_both("Settlement statement")
    _text(ws, 3, 1, joined(title, " · "), bold=True)
    period_th, period_en = period_words(statement)
    _text(ws, 4, 1, period_th)
    _text(ws, 5, 1, period_en)
    status = in_both("Closed period") if statement.closed else in_both("Period not closed yet: figures may change")
    _text(ws, 6, 1, joined(status, " · "), bold=statement.closed)
    return 8


def _sheet_titles(statement: Statement, summary: str) -> list[str]:
    """A title per organization: its code, made legal (31 characters, no []:*?/\\) and unique, since
    Excel compares sheet titles without regard to case."""
    used = {summary.lower()}
    titles = []
    for org in statement.organizations:
        base = SHEET_TITLE_BAD.sub("_", org.code).strip("'")[:SHEET_TITLE_MAX] or "org"
        title, n = base, 1
        while title.lower() in used:
            n += 1
            suffix = f"~{n}"
            title = base[:SHEET_TITLE_MAX - len(suffix)] + suffix
        used.add(title.lower())
        titles.append(title)
    return titles


def statement_xlsx(statement: Statement) -> bytes:
    """A "Summary" sheet (organizations, the online shop and the central fund), then one sheet per
    organization and one for the online shop."""
    book = Workbook()
    summary = book.active
    summary.title = both("Summary")[:SHEET_TITLE_MAX]
    _summary_sheet(summary, statement)
    titles = _sheet_titles(statement, summary.title)
    for org, title in zip(statement.organizations, titles):
        _organization_sheet(book.create_sheet(title), statement, org)
    if statement.online is not None:
        title = statement.online.code
        while title.lower() in {t.lower() for t in [summary.title, *titles]}:
            title = "~" + title
        _online_sheet(book.create_sheet(title), statement, statement.online)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary_sheet(ws, statement: Statement) -> None:
    row = _title_block(ws, statement)
    _header_row(ws, row, [_lines(in_both("Code")), _lines(in_both("Name in Thai")), _lines(in_both("Name in English")),
                          _lines(in_both("Tickets sold")), _lines(in_both("Complimentary seats")),
                          _lines(in_both("Tickets voided")), _lines(in_both("Sales (baht)")),
                          _lines(in_both("Refunded (baht)")), _lines(in_both("Share earned (baht)")),
                          _lines(in_both("Money held (baht)")), _lines(in_both("To remit to the central fund (baht)")),
                          _lines(in_both("Net sales (baht)")), _lines(in_both("Commission as seller (baht)")),
                          _lines(in_both("Operator fee (baht)"))])
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    counts = ["tickets_sold", "complimentary_tickets", "tickets_voided"]
    amounts = ["gross_satang", "refunds_satang", "share_satang", "custody_satang", "net_to_central_satang",
               "net_sales_satang", "commission_satang", "operator_fee_satang"]
    for org in statement.organizations:
        row += 1
        _text(ws, row, 1, org.code)
        _text(ws, row, 2, org.name_th)
        _text(ws, row, 3, org.name_en)
        for column, key in enumerate(counts, start=4):
            _count(ws, row, column, getattr(org, key))
        for column, key in enumerate(amounts, start=7):
            _amount(ws, row, column, getattr(org, key))
    row += 1
    _text(ws, row, 1, both("Total"), bold=True)
    for column, key in enumerate(counts, start=4):
        _count(ws, row, column, sum(getattr(o, key) for o in statement.organizations), bold=True)
    for column, key in enumerate(amounts, start=7):
        _amount(ws, row, column, sum(getattr(o, key) for o in statement.organizations), bold=True)
    online = statement.online
    if online is not None:  # after the members' total: no seller's share, the money is the central fund's
        row += 1
        _text(ws, row, 1, online.code)
        _text(ws, row, 2, online_name()[0])
        _text(ws, row, 3, online_name()[1])
        _count(ws, row, 4, online.tickets_sold)
        _count(ws, row, 6, online.tickets_voided)
        _amount(ws, row, 7, online.gross_satang)
        _amount(ws, row, 8, online.refunds_satang)
        _amount(ws, row, 12, online.net_sales_satang)
        row += 1
        _text(ws, row, 1, both("Online orders have no selling organization: the central fund holds their money."))
    _text(ws, row + 1, 1, both("A negative amount to remit means the central fund pays the organization."))
    row = _shares_block(ws, row + 3, [(org.code, org) for org in statement.organizations]
                        + ([("", statement.central)] if statement.central is not None else []))
    if statement.central is not None:
        _central_block(ws, row + 2, statement.central)
    _widths(ws, [16, 34, 34, 12, 14, 12, 16, 16, 16, 16, 18, 16, 16, 16])


def _shares_block(ws, row: int, owners) -> int:
    """Shares by kind, with the rule version and rate: (code, kind, rule and rate, amount); returns the last row."""
    _text(ws, row, 1, both("Shares by kind, with the rule and rate"), bold=True, size=12)
    row += 1
    _header_row(ws, row, [_lines(in_both("Code")), _lines(in_both("Kind of share")), _lines(in_both("Rule and rate")),
                          _lines(in_both("Amount (baht)"))])
    for code, owner in owners:
        for kind, rate, satang in share_rows(owner):
            row += 1
            _text(ws, row, 1, code or joined(in_both("Central fund")))
            _text(ws, row, 2, joined(kind))
            _text(ws, row, 3, joined(rate))
            _amount(ws, row, 4, satang)
    return row


def _central_block(ws, row: int, c) -> None:
    _text(ws, row, 1, both("Central fund summary"), bold=True, size=12)
    _text(ws, row, 7, _lines(in_both("Amount (baht)")), bold=True).alignment = Alignment(wrap_text=True)
    for label, satang, strong in central_rows(c):
        row += 1
        _text(ws, row, 2, joined(label), bold=strong)
        _amount(ws, row, 7, satang, bold=strong)
    row += 1
    _text(ws, row, 2, joined(in_both("Net in words")))
    _text(ws, row, 3, baht_text(c.net_satang))


def _categories_table(ws, row: int, line) -> int:
    """Tickets and sales by category, with their total; returns the last row."""
    _header_row(ws, row, [_lines(in_both("Code")), _lines(in_both("Category")), _lines(in_both("Name in English")),
                          _lines(in_both("Tickets")), _lines(in_both("Sales (baht)"))])
    for category in line.categories:
        row += 1
        _text(ws, row, 1, category.code)
        _text(ws, row, 2, category.name_th)
        _text(ws, row, 3, category.name_en)
        _count(ws, row, 4, category.tickets)
        _amount(ws, row, 5, category.gross_satang)
    if not line.categories:
        row += 1
        _text(ws, row, 2, joined(in_both("No sales in this period")))
    row += 1
    _text(ws, row, 1, joined(in_both("Total")), bold=True)
    _count(ws, row, 4, sum(category.tickets for category in line.categories), bold=True)
    _amount(ws, row, 5, sum(category.gross_satang for category in line.categories), bold=True)
    return row


def _online_sheet(ws, statement: Statement, online) -> None:
    row = _title_block(ws, statement)
    _text(ws, row, 1, online_name()[0], bold=True, size=12)
    _text(ws, row + 1, 1, online_name()[1])
    _text(ws, row + 2, 1, both("Online orders have no selling organization: the central fund holds their money."))
    row = _categories_table(ws, row + 4, online) + 2
    for label, value in ((in_both("Tickets sold"), online.tickets_sold), (in_both("Tickets voided"), online.tickets_voided)):
        _text(ws, row, 1, joined(label))
        _count(ws, row, 4, value)
        row += 1
    for label, satang in online_rows(online):
        _text(ws, row, 1, joined(label))
        _amount(ws, row, 5, satang)
        row += 1
    _widths(ws, [16, 34, 30, 12, 18])


def _organization_sheet(ws, statement: Statement, org: OrganizationStatement) -> None:
    row = _title_block(ws, statement)
    _text(ws, row, 1, org.name_th, bold=True, size=12)
    _text(ws, row + 1, 1, org.name_en)
    _text(ws, row + 2, 1, joined(in_both("Code")))
    _text(ws, row + 2, 2, org.code)
    row = _categories_table(ws, row + 4, org) + 2
    for label, value in ((in_both("Tickets sold"), org.tickets_sold),
                         (in_both("Complimentary seats"), org.complimentary_tickets),
                         (in_both("Tickets voided"), org.tickets_voided)):
        _text(ws, row, 1, joined(label))
        _count(ws, row, 4, value)
        row += 1
    for label, value in ((in_both("Sales (baht)"), org.gross_satang),
                         (in_both("Refunded (baht)"), org.refunds_satang),
                         (in_both("Share earned (baht)"), org.share_satang),
                         (in_both("Money held (baht)"), org.custody_satang)):
        _text(ws, row, 1, joined(label))
        _amount(ws, row, 5, value)
        row += 1
    _text(ws, row, 1, joined(in_both("Net sales (baht)")))
    _amount(ws, row, 5, org.net_sales_satang)
    row += 1
    for kind, rate, satang in share_rows(org):
        _text(ws, row, 1, joined(kind))
        _text(ws, row, 2, joined(rate))
        _amount(ws, row, 5, satang)
        row += 1
    _text(ws, row, 1, joined(in_both("To remit to the central fund (baht)")), bold=True)
    _amount(ws, row, 5, org.net_to_central_satang, bold=True)
    row += 1
    _text(ws, row, 1, joined(direction_words(org.net_to_central_satang)))
    _text(ws, row, 2, baht_text(abs(org.net_to_central_satang)))
    _widths(ws, [16, 34, 30, 12, 18])
