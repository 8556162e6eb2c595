"""The statement as an A4 PDF in Thai with English beneath: figures, the net in Thai words, Buddhist Era
dates, and a signature line for each organization's representative and the treasurer."""
import io
from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ...money import format_thb
from ...pdftext import draw, fit, register_fonts, text_width
from ...i18n import in_both
from ..bahttext import baht_text
from ..statements import OrganizationStatement, Statement
from .common import (central_rows, direction_words, generated_words, joined, online_name, online_rows, period_words,
                     share_rows)


ACCENT = HexColor("#5b1a17")
GREY = HexColor("#5f5f5f")
RULE = HexColor("#c9b8b5")
SHADE = HexColor("#f4ecea")
STAMP = HexColor("#b3261e")
PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
LEFT, RIGHT = MARGIN, PAGE_W - MARGIN
WIDTH = RIGHT - LEFT
BOTTOM = MARGIN + 8 * mm
DOTS = "." * 60


@dataclass(frozen=True)
class _Words:
    """The fixed words of a statement, looked up once, each as (Thai, English)."""
    title: tuple
    closed: tuple
    not_closed: tuple
    page: tuple
    per_org: tuple
    category: tuple
    tickets: tuple
    sales: tuple
    refunded: tuple
    share: tuple
    held: tuple
    total: tuple
    complimentary: tuple
    voided: tuple
    no_sales: tuple
    central: tuple
    amount: tuple
    signatures: tuple
    signed_for: tuple
    representative: tuple
    signed_treasurer: tuple
    treasurer: tuple
    shares: tuple
    net: tuple
    online_note: tuple

    @classmethod
    def make(cls):
        return cls(in_both("Settlement statement"), in_both("Closed period"),
                   in_both("Period not closed yet: figures may change"), in_both("Page %(n)d of %(total)d"),
                   in_both("Statement per organization"), in_both("Category"), in_both("Tickets"),
                   in_both("Sales (baht)"), in_both("Refunded (baht)"), in_both("Share earned (baht)"),
                   in_both("Money held (baht)"), in_both("Total"), in_both("Complimentary seats"),
                   in_both("Tickets voided"), in_both("No sales in this period"), in_both("Central fund summary"),
                   in_both("Amount (baht)"), in_both("Signatures"),
                   in_both("Signed %(line)s representative of %(organization)s"),
                   in_both("Representative of %(organization)s"), in_both("Signed %(line)s treasurer"),
                   in_both("Treasurer"), in_both("Shares by kind, with the rule and rate"), in_both("Net"),
                   in_both("Online orders have no selling organization: the central fund holds their money."))


