"""PDF tickets: an A6 card and an 80 mm thermal-printer slip, Thai first with English beside it,
the seat in large type and the signed code as a vector QR.

Fast enough for a session's thousand tickets (``bench/tickets.py``): what every ticket of a session
shares (the band, the festival and session, the labels, the footer) is drawn once as a form XObject
that each page places; each string is shaped and written once per document (``pdftext.Typesetter``);
the QR comes from a C++ encoder at a fixed version and is one path (``tickets.qr``). A ticket is first
made into a ``TicketFace``, plain text with its signed code, so that drawing needs neither the
database nor the app and can run in other processes (``tickets.bulk``).
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO

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
from ..pdftext import Typesetter
from ..sales.models import Order, Ticket
from ..seating.models import PriceCategory, Seat, Section, Stand
from ..timeutil import format_datetime
from . import qr
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


def session_ticket_ids(session_id: int) -> list[str]:
    """The ids of a session's live tickets, in seat-map order."""
    return list(db.session.scalars(
        select(Ticket.id).join(Seat, Seat.id == Ticket.seat_id)
        .where(Ticket.session_id == session_id, Ticket.status == "valid").order_by(Seat.position, Ticket.id)))


def ticket_views(order_id: str | None = None, session_id: int | None = None, offset=0, limit=None,
                 ticket_ids: list[str] | None = None):
    """Live tickets of an order, of a whole session, or of the given ids, in seat-map order (an order's
    in its own order)."""
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
        query = query.where(Ticket.session_id == session_id).order_by(Seat.position, Ticket.id)
    if ticket_ids is not None:
        query = query.where(Ticket.id.in_(ticket_ids)).order_by(Seat.position, Ticket.id)
    query = query.offset(offset).limit(limit)
    return [TicketView(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class Labels:
    """The fixed bilingual words of a ticket, looked up once per document."""
    title: str
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
        return cls(" · ".join(in_both("Your tickets")), brand_th, brand_en,
                   (both("Stand"), both("Section"), both("Row"), both("Seat")), both("baht"),
                   both("Complimentary"), both("Order"), in_both("Sold by")[0], both("Sold online"),
                   " · ".join(in_both("Show this QR at the gate")))


@dataclass(frozen=True)
class TicketFace:
    """What one ticket shows, as text, with its signed code. The first four fields are the same for
    every ticket of a session and are drawn once per document."""
    festival_th: str
    festival_en: str
    session_th: str
    session_en: str
    stand: str
    section: str
    row: str
    seat: str
    price_line: str
    code: str
    order_line: str
    sold_by: str

    @property
    def common(self) -> tuple:
        return self.festival_th, self.festival_en, self.session_th, self.session_en


def faces(views: Iterable[TicketView], labels: Labels) -> Iterator[TicketFace]:
    """Each view as the text on its ticket (needs the app: the words and the signing key)."""
    sessions: dict = {}
    issues: dict = {}
    for view in views:
        session = sessions.get(view.session.id)
        if session is None:
            when_th, when_en = (format_datetime(view.session.starts_at, lang) for lang in ("th", "en"))
            session = sessions[view.session.id] = (
                f"{view.festival.name_th} {view.festival.year + 543}", f"{view.festival.name_en} {view.festival.year}",
                f"{view.session.name_th} · {when_th}", f"{view.session.name_en} · {when_en}")
        price = labels.complimentary if view.order.channel == "complimentary" else \
            f"{format_thb(view.ticket.price_satang)} {labels.baht}"
        seller = view.organization.name_th if view.organization else labels.sold_online
        issue = issues.get(view.ticket.issue_no)
        if issue is None:
            issue = issues[view.ticket.issue_no] = both("Issue %(n)d", n=view.ticket.issue_no)
        yield TicketFace(*session, view.stand.code, view.section.code, view.seat.row_label, view.seat.label,
                         f"{view.category.name_th} · {view.category.name_en} · {price}", code_for(view.ticket),
                         f"{labels.order} {view.order.id[:8].upper()} · {issue}", f"{labels.sold_by} {seller}")


class _TicketDrawer:
    """Draws tickets of one layout on one canvas."""

    def __init__(self, canvas: Canvas, layout: str, labels: Labels):
        self.canvas, self.labels = canvas, labels
        self.width, self.height = LAYOUTS[layout]
        self.text = Typesetter(canvas)
        self.margin = 6 * mm
        self.inner = self.width - 2 * self.margin
        self.brand_lines = self._lines_within(labels.brand_en, 6.5, self.inner)
        self.footer = (19 + 3 * len(self.brand_lines)) * mm
        self.forms: dict = {}

    def _lines_within(self, text: str, size: float, width: float, smallest: float = 6) -> list[str]:
        """``text`` on one line, or on two split at a space, so that it fits ``width`` at ``smallest``
        points at least (a thermal printer cuts off what runs past its printable width)."""
        if self.text.width(text, smallest) <= width or " " not in text:
            return [text]
        words = text.split(" ")
        best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
        return [" ".join(words[:best]), " ".join(words[best:])]

    def line(self, x, y, text, size, bold=False, align="center"):
        """``text`` at ``size``, smaller if it would not fit the width inside the margins."""
        self.text.draw(x, y, text, self.text.fit(text, size, self.inner, bold=bold), bold=bold, align=align)

    def _form(self, face: TicketFace) -> str:
        """The name of the form XObject with what this session's tickets share, drawn the first time."""
        name = self.forms.get(face.common)
        if name is None:
            name = self.forms[face.common] = f"TicketCommon{len(self.forms)}"
            self.canvas.beginForm(name)
            self._draw_common(face)
            self.canvas.endForm()
        return name

    def _draw_common(self, face: TicketFace) -> None:
        canvas, width, height, margin, labels = self.canvas, self.width, self.height, self.margin, self.labels
        centre = width / 2
        canvas.setFillColor(ACCENT)
        canvas.rect(0, height - 24 * mm, width, 24 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        self.line(centre, height - 10 * mm, face.festival_th, 13, bold=True)
        self.line(centre, height - 15.5 * mm, face.festival_en, 8.5)
        self.line(centre, height - 20.5 * mm, labels.brand_th, 7)
        canvas.setFillColorRGB(0, 0, 0)
        y = height - 30 * mm
        self.line(margin, y, face.session_th, 9.5, bold=True, align="left")
        self.line(margin, y - 4.5 * mm, face.session_en, 8, align="left")
        cell_width = self.inner / 4
        for i, label in enumerate(labels.cells):
            self.text.draw(margin + i * cell_width + cell_width / 2, y - 13 * mm, label, 6.5, align="center")
        footer = self.footer
        for i, line in enumerate(self.brand_lines):
            self.line(centre, footer - (12 + 3 * i) * mm, line, 6.5)
        self.line(centre, footer - (13 + 3 * len(self.brand_lines)) * mm, labels.gate, 6.5)

    def draw(self, face: TicketFace) -> None:
        """One page: the session's form, then this ticket's seat, price, QR, order and seller."""
        form = self._form(face)
        canvas, text, margin, centre = self.canvas, self.text, self.margin, self.width / 2
        canvas.doForm(form)
        y = self.height - 43 * mm
        cell_width = self.inner / 4
        for i, value in enumerate((face.stand, face.section, face.row, face.seat)):
            x = margin + i * cell_width + cell_width / 2
            text.draw(x, y - 8 * mm, value, text.fit(value, 20, cell_width - 2 * mm, bold=True), bold=True,
                      align="center")
        y -= 14 * mm
        self.line(centre, y, face.price_line, 9.5, bold=True)
        footer = self.footer
        qr_size = min(self.inner, y - footer - 3 * mm)
        canvas._code.append(qr.pdf_path(face.code, centre - qr_size / 2, footer + 1 * mm, qr_size))
        self.line(centre, footer - 3 * mm, face.order_line, 7.5)
        self.line(centre, footer - 7.5 * mm, face.sold_by, 7.5)


def render_faces(ticket_faces: Iterable[TicketFace], labels: Labels, layout: str = "a6", out=None, progress=None):
    """One page per ticket into ``out`` (a file object; a BytesIO if None), returned. Needs no app."""
    width, height = LAYOUTS[layout]
    out = out if out is not None else BytesIO()
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(labels.title)
    drawer = _TicketDrawer(canvas, layout, labels)
    for face in ticket_faces:
        drawer.draw(face)
        canvas.showPage()
        if progress:
            progress(1)
    canvas.save()
    return out


def render(views: Iterable[TicketView], layout: str = "a6", out=None, progress=None):
    """One page per ticket into ``out`` (a file object; a BytesIO if None), returned."""
    labels = Labels.make()
    return render_faces(faces(views, labels), labels, layout, out, progress)
