"""What a map is made of (the spec types every reader builds), and how problems are collected.

A reader turns a file into a DraftPlan, reporting into a ProblemList; ``normalised`` makes the
finished SeatingPlan once every check has passed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _

#: problems kept per file; a broken 50,000-seat file must not flood the screen or the memory
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    path: str  #: JSON path such as 'stands[1].sections[0].rows[4]'; '' for the whole file
    message: str  #: already translated

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message

    def sentence(self) -> str:
        """The problem as a sentence for a person, with the place said in words (no JSON path):
        'In stand 2, section 1, row 5 of the file: duplicate seat label "12".'"""
        message = self.message[:1].upper() + self.message[1:]
        if not self.path:
            return _("%(problem)s.", problem=message)
        return _("In %(place)s of the file: %(problem)s.", place=plain_place(self.path), problem=self.message)


#: what a list in a map file holds, for saying a place in words (n counts from 1, in file order)
def _list_words() -> dict:
    return {"stands": lambda n: _("stand %(n)d", n=n), "sections": lambda n: _("section %(n)d", n=n),
            "rows": lambda n: _("row %(n)d", n=n), "seats": lambda n: _("seat %(n)d", n=n),
            "blocks": lambda n: _("block %(n)d", n=n), "categories": lambda n: _("category %(n)d", n=n),
            "zones": lambda n: _("zone %(n)d", n=n), "areas": lambda n: _("area %(n)d", n=n),
            "row_labels": lambda n: _("row label %(n)d", n=n),
            "aisles_after": lambda n: _("aisle number %(n)d", n=n), "gaps": lambda n: _("gap number %(n)d", n=n)}


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def plain_place(path: str) -> str:
    """'stands[1].sections[0].rows[4]' -> 'stand 2, section 1, row 5'; a field is named in quotes
    ('category 2, the field "price_satang"'). Numbers count from 1 in the order of the file."""
    words, lists = [], _list_words()
    parts = [(m.group(1), m.group(2)) for m in _PART.finditer(path)]
    for i, (name, index) in enumerate(parts):
        if name is None:
            continue
        following = parts[i + 1][1] if i + 1 < len(parts) else None
        if following is not None:
            say = lists.get(name)
            words.append(say(int(following) + 1) if say else
                         _('entry %(n)d of "%(field)s"', n=int(following) + 1, field=name))
        else:
            words.append(_('the field "%(field)s"', field=name))
    return ", ".join(words) or _("the file")


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
    sold_whole: bool = False  #: the seat's row is a table sold whole


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
    #: "native" or "pretix" (a pretix plan has no prices: the import asks for them)
    source: str = "native"


class MapError(Exception):
    """The file is not a usable map; ``problems`` says everything that is wrong with it."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def fail(message: str, path: str = ""):
    """Stop at a problem that leaves nothing else worth checking."""
    raise MapError([Problem(path, message)])


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


# -- what a reader builds --------------------------------------------------------------------

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
    source: str = "native"


class SectionRows:
    """The seats of one section, grouped by row label; rows keep the order they first appear in.

    Adding a seat to a row label seen before continues that row, which is how a row split by a
    walkway (two blocks, or two pretix row segments) stays one row.
    """

    def __init__(self, stand_code: str, section_code: str):
        self.stand_code, self.section_code = stand_code, section_code
        self.rows: dict[str, dict[str, tuple[float, float, str, str]]] = {}
        #: labels of the rows that are tables sold whole
        self.tables: set[str] = set()

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
                                            category, row_label in self.tables))
                draft.seat_paths.append(path)


def normalised(draft: DraftPlan) -> SeatingPlan:
    """The plan with seats moved so that the top-left seat edge touches 0,0 (drawings need no offset)."""
    r = float(draft.seat_radius)
    dx, dy = r - min(s.x for s in draft.seats), r - min(s.y for s in draft.seats)
    seats = [replace(s, x=round(s.x + dx, 3), y=round(s.y + dy, 3)) for s in draft.seats]
    return SeatingPlan(draft.name_th, draft.name_en, draft.is_example, r,
                       width=max(s.x for s in seats) + r, height=max(s.y for s in seats) + r,
                       categories=draft.categories, stands=draft.stands, sections=draft.sections, seats=seats,
                       source=draft.source)
