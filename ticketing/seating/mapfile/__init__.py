"""Seating-map files: read one (our native format or pretix's), check it, return a SeatingPlan.

``parse_map`` is the way in. The native format is described in ``seating_maps/README.md`` and
``seating_maps/schema.json``. Checking runs in stages and each stage reports every problem it
finds, each with the JSON path of what it is about:

1. the file itself: size (before anything is decoded), encoding, JSON syntax, nesting
   (``jsonload.py``);
2. structure, against a JSON Schema: types, required and unknown fields, ranges (``checks.py``,
   with each format's schema);
3. meaning: unique codes and labels, known categories, block arithmetic, the seat count
   (``native.py``, ``pretix.py``: each reader builds a DraftPlan of the types in ``spec.py``);
4. geometry: no two seats overlap (``checks.py``).

A stage runs only if the ones before it found nothing, because its checks rely on them (stage 4
runs whenever stage 3 could place the seats). No stage touches a database: a plan is returned
only when the whole file is good.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _

from . import native, pretix
from .checks import kind, overlap_problems, type_phrase
from .jsonload import duplicate_key_problems, load_json, read_text
from .spec import (MAX_PROBLEMS, CategorySpec, MapError, Problem, ProblemList, SeatingPlan, SeatSpec, SectionSpec,
                   StandSpec, fail, normalised)

__all__ = ["parse_map", "MapError", "Problem", "SeatingPlan", "CategorySpec", "StandSpec", "SectionSpec",
           "SeatSpec", "MAX_PROBLEMS"]


def parse_map(raw: bytes | str, *, max_bytes: int = 5_000_000, max_seats: int = 50_000) -> SeatingPlan:
    """Parse and validate a map file (native format or pretix's, detected automatically).

    Raises MapError with all problems found, each naming its JSON path. Never partially succeeds.
    """
    doc = load_json(read_text(raw, max_bytes))
    if not isinstance(doc, dict):
        fail(_("the top level must be a JSON object {…}, not %(kind)s", kind=type_phrase(kind(doc))))
    problems = ProblemList()
    duplicate_key_problems(doc, problems)
    draft = _reader_for(doc)(doc, problems, max_seats)
    if draft is not None:  # the seats could be placed, even if some are wrong: check where they are
        if not draft.seats and not problems:  # else the problems say why
            problems.add("", _("the map has no seats"))
        overlap_problems(draft, problems)
    problems.raise_if_any()
    return normalised(draft)


def _reader_for(doc: dict):
    if "zones" in doc:
        return pretix.read
    found = doc.get("format")
    if found == native.FORMAT:
        return native.read
    if found is None:
        fail(_('missing "format": a native map says "format": "%(format)s"; a pretix plan has "zones"',
               format=native.FORMAT))
    fail(_('unknown format %(found)s; expected "%(format)s"', found=json.dumps(found)[:60], format=native.FORMAT),
         "format")
