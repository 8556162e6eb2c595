"""Seating-map files: read one (our native format or pretix's), check it, return a SeatingPlan.

The native format is described in ``seating_maps/README.md`` and ``seating_maps/schema.json``;
pretix's seating-plan JSON is read by ``pretix.py``. Checking runs in stages and each stage
reports every problem it finds, each with the JSON path of what it is about:

1. the file itself: size (before anything is decoded), encoding, JSON syntax, nesting;
2. structure, against a JSON Schema: types, required and unknown fields, ranges;
3. meaning: unique codes and labels, known categories, block arithmetic, the seat count;
4. geometry: no two seats overlap.

A stage runs only if the ones before it found nothing, because its checks rely on them (stage 4
runs whenever stage 3 could place the seats). No stage touches a database: a plan is returned
only when the whole file is good.
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft202012Validator
from jsonschema.validators import extend

FORMAT = "ubon-candle-seating/1"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "seating_maps" / "schema.json"
DEFAULT_SEAT_RADIUS = 4
#: block defaults, as multiples of the seat radius: 4 -> seats 10 apart, rows 12 apart
SEAT_PITCH_FACTOR, ROW_PITCH_FACTOR = 2.5, 3
#: problems kept per file; a broken 50,000-seat file must not flood the screen or the memory
MAX_PROBLEMS = 200
#: 17 "[" or "{" in a row, whitespace aside, is deeper than any map (a map never opens more than
#: 2 in a row); the check does not skip strings, but no name or label is made of 17 brackets
_OPENER_RUN = re.compile(r"[\[{](?:\s*[\[{]){16}")


@dataclass(frozen=True)
class Problem:
    path: str  #: JSON path such as 'stands[1].sections[0].rows[4]'; '' for the whole file
    message: str  #: already translated

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name_th: str
    name_en: str
    color: str  #: '#rrggbb'
    price_satang: int


@dataclass(frozen=True)
class StandSpec:
    code: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class SectionSpec:
    stand_code: str
    code: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class SeatSpec:
    stand_code: str
    section_code: str
    row_label: str
    row_index: int  #: 0 = the front row of its section
    label: str
    x: float
    y: float
    category_code: str


@dataclass(frozen=True)
class SeatingPlan:
    name_th: str
    name_en: str
    is_example: bool
    seat_radius: float
    width: float  #: the seats' bounding box, radius included; the top-left seat edge touches 0,0
    height: float
    categories: list[CategorySpec]
    stands: list[StandSpec]
    sections: list[SectionSpec]
    seats: list[SeatSpec]  #: stand, section, row (front first), seat order as listed or numbered


class MapError(Exception):
    """The file is not a usable map; ``problems`` says everything that is wrong with it."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def parse_map(raw: bytes | str, *, max_bytes: int = 5_000_000, max_seats: int = 50_000) -> SeatingPlan:
    """Parse and validate a map file (native format or pretix's, detected automatically).

    Raises MapError with all problems found, each naming its JSON path. Never partially succeeds.
    """
    doc = _load_json(_text(raw, max_bytes))
    if not isinstance(doc, dict):
        _fail(_("the top level must be a JSON object {…}, not %(kind)s", kind=_type_phrase(_kind(doc))))
    problems = ProblemList()
    _duplicate_key_problems(doc, problems)
    draft = _reader_for(doc)(doc, problems, max_seats)
    if draft is not None:  # the seats could be placed, even if some are wrong: check where they are
        if not draft.seats and not problems:  # else the problems say why
            problems.add("", _("the map has no seats"))
        _overlap_problems(draft, problems)
    problems.raise_if_any()
    return _normalised(draft)


# -- collecting problems ---------------------------------------------------------------------

class ProblemList:
    """The problems found so far, capped at MAX_PROBLEMS."""

    def __init__(self):
        self._kept: list[Problem] = []
        self._more = False

    def add(self, path: str, message: str) -> None:
        if len(self._kept) < MAX_PROBLEMS:
            self._kept.append(Problem(path, message))
        else:
            self._more = True

    def __bool__(self) -> bool:
        return bool(self._kept)

    def raise_if_any(self) -> None:
        if self._more:
            self._kept.append(Problem("", _("…and more problems not shown; fix these first")))
        if self._kept:
            raise MapError(self._kept)


def _fail(message: str, path: str = ""):
    raise MapError([Problem(path, message)])


@dataclass
class DraftPlan:
    """What a reader makes of a structurally valid file, before the checks all formats share."""
    name_th: str
    name_en: str
    is_example: bool
    seat_radius: float
    categories: list[CategorySpec]
    stands: list[StandSpec] = field(default_factory=list)
    sections: list[SectionSpec] = field(default_factory=list)
    seats: list[SeatSpec] = field(default_factory=list)
    seat_paths: list[str] = field(default_factory=list)  #: where each seat comes from, for problems


