"""The venue layout of a festival: stands -> sections -> seats (rows are a label on the seat)."""
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class SeatingMap(db.Model):
    __tablename__ = "seating_maps"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one map per festival: every session sells the same layout
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id"), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: the file said it is an example layout
    is_example: Mapped[bool] = mapped_column(default=False)
    seat_radius: Mapped[float]
    width: Mapped[float]
    height: Mapped[float]

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en


class PriceCategory(db.Model):
    __tablename__ = "price_categories"
    __table_args__ = (
        UniqueConstraint("map_id", "code"),
        CheckConstraint("price_satang >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("seating_maps.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: '#rrggbb', used on the map legend
    color: Mapped[str] = mapped_column(String(7))
    #: price of one seat, in satang
    price_satang: Mapped[int]

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en


class Stand(db.Model):
    __tablename__ = "stands"
    __table_args__ = (UniqueConstraint("map_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("seating_maps.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: order in the file
    position: Mapped[int]

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en


class Section(db.Model):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("stand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stand_id: Mapped[int] = mapped_column(ForeignKey("stands.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]

    stand: Mapped[Stand] = relationship()

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en


class Seat(db.Model):
    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("section_id", "row_label", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("seating_maps.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("price_categories.id"))
    row_label: Mapped[str] = mapped_column(String(20))
    #: 0 = the front row of its section
    row_index: Mapped[int]
    label: Mapped[str] = mapped_column(String(20))
    #: drawing position, in map units
    x: Mapped[float]
    y: Mapped[float]
    #: seat-map order: stand, section, row (front first), seat
    position: Mapped[int]
    #: the seat's row is a table sold whole (the map's row flag ``"table": true``): all its seats or none
    sold_whole: Mapped[bool] = mapped_column(default=False, server_default=false())

    section: Mapped[Section] = relationship()
    category: Mapped[PriceCategory] = relationship()
