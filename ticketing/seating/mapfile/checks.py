"""The checks every format shares: a JSON Schema's findings in our own words (stage 2), the seat
limit, and no two seats overlapping (stage 4)."""
from __future__ import annotations

import json
import math
from itertools import islice

from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft202012Validator
from jsonschema.validators import extend

from .spec import MAX_PROBLEMS, DraftPlan, ProblemList, plain_place


# -- stage 2: structure ----------------------------------------------------------------------

def _is_integer(checker, instance) -> bool:
    """Only a JSON integer is one: jsonschema would also take 150.0, which is no satang amount."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = extend(Draft202012Validator,
                         type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


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


def kind(value) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    for name, types in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                        ("array", list), ("object", dict)):
        if isinstance(value, types):
            return name
    return "null"


def type_phrase(name: str) -> str:
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
        expected = " / ".join(type_phrase(t) for t in ([limit] if isinstance(limit, str) else limit))
        return [_("must be %(expected)s, not %(found)s", expected=expected, found=type_phrase(kind(instance)))]
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


# -- the seat limit --------------------------------------------------------------------------

def too_many_seats(count: int, max_seats: int, problems: ProblemList) -> bool:
    """Checked on the counts in the file, before any seat is built (a block can ask for 250,000)."""
    if count <= max_seats:
        return False
    problems.add("", _("the map would have %(count)s seats; the limit is %(limit)s",
                       count=f"{count:,}", limit=f"{max_seats:,}"))
    return True


# -- stage 4: geometry -----------------------------------------------------------------------

def overlap_problems(draft: DraftPlan, problems: ProblemList) -> None:
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
                other_path=plain_place(draft.seat_paths[other])))