class SectionRows:
    """The seats of one section, grouped by row label; rows keep the order they first appear in.

    Adding a seat to a row label seen before continues that row, which is how a row split by a
    walkway (two blocks, or two pretix row segments) stays one row.
    """

    def __init__(self, stand_code: str, section_code: str):
        self.stand_code, self.section_code = stand_code, section_code
        self.rows: dict[str, dict[str, tuple[float, float, str, str]]] = {}

    def add(self, row_label: str, label: str, x: float, y: float, category: str, path: str) -> bool:
        """Add a seat; False (and nothing added) if its row already has a seat with that label."""
        row = self.rows.setdefault(row_label, {})
        if label in row:
            return False
        row[label] = (float(x), float(y), category, path)
        return True

    def emit(self, draft: DraftPlan) -> None:
        for index, (row_label, seats) in enumerate(self.rows.items()):
            for label, (x, y, category, path) in seats.items():
                draft.seats.append(SeatSpec(self.stand_code, self.section_code, row_label, index, label, x, y,
                                            category))
                draft.seat_paths.append(path)


def too_many_seats(count: int, max_seats: int, problems: ProblemList) -> bool:
    """Checked on the counts in the file, before any seat is built (a block can ask for 250,000)."""
    if count <= max_seats:
        return False
    problems.add("", _("the map would have %(count)s seats; the limit is %(limit)s",
                       count=f"{count:,}", limit=f"{max_seats:,}"))
    return True


# -- stage 1: the file -----------------------------------------------------------------------

def _text(raw: bytes | str, max_bytes: int) -> str:
    if isinstance(raw, str):
        size = len(raw) if len(raw) > max_bytes else len(raw.encode("utf-8", "surrogatepass"))
    else:
        size = len(raw)
    if size > max_bytes:
        _fail(_("the file is larger than the limit of %(limit)s bytes", limit=f"{max_bytes:,}"))
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
    else:
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            _fail(_("the file is not UTF-8 text (bad byte at offset %(offset)s)", offset=err.start))
    if not text.strip():
        _fail(_("the file is empty"))
    return text


class _NotANumber(ValueError):
    """NaN and Infinity: Python's json accepts them, JSON does not, and they break geometry."""


class _RepeatedKeys(dict):
    """A JSON object in which a key appears twice; json.loads would silently keep the last value."""
    repeated: list[str]


def _object_with_unique_keys(pairs):
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _RepeatedKeys(obj)
    seen: set[str] = set()
    marked.repeated = [k for k, _v in pairs if k in seen or seen.add(k)]
    return marked


def _reject_constant(name):
    raise _NotANumber(name)


def _load_json(text: str):
    too_deep = _("the data is nested deeper than a seating map allows")
    if _OPENER_RUN.search(text):  # cheap: refuses [[[[… bombs before the parser sees them
        _fail(too_deep)
    try:
        return json.loads(text, object_pairs_hook=_object_with_unique_keys, parse_constant=_reject_constant)
    except RecursionError:  # deep nesting the pre-check cannot see, such as {"a":{"a":{…
        _fail(too_deep)
    except _NotANumber as err:
        _fail(_("not valid JSON: %(value)s is not a number JSON allows", value=str(err)))
    except json.JSONDecodeError as err:
        _fail(_("not valid JSON: %(error)s at line %(line)s, column %(column)s",
                error=err.msg, line=err.lineno, column=err.colno))
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        _fail(_("not valid JSON: %(error)s", error=str(err)))


def _duplicate_key_problems(doc, problems: ProblemList) -> None:
    stack = [(doc, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _RepeatedKeys):
            for key in value.repeated:
                problems.add(path, _('the field "%(field)s" is given twice', field=key))
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else k) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))


def _reader_for(doc: dict):
    if "zones" in doc:
        from . import pretix  # imported here: pretix.py builds on this module
        return pretix.read
    found = doc.get("format")
    if found == FORMAT:
        return _read_native
    if found is None:
        _fail(_('missing "format": a native map says "format": "%(format)s"; a pretix plan has "zones"',
                format=FORMAT))
    _fail(_('unknown format %(found)s; expected "%(format)s"', found=json.dumps(found)[:60], format=FORMAT),
          "format")


# -- stage 2: structure ----------------------------------------------------------------------

def _is_integer(checker, instance) -> bool:
    """Only a JSON integer is one: jsonschema would also take 150.0, which is no satang amount."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = extend(Draft202012Validator,
                         type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@functools.cache
def _native_validator():
    return StrictValidator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _json_path(parts) -> str:
    """('stands', 1, 'sections', 0) -> 'stands[1].sections[0]'."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def schema_problems(validator, doc, problems: ProblemList) -> bool:
    """Add one problem per schema violation, in document order; True if there was none."""
    errors = sorted(islice(validator.iter_errors(doc), 4 * MAX_PROBLEMS),
                    key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path])
    seen = set()
    for error in errors:
        path = _json_path(error.absolute_path)
        for message in _describe(error):
            if (path, message) not in seen:  # "required" repeats itself once per missing field
                seen.add((path, message))
                problems.add(path, message)
    return not errors


def _kind(value) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    for name, types in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                        ("array", list), ("object", dict)):
        if isinstance(value, types):
            return name
    return "null"


