"""PDF tickets: an A6 card and an 80 mm thermal-printer slip, Thai first with English beside it,
the seat in large type and the signed code as a vector QR."""
from dataclasses import dataclass
from io import BytesIO

import qrcode
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from ..accounts.models import Organization
from ..extensions import db
from ..festivals.models import Festival, FestivalSession
from ..i18n import both, in_both
from ..money import format_thb
from ..pdftext import draw, fit, register_fonts, text_width
from ..sales.models import Order, Ticket
from ..seating.models import PriceCategory, Seat, Section, Stand
from ..timeutil import format_datetime
from .services import code_for

LAYOUTS = {"a6": A6, "80mm": (80 * mm, 150 * mm)}
ACCENT = HexColor("#5b1a17")


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    order: Order
    festival: Festival
    session: FestivalSession
    stand: Stand
    section: Section
    seat: Seat
    category: PriceCategory
    organization: Organization | None


def ticket_views(order_id: str | None = None, session_id: int | None = None, offset=0, limit=None):
    """Live tickets of an order, or of a whole session, in seat-map order."""
    query = (select(Ticket, Order, Festival, FestivalSession, Stand, Section, Seat, PriceCategory, Organization)
             .join(Order, Order.id == Ticket.order_id).join(FestivalSession, FestivalSession.id == Ticket.session_id)
             .join(Festival, Festival.id == FestivalSession.festival_id).join(Seat, Seat.id == Ticket.seat_id)
             .join(Section, Section.id == Seat.section_id).join(Stand, Stand.id == Section.stand_id)
             .join(PriceCategory, PriceCategory.id == Ticket.category_id)
             .outerjoin(Organization, Organization.id == Order.organization_id)
             .where(Ticket.status == "valid"))
    if order_id is not None:
        query = query.where(Ticket.order_id == order_id).order_by(Ticket.position)
    if session_id is not None:
        query = query.where(Ticket.session_id == session_id).order_by(Seat.position)
    query = query.offset(offset).limit(limit)
    return [TicketView(*row) for row in db.session.execute(query)]


def draw_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """The code as black squares (vector, sharp on any printer), quiet zone included in ``size``."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell)
    canvas.drawPath(path, stroke=0, fill=1)


@dataclass(frozen=True)
class Labels:
    """The fixed bilingual words of a ticket, looked up once per document."""
    brand_th: str
    brand_en: str
    cells: tuple
    baht: str
    complimentary: str
    order: str
    sold_by: str
    sold_online: str
    gate: str

    @classmethod
    def make(cls):
        brand_th, brand_en = in_both("VIP seats · in the name of the nine private-sector organizations of Ubon Ratchathani")
        return cls(brand_th, brand_en, (both("Stand"), both("Section"), both("Row"), both("Seat")), both("baht"),
                   both("Complimentary"), both("Order"), in_both("Sold by")[0], both("Sold online"),
                   " · ".join(in_both("Show this QR at the gate")))


def _lines_within(text: str, size: float, width: float, smallest: float = 6) -> list[str]:
    """``text`` on one line, or on two split at a space, so that it fits ``width`` at ``smallest``
    points at least (a thermal printer cuts off what runs past its printable width)."""
    if text_width(text, smallest) <= width or " " not in text:
        return [text]
    words = text.split(" ")
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return [" ".join(words[:best]), " ".join(words[best:])]


def _draw_ticket(canvas, view: TicketView, width: float, height: float, labels: Labels) -> None:
    margin, centre = 6 * mm, width / 2
    inner = width - 2 * margin
    canvas.setFillColor(ACCENT)
    canvas.rect(0, height - 24 * mm, width, 24 * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    title = f"{view.festival.name_th} {view.festival.year + 543}"
    draw(canvas, centre, height - 10 * mm, title, fit(title, 13, inner, bold=True), bold=True, align="center")
    english = f"{view.festival.name_en} {view.festival.year}"
    draw(canvas, centre, height - 15.5 * mm, english, fit(english, 8.5, inner), align="center")
    draw(canvas, centre, height - 20.5 * mm, labels.brand_th, fit(labels.brand_th, 7, inner), align="center")
    canvas.setFillColorRGB(0, 0, 0)
    y = height - 30 * mm
    session_th = f"{view.session.name_th} · {format_datetime(view.session.starts_at, 'th')}"
    session_en = f"{view.session.name_en} · {format_datetime(view.session.starts_at, 'en')}"
    draw(canvas, margin, y, session_th, fit(session_th, 9.5, inner, bold=True), bold=True)
    draw(canvas, margin, y - 4.5 * mm, session_en, fit(session_en, 8, inner))
    y -= 13 * mm
    cells = zip(labels.cells, (view.stand.code, view.section.code, view.seat.row_label, view.seat.label))
    cell_width = inner / 4
    for i, (label, value) in enumerate(cells):
        x = margin + i * cell_width + cell_width / 2
        draw(canvas, x, y, label, 6.5, align="center")
        draw(canvas, x, y - 8 * mm, value, fit(value, 20, cell_width - 2 * mm, bold=True), bold=True, align="center")
    y -= 14 * mm
    price = labels.complimentary if view.order.channel == "complimentary" else \
        f"{format_thb(view.ticket.price_satang)} {labels.baht}"
    line = f"{view.category.name_th} · {view.category.name_en} · {price}"
    draw(canvas, centre, y, line, fit(line, 9.5, inner, bold=True), bold=True, align="center")
    brand_lines = _lines_within(labels.brand_en, 6.5, inner)
    footer = (19 + 3 * len(brand_lines)) * mm
    qr_size = min(inner, y - footer - 3 * mm)
    draw_qr(canvas, code_for(view.ticket), centre - qr_size / 2, footer + 1 * mm, qr_size)
    seller = view.organization.name_th if view.organization else labels.sold_online
    issue = both("Issue %(n)d", n=view.ticket.issue_no)
    order_line = f"{labels.order} {view.order.id[:8].upper()} · {issue}"
    draw(canvas, centre, footer - 3 * mm, order_line, fit(order_line, 7.5, inner), align="center")
    sold_by = f"{labels.sold_by} {seller}"
    draw(canvas, centre, footer - 7.5 * mm, sold_by, fit(sold_by, 7.5, inner), align="center")
    for i, line in enumerate(brand_lines):
        draw(canvas, centre, footer - (12 + 3 * i) * mm, line, fit(line, 6.5, inner), align="center")
    draw(canvas, centre, footer - (13 + 3 * len(brand_lines)) * mm, labels.gate, fit(labels.gate, 6.5, inner),
         align="center")


def render(views: list[TicketView], layout: str = "a6", out=None, progress=None):
    """One page per ticket into ``out`` (a file object; a BytesIO if None), returned."""
    register_fonts()
    width, height = LAYOUTS[layout]
    out = out if out is not None else BytesIO()
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    labels = Labels.make()
    canvas.setTitle(" · ".join(in_both("Your tickets")))
    for view in views:
        _draw_ticket(canvas, view, width, height, labels)
        canvas.showPage()
        if progress:
            progress(1)
    canvas.save()
    return out