class _StatementPdf:
    """Draws the statement top to bottom, starting a new page whenever the next block does not fit."""

    def __init__(self, statement: Statement, total_pages: int | None):
        self.s, self.total = statement, total_pages
        self.words = _Words.make()
        self.out = io.BytesIO()
        self.c = Canvas(self.out, pagesize=A4, pageCompression=1)
        title = " · ".join(self.words.title)
        self.c.setTitle(f"{title} · {statement.festival_th}")
        self.c.setSubject(statement.festival_en)
        self.page = 1
        self.y = PAGE_H - MARGIN

    # --- text helpers
    def text(self, x, y, text, size, bold=False, align="left", color=None, max_width=None):
        self.c.setFillColor(color or HexColor("#000000"))
        if max_width:
            size = fit(text, size, max_width, bold)
        draw(self.c, x, y, text, size, bold=bold, align=align)

    def pair_inline(self, x, y, pair, size, max_width, bold=False):
        """Thai, then English smaller and grey on the same line, shrunk together to fit."""
        th, en = pair
        small = size * 0.8
        if th == en:
            self.text(x, y, th, size, bold, max_width=max_width)
            return
        gap = size * 0.45
        width = text_width(th, size, bold) + gap + text_width(en, small)
        scale = min(1.0, max_width / width) if width else 1.0
        if scale < 0.85:  # too long for both: Thai alone, readable
            self.text(x, y, th, size, bold, max_width=max_width)
            return
        self.text(x, y, th, size * scale, bold)
        self.text(x + (text_width(th, size, bold) + gap) * scale, y, en, small * scale, color=GREY)

    def pair_stacked(self, x, y, pair, size, max_width, bold=False, align="left", gap=None):
        """Thai, with English smaller and grey beneath it; returns the height used below ``y``."""
        th, en = pair
        self.text(x, y, th, size, bold, align=align, max_width=max_width)
        if th == en:
            return 0
        gap = gap or size * 0.42
        self.text(x, y - gap, en, size * 0.75, align=align, color=GREY, max_width=max_width)
        return gap

    def rule(self, y, color=RULE, width=0.6):
        self.c.setStrokeColor(color)
        self.c.setLineWidth(width)
        self.c.line(LEFT, y, RIGHT, y)

    # --- pages
    def ensure(self, height):
        if self.y - height < BOTTOM:
            self.new_page()

    def new_page(self):
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN
        self.text(LEFT, self.y - 3 * mm, f"{self.words.title[0]} · {self.s.festival_th}", 8, color=GREY,
                  max_width=WIDTH * 0.6)
        if self.words.title[1] != self.words.title[0]:
            self.text(RIGHT, self.y - 3 * mm, self.words.title[1], 8, align="right", color=GREY,
                      max_width=WIDTH * 0.35)
        if self.s.closed:
            self.text(RIGHT, self.y - 7 * mm, joined(self.words.closed, " · "), 7.5, bold=True, align="right",
                      color=STAMP)
        self.y -= 9 * mm
        self.rule(self.y)
        self.y -= 4 * mm

    def footer(self):
        total = self.total or 0
        th, en = self.words.page
        line = joined((th % {"n": self.page, "total": total}, en % {"n": self.page, "total": total}), " · ")
        self.text(PAGE_W / 2, MARGIN - 4 * mm, line, 7.5, align="center", color=GREY)
        self.text(LEFT, MARGIN - 4 * mm, self.s.festival_th, 7, color=GREY, max_width=WIDTH * 0.3)
        generated = generated_words(self.s)[0]
        self.text(RIGHT, MARGIN - 4 * mm, generated, 7, align="right", color=GREY, max_width=WIDTH * 0.3)

    # --- blocks
    def header(self):
        s, w = self.s, self.words
        stamp_w = 44 * mm
        y = self.y - 7 * mm
        self.text(LEFT, y, w.title[0], 17, bold=True, color=ACCENT, max_width=WIDTH - stamp_w - 4 * mm)
        if w.title[1] != w.title[0]:
            self.text(LEFT, y - 6 * mm, w.title[1], 10.5, color=GREY)
        if s.closed:
            top = self.y
            self.c.setStrokeColor(STAMP)
            self.c.setLineWidth(1.6)
            self.c.roundRect(RIGHT - stamp_w, top - 16 * mm, stamp_w, 15 * mm, 2 * mm, stroke=1, fill=0)
            self.text(RIGHT - stamp_w / 2, top - 8 * mm, w.closed[0], 14, bold=True, align="center", color=STAMP,
                      max_width=stamp_w - 4 * mm)
            if w.closed[1] != w.closed[0]:
                self.text(RIGHT - stamp_w / 2, top - 13 * mm, w.closed[1], 8.5, align="center", color=STAMP,
                          max_width=stamp_w - 4 * mm)
        else:
            self.text(RIGHT, self.y - 6 * mm, w.not_closed[0], 8, align="right", color=GREY, max_width=stamp_w + 10 * mm)
            if w.not_closed[1] != w.not_closed[0]:
                self.text(RIGHT, self.y - 10 * mm, w.not_closed[1], 7, align="right", color=GREY,
                          max_width=stamp_w + 10 * mm)
        y -= 15 * mm
        self.text(LEFT, y, s.festival_th, 13, bold=True, max_width=WIDTH)
        self.text(LEFT, y - 5 * mm, s.festival_en, 9.5, color=GREY, max_width=WIDTH)
        y -= 12 * mm
        period_th, period_en = period_words(s)
        self.text(LEFT, y, period_th, 10, max_width=WIDTH)
        self.text(LEFT, y - 4.5 * mm, period_en, 8, color=GREY, max_width=WIDTH)
        y -= 9.5 * mm
        generated = joined(generated_words(s), " · ")
        self.text(LEFT, y, generated, 7.5, color=GREY, max_width=WIDTH)
        y -= 4 * mm
        self.c.setStrokeColor(ACCENT)
        self.c.setLineWidth(1.2)
        self.c.line(LEFT, y, RIGHT, y)
        self.y = y - 3 * mm

    def section(self, pair, following: float):
        """A section heading, kept on the page with the first ``following`` points of its content."""
        self.ensure(13 * mm + following)
        baseline = self.y - 5 * mm
        self.text(LEFT, baseline, pair[0], 13, bold=True, color=ACCENT)
        self.text(LEFT + text_width(pair[0], 13, True) + 3 * mm, baseline, pair[1], 9, color=GREY)
        self.y -= 13 * mm

    # organization block geometry (baselines below the top of the heading band)
    BAND = 10.5 * mm
    FIRST = 16 * mm
    ROW = 5.2 * mm
    TABLE_HEAD = 9.3 * mm
    FIGURE = 7.6 * mm
    COL_SPLIT = LEFT + 96 * mm
    WORDS_GAP = 8.2 * mm
    AFTER = 5 * mm

    def _left_depth(self, org, counts: int = 2) -> float:
        """From the first baseline down to the last one of the category table and ``counts`` counts."""
        rows = max(1, len(org.categories))
        return self.TABLE_HEAD + (rows - 1) * self.ROW + self.ROW + counts * self.ROW + 1 * mm

    def _right_depth(self) -> float:
        return 4 * self.FIGURE + self.WORDS_GAP

    SHARE_ROW = 5 * mm

    def _shares_depth(self, owner) -> float:
        return (len(owner.shares) * self.SHARE_ROW + 11 * mm) if owner.shares else 0

    def organization_height(self, org: OrganizationStatement) -> float:
        return self.FIRST + max(self._left_depth(org), self._right_depth()) + self._shares_depth(org) + self.AFTER

    def share_lines(self, owner, y: float) -> None:
        """The shares by kind, each with its rule version and rate, from baseline ``y`` down."""
        if not owner.shares:
            return
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.4)
        self.c.line(LEFT, y + 3.6 * mm, RIGHT, y + 3.6 * mm)
        self.pair_inline(LEFT + 1 * mm, y, self.words.shares, 8.5, 80 * mm, bold=True)
        y -= self.SHARE_ROW
        for kind, rate, satang in share_rows(owner):
            self.pair_inline(LEFT + 4 * mm, y, kind, 9, 62 * mm)
            self.pair_inline(LEFT + 70 * mm, y, rate, 8.5, 70 * mm)
            self.text(RIGHT - 1 * mm, y, format_thb(satang), 9.5, align="right", max_width=32 * mm)
            y -= self.SHARE_ROW

    def organization(self, org: OrganizationStatement):
        w = self.words
        self.ensure(self.organization_height(org))
        top = self.y
        # heading band: Thai name, English name beneath, code at the right
        self.band(top, org.name_th, org.name_en, org.code)
        y = top - self.FIRST
        # left: tickets by category, the total, then complimentary and voided tickets
        self.categories(org, y, ((w.complimentary, org.complimentary_tickets), (w.voided, org.tickets_voided)))
        # right: the money, ending with what is to remit or receive, in figures and in Thai words
        fx, vx = self.COL_SPLIT + 4 * mm, RIGHT - 1 * mm
        self.c.setStrokeColor(RULE)
        self.c.line(self.COL_SPLIT, y + 3 * mm, self.COL_SPLIT, y - self._right_depth() + 1 * mm)
        ry = y
        for label, satang in ((w.sales, org.gross_satang), (w.refunded, org.refunds_satang),
                              (w.share, org.share_satang), (w.held, org.custody_satang)):
            self.pair_stacked(fx, ry, label, 9.5, 46 * mm, gap=3.4 * mm)
            self.text(vx, ry, format_thb(satang), 10, align="right", max_width=32 * mm)
            ry -= self.FIGURE
        net = org.net_to_central_satang
        direction = direction_words(net)
        color = STAMP if net < 0 else ACCENT
        self.pair_stacked(fx, ry, direction, 10, 46 * mm, bold=True, gap=3.6 * mm)
        self.text(vx, ry, format_thb(abs(net)), 11, bold=True, align="right", color=color, max_width=32 * mm)
        self.text(vx, ry - self.WORDS_GAP, f"({baht_text(abs(net))})", 9.5, bold=True, align="right", color=color,
                  max_width=RIGHT - self.COL_SPLIT - 3 * mm)
        self.share_lines(org, top - self.FIRST - max(self._left_depth(org), self._right_depth()) - 7 * mm)
        self.y = top - self.organization_height(org)
        self.rule(self.y + 2.2 * mm)

    def categories(self, line, y, counts):
        """Tickets by category from baseline ``y`` down, their total, then ``counts`` ((label, count) pairs)."""
        w = self.words
        name_x, tickets_x, sales_x, table_right = LEFT + 1 * mm, LEFT + 62 * mm, LEFT + 90 * mm, LEFT + 91 * mm
        self.pair_stacked(name_x, y, w.category, 8.5, 40 * mm, bold=True, gap=3.2 * mm)
        self.pair_stacked(tickets_x, y, w.tickets, 8.5, 18 * mm, bold=True, align="right", gap=3.2 * mm)
        self.pair_stacked(sales_x, y, w.sales, 8.5, 26 * mm, bold=True, align="right", gap=3.2 * mm)
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.5)
        self.c.line(LEFT, y - 4.8 * mm, table_right, y - 4.8 * mm)
        ly = y - self.TABLE_HEAD
        for category in line.categories:
            self.pair_inline(name_x, ly, (category.name_th, category.name_en), 9, 44 * mm)
            self.text(tickets_x, ly, f"{category.tickets:,}", 9, align="right", max_width=16 * mm)
            self.text(sales_x, ly, format_thb(category.gross_satang), 9, align="right", max_width=26 * mm)
            ly -= self.ROW
        if not line.categories:
            self.pair_inline(name_x, ly, w.no_sales, 8.5, 60 * mm)
            ly -= self.ROW
        self.c.setStrokeColor(RULE)
        self.c.line(LEFT, ly + 3.6 * mm, table_right, ly + 3.6 * mm)
        self.pair_inline(name_x, ly, w.total, 9, 44 * mm, bold=True)
        self.text(tickets_x, ly, f"{line.tickets_sold:,}", 9, bold=True, align="right", max_width=16 * mm)
        self.text(sales_x, ly, format_thb(line.gross_satang), 9, bold=True, align="right", max_width=26 * mm)
        ly -= self.ROW + 1 * mm
        for label, count in counts:
            self.pair_inline(name_x, ly, label, 8.5, 56 * mm)
            self.text(tickets_x, ly, f"{count:,}", 8.5, align="right", max_width=16 * mm)
            ly -= self.ROW

    def band(self, top, name_th, name_en, code):
        """The heading band of a block: Thai name, English name beneath, code at the right."""
        self.c.setFillColor(SHADE)
        self.c.rect(LEFT, top - self.BAND, WIDTH, self.BAND, stroke=0, fill=1)
        self.text(LEFT + 2 * mm, top - 4.8 * mm, name_th, 11.5, bold=True, max_width=WIDTH - 32 * mm)
        if name_en != name_th:
            self.text(LEFT + 2 * mm, top - 8.9 * mm, name_en, 8, color=GREY, max_width=WIDTH - 32 * mm)
        self.text(RIGHT - 2 * mm, top - 4.8 * mm, code, 8.5, align="right", color=GREY, max_width=28 * mm)

    def online_height(self, online) -> float:
        return self.FIRST + max(self._left_depth(online, counts=1), 4 * self.FIGURE) + self.ROW + self.AFTER

    def online(self):
        """The online shop's line: its tickets by category, sales, refunds, net sales and the payment
        processor's fees; no selling organization, the central fund holds the money."""
        online, w = self.s.online, self.words
        self.ensure(self.online_height(online))
        top = self.y
        self.band(top, *online_name(), online.code)
        y = top - self.FIRST
        self.categories(online, y, ((w.voided, online.tickets_voided),))
        fx, vx = self.COL_SPLIT + 4 * mm, RIGHT - 1 * mm
        self.c.setStrokeColor(RULE)
        self.c.line(self.COL_SPLIT, y + 3 * mm, self.COL_SPLIT, y - 4 * self.FIGURE + 1 * mm)
        ry = y
        for label, satang in online_rows(online):
            self.pair_stacked(fx, ry, label, 9.5, 46 * mm, gap=3.4 * mm)
            self.text(vx, ry, format_thb(satang), 10, align="right", max_width=32 * mm)
            ry -= self.FIGURE
        note_y = top - self.FIRST - max(self._left_depth(online, counts=1), 4 * self.FIGURE) - 1 * mm
        self.pair_inline(LEFT + 1 * mm, note_y, w.online_note, 8.5, WIDTH - 2 * mm)
        self.y = top - self.online_height(online)
        self.rule(self.y + 2.2 * mm)

    def central(self):
        c, w = self.s.central, self.words
        rows = central_rows(c)
        height = len(rows) * 7.2 * mm + 22 * mm + self._shares_depth(c)
        self.section(w.central, height)
        value_x = RIGHT - 1 * mm
        self.pair_stacked(value_x, self.y, w.amount, 8.5, 40 * mm, bold=True, align="right", gap=3.2 * mm)
        self.y -= 8 * mm
        for label, satang, strong in rows:
            if strong:
                self.rule(self.y + 4.6 * mm, color=ACCENT)
            self.pair_inline(LEFT + 1 * mm, self.y, label, 10.5 if strong else 10, 120 * mm, bold=strong)
            color = STAMP if satang < 0 else None
            self.text(value_x, self.y, format_thb(satang), 11 if strong else 10, bold=strong, align="right", color=color)
            self.y -= 7.2 * mm
            if label == w.net:  # the net in Thai words, right beneath it
                self.text(value_x, self.y + 1 * mm, f"({baht_text(c.net_satang)})", 9.5, bold=True, align="right",
                          max_width=WIDTH)
                self.y -= 8 * mm
        self.y -= 2 * mm
        self.share_lines(c, self.y)
        self.y -= self._shares_depth(c)

    SIGNATURE = 17 * mm

    def signatures(self):
        w = self.words
        rows = [(w.signed_for[0] % {"line": DOTS, "organization": org.name_th},
                 w.representative[1] % {"organization": org.name_en}) for org in self.s.organizations]
        rows.append((w.signed_treasurer[0] % {"line": DOTS}, w.treasurer[1]))
        self.section(w.signatures, 2 * self.SIGNATURE)
        for th, en in rows:
            self.ensure(self.SIGNATURE)
            y = self.y - 10 * mm
            size = fit(th, 10, WIDTH - 2 * mm)
            self.text(LEFT + 1 * mm, y, th, size)
            before = th.split(DOTS)[0] if DOTS in th else ""
            x = LEFT + 1 * mm + text_width(before, size)
            self.text(x, y - 4.6 * mm, f"({DOTS})", size)
            if en != th:
                self.text(x + text_width(f"({DOTS})", size) + 3 * mm, y - 4.6 * mm, en, 7.5, color=GREY,
                          max_width=RIGHT - x - text_width(f"({DOTS})", size) - 3 * mm)
            self.y -= self.SIGNATURE

    def render(self) -> tuple[bytes, int]:
        self.header()
        self.section(self.words.per_org,
                     self.organization_height(self.s.organizations[0]) if self.s.organizations else 0)
        for org in self.s.organizations:
            self.organization(org)
        if self.s.online is not None:
            self.online()
        self.y -= 2 * mm
        if self.s.central is not None:
            self.central()
        self.signatures()
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.out.getvalue(), self.page


def statement_pdf(statement: Statement) -> bytes:
    """An A4 statement in Thai with English beneath, to print and sign; "page n of N" on every page."""
    register_fonts()
    _data, pages = _StatementPdf(statement, None).render()
    data, _pages = _StatementPdf(statement, pages).render()
    return data
