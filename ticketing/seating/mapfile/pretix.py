"""Reading a seating plan exported from pretix's seating-plan editor.

How a pretix plan becomes ours:

- each zone with seats becomes a stand with one section, both coded from the zone's name (slug,
  made unique); zones without seats (a stage, a bar) are left out, and so are all ``areas``;
- a row's ``row_number`` is the row label, rows in file order (the first is the front row); rows
  of a zone with the same ``row_number`` are one row, as pretix's editor splits a row at aisles;
- ``seat_number`` is the seat label; a seat's position is zone + row + seat position;
- each category gets a code from its name, its name in both languages and price 0 (``source`` is
  "pretix"): the admin page asks for each category's price before it imports the plan;
- the seat radius is the largest ``radius`` of any seat (pretix's default is 10).

``seat_guid`` must be unique, as pretix requires; it is checked but not kept.
"""
import re

from flask_babel import gettext as _

from .checks import StrictValidator, schema_problems, too_many_seats
from .spec import CategorySpec, DraftPlan, ProblemList, SectionRows, SectionSpec, StandSpec

DEFAULT_RADIUS = 10
#: colours for categories that have none, in order
PALETTE = ("#c8102e", "#1f4e9e", "#d4a017", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037")
#: the CSS colour names pretix's editor may leave in a plan, and what they are
NAMED_COLOURS = {"black": "#000000", "silver": "#c0c0c0", "gray": "#808080", "grey": "#808080",
                 "white": "#ffffff", "maroon": "#800000", "red": "#ff0000", "purple": "#800080",
                 "fuchsia": "#ff00ff", "green": "#008000", "lime": "#00ff00", "olive": "#808000",
                 "yellow": "#ffff00", "navy": "#000080", "blue": "#0000ff", "teal": "#008080",
                 "aqua": "#00ffff", "orange": "#ffa500"}

_POSITION = {"type": "object", "required": ["x", "y"], "additionalProperties": False,
             "properties": {"x": {"type": "number", "minimum": -100000, "maximum": 100000},
                            "y": {"type": "number", "minimum": -100000, "maximum": 100000}}}
_LABEL = {"type": "string", "minLength": 1, "maxLength": 20}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
#: pretix's seating-plan schema (pretix/static/seating/seating-plan.schema.json), stricter where we
#: store a value: labels are 1–20 characters, positions bounded, at most 50,000 seats per row
SCHEMA = {
    "type": "object",
    "required": ["name", "categories", "zones"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "categories": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                           "color": {"type": "string"}}}},
        "size": {"type": "object", "required": ["width", "height"], "additionalProperties": False,
                 "properties": {"width": {"type": "number"}, "height": {"type": "number"}}},
        "zones": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
            "type": "object", "required": ["position", "rows"], "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "zone_id": {"type": "string"},
                "uuid": {"type": "string"},
                "displayed": {"type": "boolean"},
                "position": _POSITION,
                "areas": {"type": "array", "items": {"type": "object"}},
                "rows": {"type": "array", "items": {
                    "type": "object", "required": ["row_number", "seats"], "additionalProperties": False,
                    "properties": {
                        "row_number": _LABEL,
                        "row_label": _OPTIONAL_TEXT,
                        "seat_label": _OPTIONAL_TEXT,
                        "row_number_position": {"enum": ["start", "end", "both", None]},
                        "uuid": {"type": "string"},
                        "position": _POSITION,
                        "seats": {"type": "array", "maxItems": 50000, "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["seat_guid", "seat_number", "position", "category"],
                            "properties": {
                                "seat_guid": {"type": "string", "minLength": 1, "maxLength": 200},
                                "seat_number": _LABEL,
                                "uuid": {"type": "string"},
                                "start_direction": _OPTIONAL_TEXT,
                                "radius": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                                "position": _POSITION,
                                "category": {"type": "string"}}}}}}}}}},
    },
}
_VALIDATOR = StrictValidator(SCHEMA)