def _type_phrase(name: str) -> str:
    return {"object": _("an object {…}"), "array": _("a list […]"), "string": _("a text in quotes"),
            "integer": _("a whole number"), "number": _("a number"), "boolean": _("true or false"),
            "null": _("null")}[name]


def _pattern_hint(field_name: str) -> str:
    code = _('a code is letters, digits, "-" and "_", starting with a letter or digit')
    label = _("a label is not empty and does not start or end with a space")
    hints = {"color": _('a colour is written "#rrggbb", e.g. "#c8102e"'), "code": code, "category": code,
             "label": label, "row_labels": label,
             "first_row": _("first_row is letters (A, B, … or a, b, …) or a number (1, 2, …)")}
    return hints.get(field_name, _("does not have the expected form"))


def _describe(error) -> list[str]:
    """Our own words for a schema error (jsonschema's would quote Python reprs of whole objects)."""
    rule, limit, instance = error.validator, error.validator_value, error.instance
    field_name = next((p for p in reversed(error.absolute_path) if isinstance(p, str)), "")
    is_price = field_name == "price_satang"
    if rule == "required":
        return [_('missing required field "%(field)s"', field=f) for f in limit if f not in instance]
    if rule == "additionalProperties":
        known = error.schema.get("properties", {})
        return [_('unknown field "%(field)s"', field=f) for f in instance if f not in known]
    if rule == "type" and is_price:
        return [_("a price is a whole number of satang (150000 = 1,500 baht), not %(value)s",
                  value=json.dumps(instance)[:40])]
    if rule == "type":
        expected = " / ".join(_type_phrase(t) for t in ([limit] if isinstance(limit, str) else limit))
        return [_("must be %(expected)s, not %(found)s", expected=expected, found=_type_phrase(_kind(instance)))]
    if rule == "minimum" and is_price:
        return [_("a price cannot be negative")]
    messages = {
        "minimum": lambda: _("must be at least %(limit)s", limit=limit),
        "exclusiveMinimum": lambda: _("must be more than %(limit)s", limit=limit),
        "maximum": lambda: _("must be at most %(limit)s", limit=limit),
        "minItems": lambda: ngettext("needs at least %(num)d entry", "needs at least %(num)d entries", limit),
        "maxItems": lambda: _("has more than %(num)d entries", num=limit),
        "minLength": lambda: _("must not be empty"),
        "maxLength": lambda: _("must be at most %(num)d characters long", num=limit),
        "pattern": lambda: _pattern_hint(field_name),
        "enum": lambda: _("must be one of %(values)s", values=", ".join(json.dumps(v) for v in limit)),
        "const": lambda: _("must be %(value)s", value=json.dumps(limit)),
        "uniqueItems": lambda: _("lists the same value twice"),
    }
    return [messages[rule]() if rule in messages else _("is not valid (%(rule)s)", rule=rule)]


# -- stage 3: meaning, native format ---------------------------------------------------------

def _read_native(doc: dict, problems: ProblemList, max_seats: int) -> DraftPlan | None:
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


# -- stage 4: geometry, and the finished plan ------------------------------------------------

def _overlap_problems(draft: DraftPlan, problems: ProblemList) -> None:
    """Report each seat whose circle overlaps one placed before it (touching is fine).

    A grid of cells one seat wide finds the neighbours; a seat that overlaps is reported and left
    out of the grid, so every cell holds a few seats at most and the check stays linear even when
    a whole block sits on one point.
    """
    cell, limit = 2 * draft.seat_radius, (2 * draft.seat_radius - 1e-6) ** 2
    grid: dict[tuple[int, int], list[int]] = {}
    for i, seat in enumerate(draft.seats):
        cx, cy = math.floor(seat.x / cell), math.floor(seat.y / cell)
        other = next((j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in grid.get((cx + dx, cy + dy), ())
                      if (seat.x - draft.seats[j].x) ** 2 + (seat.y - draft.seats[j].y) ** 2 < limit), None)
        if other is None:
            grid.setdefault((cx, cy), []).append(i)
        else:
            hit = draft.seats[other]
            problems.add(draft.seat_paths[i], _(
                'seat "%(seat)s" of row "%(row)s" overlaps seat "%(other)s" of row "%(other_row)s" at %(other_path)s',
                seat=seat.label, row=seat.row_label, other=hit.label, other_row=hit.row_label,
                other_path=draft.seat_paths[other]))


def _normalised(draft: DraftPlan) -> SeatingPlan:
    """The plan with seats moved so that the top-left seat edge touches 0,0 (drawings need no offset)."""
    r = float(draft.seat_radius)
    dx, dy = r - min(s.x for s in draft.seats), r - min(s.y for s in draft.seats)
    seats = [replace(s, x=round(s.x + dx, 3), y=round(s.y + dy, 3)) for s in draft.seats]
    return SeatingPlan(draft.name_th, draft.name_en, draft.is_example, r,
                       width=max(s.x for s in seats) + r, height=max(s.y for s in seats) + r,
                       categories=draft.categories, stands=draft.stands, sections=draft.sections, seats=seats)
