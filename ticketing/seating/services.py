"""Storing a validated seating plan as a festival's map, and editing its prices. Giving the sessions
their seats is inventory's part (``inventory.sessions.import_map`` calls these)."""
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from ..festivals.models import Festival
from .mapfile import SeatingPlan
from .models import PriceCategory, Seat, SeatingMap, Section, Stand


def map_of(festival_id: int) -> SeatingMap | None:
    return db.session.scalar(select(SeatingMap).where(SeatingMap.festival_id == festival_id))


def remove_map(seating_map: SeatingMap) -> None:
    """Delete the map with its seats, sections, stands and categories (the sessions' seat rows go first)."""
    db.session.execute(delete(Seat).where(Seat.map_id == seating_map.id))
    stand_ids = select(Stand.id).where(Stand.map_id == seating_map.id)
    db.session.execute(delete(Section).where(Section.stand_id.in_(stand_ids)))
    db.session.execute(delete(Stand).where(Stand.map_id == seating_map.id))
    db.session.execute(delete(PriceCategory).where(PriceCategory.map_id == seating_map.id))
    db.session.delete(seating_map)
    db.session.flush()


def store_map(festival: Festival, plan: SeatingPlan) -> SeatingMap:
    """Write ``plan``'s categories, stands, sections and seats as the festival's map."""
    seating_map = SeatingMap(festival_id=festival.id, name_th=plan.name_th, name_en=plan.name_en,
                             is_example=plan.is_example, seat_radius=plan.seat_radius,
                             width=plan.width, height=plan.height)
    db.session.add(seating_map)
    db.session.flush()
    categories = {c.code: PriceCategory(map_id=seating_map.id, code=c.code, name_th=c.name_th, name_en=c.name_en,
                                        color=c.color, price_satang=c.price_satang) for c in plan.categories}
    stands = {s.code: Stand(map_id=seating_map.id, code=s.code, name_th=s.name_th, name_en=s.name_en, position=i)
              for i, s in enumerate(plan.stands)}
    db.session.add_all([*categories.values(), *stands.values()])
    db.session.flush()
    sections = {(s.stand_code, s.code): Section(stand_id=stands[s.stand_code].id, code=s.code, name_th=s.name_th,
                                                name_en=s.name_en, position=i) for i, s in enumerate(plan.sections)}
    db.session.add_all(sections.values())
    db.session.flush()
    db.session.execute(insert(Seat), [
        {"map_id": seating_map.id, "section_id": sections[(s.stand_code, s.section_code)].id,
         "category_id": categories[s.category_code].id, "row_label": s.row_label, "row_index": s.row_index,
         "label": s.label, "x": s.x, "y": s.y, "position": i, "sold_whole": s.sold_whole}
        for i, s in enumerate(plan.seats)])
    return seating_map


def set_category_price(actor, category: PriceCategory, price_satang) -> None:
    if not isinstance(price_satang, int) or isinstance(price_satang, bool) or price_satang < 0:
        raise Invalid(_("A price is a non-negative amount in baht with at most two decimals."), code="invalid_price",
                      details={"price": _("A price is a non-negative amount in baht with at most two decimals.")})
    before = category.price_satang
    category.price_satang = price_satang
    audit.record(actor, "seating.price", "price_category", category.id, {"price_satang": before},
                 {"price_satang": price_satang})
