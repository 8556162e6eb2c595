"""Stage 3 for our native format (``seating_maps/README.md``, ``seating_maps/schema.json``): the
schema, then what it cannot say: unique codes and labels, known categories, block arithmetic."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask_babel import gettext as _

from .checks import StrictValidator, schema_problems, too_many_seats
from .spec import CategorySpec, DraftPlan, ProblemList, SectionRows, SectionSpec, StandSpec

FORMAT = "ubon-candle-seating/1"
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "seating_maps" / "schema.json"
DEFAULT_SEAT_RADIUS = 4
#: block defaults, as multiples of the seat radius: 4 -> seats 10 apart, rows 12 apart
SEAT_PITCH_FACTOR, ROW_PITCH_FACTOR = 2.5, 3
#: a table sold whole goes into one order, and the counter proposes at most 20 seats together
MAX_TABLE_SEATS = 20


@functools.cache
def _native_validator():
    return StrictValidator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def read(doc: dict, problems: ProblemList, max_seats: int) -> DraftPlan | None:
    """The DraftPlan of a native map, or None if its structure or size leaves nothing to build."""
    if not schema_problems(_native_validator(), doc, problems) or \
            too_many_seats(_native_seat_count(doc), max_seats, problems):
        return None
    return _NativeReader(doc, problems).draft


def _block_row_count(block: dict) -> int:
    return len(block["row_labels"]) if "row_labels" in block else block.get("rows", 0)


def _block_numbers(block: dict) -> list[int]:
    """The block's seat numbers in drawing order, left to right, gaps included."""
    first, count = block.get("first_seat", 1), block["seats_per_row"]
    numbers = list(range(first, first + count))
    return numbers[::-1] if block.get("numbering") == "right-to-left" else numbers


def _block_seat_count(block: dict) -> int:
    numbers = set(_block_numbers(block))
    return _block_row_count(block) * len(numbers - set(block.get("gaps", ())))


def _native_seat_count(doc: dict) -> int:
    sections = [section for stand in doc["stands"] for section in stand["sections"]]
    return (sum(len(row["seats"]) for section in sections for row in section.get("rows", ()))
            + sum(_block_seat_count(b) for section in sections for b in section.get("blocks", ())))


def count_up(first: str, count: int) -> list[str]:
    """Row labels from ``first``: '1' -> 1, 2, …; '08' -> 08, 09, 10; 'A' -> A … Z, AA, AB; 'a' -> a, b, …"""
    if first.isdigit():
        return [str(int(first) + k).zfill(len(first)) for k in range(count)]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if first.isupper() else "abcdefghijklmnopqrstuvwxyz"
    start = 0
    for letter in first:  # letters are a base-26 number without a zero: A=1 … Z=26, AA=27
        start = start * 26 + alphabet.index(letter) + 1
    labels = []
    for n in range(start, start + count):
        label = ""
        while n:
            n, digit = divmod(n - 1, 26)
            label = alphabet[digit] + label
        labels.append(label)
    return labels


def _expand_block(block: dict, seat_radius: float) -> list[tuple[str, str, float, float]]:
    """The seats of a valid block as (row label, seat label, x, y): rows front first, seats by number.

    Seats sit ``seat_pitch`` apart from ``origin`` rightwards whatever the numbering; an aisle adds
    one more pitch to the right of each seat listed in ``aisles_after``; a gap keeps its place
    but has no seat. Rows follow each other ``row_pitch`` apart (negative: upwards).
    """
    seat_pitch = block.get("seat_pitch", SEAT_PITCH_FACTOR * seat_radius)
    row_pitch = block.get("row_pitch", ROW_PITCH_FACTOR * seat_radius)
    aisles, gaps = set(block.get("aisles_after", ())), set(block.get("gaps", ()))
    x_of, x = {}, block["origin"]["x"]
    for number in _block_numbers(block):
        x_of[number] = x
        x += seat_pitch * (2 if number in aisles else 1)
    labels = block["row_labels"] if "row_labels" in block else count_up(block.get("first_row", "1"), block["rows"])
    return [(row_label, str(number), x_of[number], block["origin"]["y"] + i * row_pitch)
            for i, row_label in enumerate(labels) for number in sorted(x_of) if number not in gaps]


def _block_problems(block: dict) -> list[tuple[str, str]]:
    """What the schema cannot say about a block, as (path relative to the block, message)."""
    if "row_labels" in block and ("rows" in block or "first_row" in block):
        return [("", _('give either "row_labels" or "rows" (with "first_row"), not both'))]
    if "row_labels" not in block and "rows" not in block:
        return [("", _('missing "rows" or "row_labels"'))]
    numbers = _block_numbers(block)
    low, high = min(numbers), max(numbers)
    found = [(f"{name}[{i}]", _("seat %(number)s is not in this block (seats %(low)s–%(high)s)",
                                number=n, low=low, high=high))
             for name in ("aisles_after", "gaps") for i, n in enumerate(block.get(name, ())) if not low <= n <= high]
    if not found and set(block.get("gaps", ())) >= set(numbers):
        found.append(("gaps", _("every seat of the block is a gap")))
    return found


