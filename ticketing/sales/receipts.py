"""What a receipt lists for an order (also used by the ticket PDFs later)."""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..seating.models import PriceCategory, Seat, Section, Stand
from .models import Order, Ticket


@dataclass(frozen=True)
class ReceiptLine:
    stand: Stand
    section: Section
    row: str
    seat: str
    category: PriceCategory
    price_satang: int
    status: str


def receipt_lines(order: Order) -> list[ReceiptLine]:
    rows = db.session.execute(
        select(Stand, Section, Seat.row_label, Seat.label, PriceCategory, Ticket.price_satang, Ticket.status)
        .select_from(Ticket).join(Seat, Seat.id == Ticket.seat_id).join(Section, Section.id == Seat.section_id)
        .join(Stand, Stand.id == Section.stand_id).join(PriceCategory, PriceCategory.id == Ticket.category_id)
        .where(Ticket.order_id == order.id).order_by(Ticket.position)).all()
    return [ReceiptLine(*row) for row in rows]