def read(doc: dict, problems: ProblemList, max_seats: int) -> DraftPlan | None:
    """The DraftPlan of a pretix plan, or None if its structure or size leaves nothing to build."""
    if not schema_problems(_VALIDATOR, doc, problems):
        return None
    seats = [seat for zone in doc["zones"] for row in zone["rows"] for seat in row["seats"]]
    if too_many_seats(len(seats), max_seats, problems):
        return None
    return _PretixReader(doc, seats, problems).draft


def _unique_code(name: str, fallback: str, taken: set[str]) -> str:
    """A code from a name: 'Main Area' -> 'main-area'; Thai or empty names get ``fallback``."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:28] or fallback
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    taken.add(code)
    return code


def _colour(value: str | None, index: int) -> str | None:
    """'#rrggbb' for a pretix colour (a palette colour if there is none); None if we cannot read it."""
    if value is None:
        return PALETTE[index % len(PALETTE)]
    value = NAMED_COLOURS.get(value.strip().lower(), value.strip().lower())
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:])
    return value if re.fullmatch(r"#[0-9a-f]{6}", value) else None


class _PretixReader:
    """Builds the DraftPlan of a pretix plan that passed the schema, reporting what is wrong."""

    def __init__(self, doc: dict, seats: list[dict], problems: ProblemList):
        self.problems = problems
        self.categories = self._categories(doc["categories"])
        name = doc["name"].strip() or _("pretix seating plan")
        radius = max((seat.get("radius", DEFAULT_RADIUS) for seat in seats), default=DEFAULT_RADIUS)
        self.draft = DraftPlan(name, name, False, radius, list(self.categories.values()), source="pretix")
        self.guids: dict[str, str] = {}  #: seat_guid -> path of the seat that has it
        zone_codes: set[str] = set()
        for i, zone in enumerate(doc["zones"]):
            if any(row["seats"] for row in zone["rows"]):
                self._zone(zone, f"zones[{i}]", _unique_code(zone.get("name", ""), f"zone-{i + 1}", zone_codes))

    def _categories(self, items: list[dict]) -> dict[str, CategorySpec]:
        """Categories by their pretix name, which is how seats refer to them."""
        found: dict[str, CategorySpec] = {}
        codes: set[str] = set()
        for i, item in enumerate(items):
            name, colour = item["name"], _colour(item.get("color"), i)
            if name in found:
                self.problems.add(f"categories[{i}]", _('duplicate category name "%(name)s"', name=name))
            if colour is None:
                self.problems.add(f"categories[{i}].color", _('unsupported colour "%(color)s": use "#rrggbb"',
                                                              color=item["color"][:40]))
            found.setdefault(name, CategorySpec(_unique_code(name, f"category-{i + 1}", codes), name, name,
                                                colour or "", 0))
        return found

    def _zone(self, zone: dict, path: str, code: str) -> None:
        name = zone.get("name", "").strip() or code
        self.draft.stands.append(StandSpec(code, name, name))
        self.draft.sections.append(SectionSpec(code, code, name, name))
        rows = SectionRows(code, code)
        for i, row in enumerate(zone["rows"]):
            origin = (zone["position"]["x"] + row.get("position", {}).get("x", 0),
                      zone["position"]["y"] + row.get("position", {}).get("y", 0))
            for j, seat in enumerate(row["seats"]):
                self._seat(seat, row["row_number"], origin, rows, f"{path}.rows[{i}].seats[{j}]")
        rows.emit(self.draft)

    def _seat(self, seat: dict, row_label: str, origin: tuple[float, float], rows: SectionRows, path: str) -> None:
        guid, category = seat["seat_guid"], self.categories.get(seat["category"])
        if guid in self.guids:
            self.problems.add(path, _('duplicate seat_guid "%(guid)s", also at %(other)s',
                                      guid=guid, other=self.guids[guid]))
        self.guids.setdefault(guid, path)
        if category is None:
            self.problems.add(path, _('unknown category "%(category)s"', category=seat["category"])
                              if seat["category"] else _("the seat has no category"))
        x, y = origin[0] + seat["position"]["x"], origin[1] + seat["position"]["y"]
        if not rows.add(row_label, seat["seat_number"], x, y, category.code if category else "", path):
            self.problems.add(path, _('duplicate seat number "%(label)s" in row "%(row)s"',
                                      label=seat["seat_number"], row=row_label))