class _NativeReader:
    """Builds the DraftPlan of a native map that passed the schema, reporting what is wrong."""

    def __init__(self, doc: dict, problems: ProblemList):
        self.problems = problems
        self.radius = doc.get("seat_radius", DEFAULT_SEAT_RADIUS)
        self.categories = self._categories(doc["categories"])
        self.draft = DraftPlan(doc["name"]["th"], doc["name"]["en"], doc.get("example", False), self.radius,
                               list(self.categories.values()))
        self.stand_codes: set[str] = set()
        self.section_codes: set[str] = set()
        for i, stand in enumerate(doc["stands"]):
            self._stand(stand, f"stands[{i}]")

    def _categories(self, items: list[dict]) -> dict[str, CategorySpec]:
        found: dict[str, CategorySpec] = {}
        for i, c in enumerate(items):
            if c["code"] in found:
                self.problems.add(f"categories[{i}]", _('duplicate category code "%(code)s"', code=c["code"]))
            found.setdefault(c["code"], CategorySpec(c["code"], c["name"]["th"], c["name"]["en"],
                                                     c["color"].lower(), c["price_satang"]))
        return found

    def _unique(self, code: str, taken: set[str], path: str, message: str) -> None:
        if code in taken:
            self.problems.add(path, message)
        taken.add(code)

    def _known_category(self, code: str | None, path: str) -> None:
        if code is not None and code not in self.categories:
            self.problems.add(path, _('unknown category "%(category)s"', category=code))

    def _stand(self, stand: dict, path: str) -> None:
        code = stand["code"]
        self._unique(code, self.stand_codes, path, _('duplicate stand code "%(code)s"', code=code))
        self.draft.stands.append(StandSpec(code, stand["name"]["th"], stand["name"]["en"]))
        for i, section in enumerate(stand["sections"]):
            self._section(section, code, f"{path}.sections[{i}]")

    def _section(self, section: dict, stand_code: str, path: str) -> None:
        code = section["code"]
        self._unique(code, self.section_codes, path, _('duplicate section code "%(code)s"', code=code))
        self.draft.sections.append(SectionSpec(stand_code, code, section["name"]["th"], section["name"]["en"]))
        if not section.get("rows") and not section.get("blocks"):
            self.problems.add(path, _('the section has no seats: give it "rows" or "blocks"'))
        rows = SectionRows(stand_code, code)
        for i, row in enumerate(section.get("rows", ())):  # explicit rows first, then blocks
            self._row(row, rows, f"{path}.rows[{i}]")
        for i, block in enumerate(section.get("blocks", ())):
            self._block(block, rows, f"{path}.blocks[{i}]")
        rows.emit(self.draft)

    def _row(self, row: dict, rows: SectionRows, path: str) -> None:
        label = row["label"]
        if label in rows.rows:
            self.problems.add(path, _('duplicate row label "%(label)s"', label=label))
            return
        self._known_category(row.get("category"), path)
        if row.get("table"):
            if len(row["seats"]) > MAX_TABLE_SEATS:
                self.problems.add(path, _("a table sold whole has at most %(n)d seats (the most one order takes "
                                          "together); this one has %(count)d", n=MAX_TABLE_SEATS,
                                          count=len(row["seats"])))
            rows.tables.add(label)
        for i, seat in enumerate(row["seats"]):
            seat_path = f"{path}.seats[{i}]"
            category = seat.get("category", row.get("category"))
            if category is None:
                self.problems.add(seat_path, _('no category: set "category" on the seat or on its row'))
            elif "category" in seat:
                self._known_category(category, seat_path)
            if not rows.add(label, seat["label"], seat["x"], seat["y"], category or "", seat_path):
                self.problems.add(path, _('duplicate seat label "%(label)s"', label=seat["label"]))

    def _block(self, block: dict, rows: SectionRows, path: str) -> None:
        self._known_category(block["category"], path)
        found = _block_problems(block)
        for sub_path, message in found:
            self.problems.add(f"{path}.{sub_path}" if sub_path else path, message)
        if found:
            return
        for row_label, label, x, y in _expand_block(block, self.radius):
            if not rows.add(row_label, label, x, y, block["category"], path):
                self.problems.add(path, _('duplicate seat label "%(label)s" in row "%(row)s"',
                                          label=label, row=row_label))
