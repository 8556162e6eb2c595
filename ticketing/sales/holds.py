"""Holds (seats a seller is composing an order with) and "best N adjacent seats".

A hold has an expiry and nothing sweeps it: every query treats an expired hold as free
(``inventory.models.seat_is_free``), so correctness never waits for a background job.
"""
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, tuple_, update

from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..inventory.models import SeatInventory, in_shared_pool, live_hold_of, seat_is_free
from ..i18n import localized
from ..inventory.services import SeatView, categories_for_session, seat_views
from ..seating.models import Seat
from ..timeutil import utcnow

MAX_HOLD = 50


def free_for(actor, now):
    """Seats ``actor`` may take now: free (or held by itself, or an expired hold), in the pool or its allocation."""
    free = or_(seat_is_free(now), live_hold_of(actor.id, now))
    mine = or_(in_shared_pool(), SeatInventory.organization_id == actor.organization_id)
    return and_(free, mine)


def hold_seats(actor, session: FestivalSession, seat_ids: list[int]) -> tuple[list[int], list[int]]:
    """Hold what can be held; return (held, refused). Holding again extends the expiry."""
    if len(seat_ids) > MAX_HOLD:
        raise Invalid(_("Hold at most %(n)d seats at a time.", n=MAX_HOLD), code="too_many_seats")
    if not seat_ids:
        return [], []
    seat_ids = whole_tables(session.id, seat_ids)  # a seat of a table sold whole holds the whole table
    now = utcnow()
    expires = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    db.session.execute(update(SeatInventory).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(seat_ids), free_for(actor, now))
        .values(state="held", held_by_id=actor.id, hold_expires_at=expires, updated_at=now))
    held = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(seat_ids),
        SeatInventory.state == "held", SeatInventory.held_by_id == actor.id)))
    return sorted(held), sorted(set(seat_ids) - held)


def release_holds(actor, session: FestivalSession, seat_ids: list[int] | None = None) -> int:
    """Free the actor's holds (some, or all in the session)."""
    query = update(SeatInventory).where(SeatInventory.session_id == session.id, SeatInventory.state == "held",
                                        SeatInventory.held_by_id == actor.id)
    if seat_ids is not None:
        query = query.where(SeatInventory.seat_id.in_(whole_tables(session.id, seat_ids)))
    return db.session.execute(query.values(state="available", held_by_id=None, hold_expires_at=None,
                                           updated_at=utcnow())).rowcount


# --- best seats for a group ------------------------------------------------------------------
#
# A group is proposed, in this order of preference:
#   1. one run of adjacent seats in a row (front first, then nearest the section's centre);
#   2. a block over adjacent rows: the same seat numbers one behind the other (6 = 3 + 3, 5 = 3 + 2),
#      in as few rows as possible, front first, then centre;
#   3. the fewest runs close to each other (each run adjacent seats in a row).
# A table sold whole (``Seat.sold_whole``) is one unit: all its seats or none.

MAX_GROUP = 20
#: most rows a block may span (20 seats = 4 rows of 5)
MAX_BLOCK_ROWS = 4
#: how many starting places the "few runs close together" search tries
MAX_ANCHORS = 40


@dataclass
class Segment:
    """Free seats next to each other in one row (or a whole table), in drawing order."""
    section_id: int
    row_index: int
    seats: list[SeatView]
    table: bool = False


@dataclass
class Proposal:
    """The seats proposed to a group and how they sit: ``kind`` is row, block or runs."""
    kind: str
    runs: list[list[SeatView]]

    @property
    def seat_ids(self) -> list[int]:
        return [s.id for run in self.runs for s in run]

    def lines(self) -> list[str]:
        """Where each run is, said plainly: "Section A1 · row 2 · seats 4–6"."""
        said = []
        for run in self.runs:
            first = run[0]
            if first.sold_whole:
                said.append(_("Section %(section)s · table %(row)s (%(n)d seats)", section=first.section,
                              row=first.row, n=len(run)))
            elif len(run) == 1:
                said.append(_("Section %(section)s · row %(row)s · seat %(seat)s", section=first.section,
                              row=first.row, seat=first.label))
            else:
                labels = [s.label for s in run]
                if all(label.isdigit() for label in labels):  # 13–16 also when numbered right to left
                    labels = sorted(labels, key=int)
                said.append(_("Section %(section)s · row %(row)s · seats %(first)s–%(last)s", section=first.section,
                              row=first.row, first=labels[0], last=labels[-1]))
        return said

    def summary(self) -> str:
        n = len(self.seat_ids)
        if self.kind == "row":
            return _("%(n)d seats side by side in one row.", n=n)
        if self.kind == "block":
            return _("No %(n)d seats side by side: %(n)d seats in %(rows)d rows, one behind the other "
                     "(the same seat numbers front and back).", n=n, rows=len(self.runs))
        return _("No %(n)d seats side by side or in a block: %(n)d seats in %(runs)d groups close to each other.",
                 n=n, runs=len(self.runs))


def _pitch(row: list[SeatView]) -> float:
    gaps = [b.x - a.x for a, b in zip(row, row[1:]) if b.x > a.x]
    return min(gaps) if gaps else 0


def _segments(all_seats: list[SeatView], free: set[int]) -> list[Segment]:
    """Maximal runs of free seats, judged against the whole row (a sold seat or an aisle between two
    free seats splits them); a table sold whole is one segment when every seat of it is free."""
    rows = defaultdict(list)
    for s in all_seats:
        rows[(s.section_id, s.row_index, s.row)].append(s)
    found = []
    for (section_id, row_index, _label), row in rows.items():
        if row[0].sold_whole:
            if all(s.id in free for s in row):
                found.append(Segment(section_id, row_index, list(row), table=True))
            continue
        row = sorted(row, key=lambda s: s.x)
        pitch = _pitch(row)
        current: list[SeatView] = []
        for before, seat in zip([None] + row[:-1], row):
            joined = before is not None and before.id in free and seat.x - before.x <= pitch * 1.5
            if seat.id not in free:
                if current:
                    found.append(Segment(section_id, row_index, current))
                current = []
            elif joined and current:
                current.append(seat)
            else:
                if current:
                    found.append(Segment(section_id, row_index, current))
                current = [seat]
        if current:
            found.append(Segment(section_id, row_index, current))
    return found


def _centres(all_seats: list[SeatView]) -> dict[int, float]:
    xs = defaultdict(list)
    for s in all_seats:
        xs[s.section_id].append(s.x)
    return {k: (min(v) + max(v)) / 2 for k, v in xs.items()}


def _off_centre(run: list[SeatView], centres: dict[int, float]) -> float:
    return abs((run[0].x + run[-1].x) / 2 - centres[run[0].section_id])


def _one_row(segments: list[Segment], count: int, centres) -> Proposal | None:
    best, best_key = None, None
    for seg in segments:
        if seg.table:
            windows = [seg.seats] if len(seg.seats) == count else []
        else:
            windows = [seg.seats[i:i + count] for i in range(len(seg.seats) - count + 1)]
        for run in windows:
            key = (seg.row_index, _off_centre(run, centres))
            if best_key is None or key < best_key:
                best, best_key = run, key
    return Proposal("row", [best]) if best else None


def _block(segments: list[Segment], count: int, centres) -> Proposal | None:
    """The same seat numbers over 2, 3 or 4 adjacent rows of a section; the last row may be shorter."""
    where = {}  # (section, row index, seat label) -> (segment number, position in it)
    for n, seg in enumerate(segments):
        if not seg.table:
            for i, s in enumerate(seg.seats):
                where[(seg.section_id, seg.row_index, s.label)] = (n, i)
    for rows in range(2, min(MAX_BLOCK_ROWS, count) + 1):
        width = -(-count // rows)
        last = count - width * (rows - 1)
        if last < 1:
            continue
        best, best_key = None, None
        for seg in segments:
            if seg.table or len(seg.seats) < width:
                continue
            for i in range(len(seg.seats) - width + 1):
                front = seg.seats[i:i + width]
                runs, ok = [front], True
                for j in range(1, rows):
                    wanted = front if j < rows - 1 else front[(width - last) // 2:(width - last) // 2 + last]
                    places = [where.get((seg.section_id, seg.row_index + j, s.label)) for s in wanted]
                    if None in places or len({p[0] for p in places}) != 1 or \
                            sorted(p[1] for p in places) != list(range(min(p[1] for p in places),
                                                                        min(p[1] for p in places) + len(places))):
                        ok = False
                        break
                    behind = segments[places[0][0]].seats
                    runs.append(sorted((behind[p[1]] for p in places), key=lambda s: s.x))
                if ok:
                    key = (seg.row_index, _off_centre(front, centres))
                    if best_key is None or key < best_key:
                        best, best_key = runs, key
        if best:
            return Proposal("block", best)
    return None


def _distance(seat: SeatView, point: tuple[float, float]) -> float:
    return math.hypot(seat.x - point[0], seat.y - point[1])


def _segment_distance(seg: Segment, point) -> float:
    """How far the segment's nearest seat is from ``point`` (a row's seats share one y; a table is small)."""
    if seg.table:
        return min(_distance(s, point) for s in seg.seats)
    left, right = seg.seats[0].x, seg.seats[-1].x
    return math.hypot(max(left - point[0], 0, point[0] - right), seg.seats[0].y - point[1])


def _nearest_window(seg: Segment, size: int, point) -> list[SeatView]:
    if seg.table:
        return list(seg.seats)
    windows = [seg.seats[i:i + size] for i in range(len(seg.seats) - size + 1)]
    return min(windows, key=lambda w: sum(_distance(s, point) for s in w))


def _few_runs(segments: list[Segment], count: int, centres, pitch: float) -> Proposal | None:
    """Greedy from each good starting run: add the nearby segment that seats the most of those still
    standing, until everyone sits; the proposal with the fewest runs (then the tightest) wins."""
    usable = [s for s in segments if not s.table or len(s.seats) <= count]
    anchors = sorted(usable, key=lambda s: (s.row_index, _off_centre(s.seats, centres)))[:MAX_ANCHORS]
    best, best_key = None, None
    for anchor in anchors:
        first = _nearest_window(anchor, min(len(anchor.seats), count),
                                (centres[anchor.section_id], anchor.seats[0].y))
        runs, chosen, need = [first], {id(anchor)}, count - len(first)
        while need > 0:
            taken = [s for run in runs for s in run]
            point = (sum(s.x for s in taken) / len(taken), sum(s.y for s in taken) / len(taken))
            options = [(_segment_distance(seg, point), seg) for seg in usable
                       if id(seg) not in chosen and not (seg.table and len(seg.seats) > need)]
            if not options:
                break
            nearest = min(d for d, _seg in options)
            near = [(d, seg) for d, seg in options if d <= nearest * 1.5 + 2 * pitch]
            _d, seg = max(near, key=lambda o: (min(len(o[1].seats), need), -o[0]))
            run = _nearest_window(seg, min(len(seg.seats), need), point)
            runs.append(run)
            chosen.add(id(seg))
            need -= len(run)
        if need > 0:
            continue
        taken = [s for run in runs for s in run]
        point = (sum(s.x for s in taken) / len(taken), sum(s.y for s in taken) / len(taken))
        key = (len(runs), sum(_distance(s, point) for s in taken))
        if best_key is None or key < best_key:
            best, best_key = runs, key
    if best is None:
        return None
    return Proposal("runs", sorted(best, key=lambda r: (r[0].row_index, r[0].x)))


def propose_group(actor, session: FestivalSession, count: int, category: str | None = None,
                  section: str | None = None) -> Proposal:
    """Seats for a group of ``count`` (1-20) that the actor may sell, sitting as close together as they can:
    one row, else a block over adjacent rows, else the fewest runs close to each other. Seats the actor
    holds count as free (asking again replaces the previous proposal). Raises Invalid, saying what is
    possible, when there are not enough seats."""
    now = utcnow()
    mine = {None, actor.organization_id}
    held_by_me = set(db.session.scalars(select(SeatInventory.seat_id).where(
        SeatInventory.session_id == session.id, live_hold_of(actor.id, now))))

    def free_for_me(s: SeatView) -> bool:
        return (s.state == "available" or s.id in held_by_me) and s.organization_id in mine and not s.online \
            and section in (None, "", s.section)

    return propose_seats(session, count, category, free_for_me)


def propose_seats(session: FestivalSession, count: int, category: str | None,
                  free_for_me: Callable[[SeatView], bool]) -> Proposal:
    """``propose_group``'s search over the seats ``free_for_me`` accepts (the counter's or the shop's)."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_GROUP:
        raise Invalid(_("Ask for 1 to 20 seats."), details={"count": _("Ask for 1 to 20 seats.")})
    categories = categories_for_session(session)
    category_ids = {c.id for c in categories if category in (None, "", c.code)}
    if not category_ids:
        raise Invalid(_("Unknown category."), details={"category": _("Unknown category.")})
    seats = seat_views(session.id)
    free = {s.id for s in seats if free_for_me(s) and s.category_id in category_ids}
    segments = _segments(seats, free)
    centres = _centres(seats)
    pitch = min((p for p in (_pitch(sorted(seg.seats, key=lambda s: s.x)) for seg in segments if not seg.table)
                 if p > 0), default=10)
    proposal = (_one_row(segments, count, centres) or (_block(segments, count, centres) if count > 1 else None)
                or _few_runs(segments, count, centres, pitch))
    if proposal is not None:
        return proposal
    raise _impossible(count, segments, seats, categories, category, free_for_me)


def _impossible(count, segments, seats, categories, category, free_for_me) -> Invalid:
    """Say how many seats could be sold together instead, and where more are free."""
    sellable = sum(len(seg.seats) for seg in segments if not seg.table or len(seg.seats) <= count)
    if sellable:
        message = _("Only %(free)d seats are free for you here, not %(n)d. Ask for %(free)d or fewer, "
                    "or choose another category.", free=sellable, n=count)
    else:
        message = _("No seat is free for you here.")
    if category:
        per_category = defaultdict(int)
        for s in seats:
            if free_for_me(s):
                per_category[s.category_id] += 1
        others = [(per_category[c.id], c) for c in categories if c.code != category and per_category[c.id] >= count]
        if others:
            n, c = max(others, key=lambda o: o[0])
            message += " " + _("Category %(category)s has %(n)d seats free for you.", category=localized(c), n=n)
    return Invalid(message, code="no_adjacent_seats", details={"count": message, "free": sellable})


def best_available(actor, session: FestivalSession, count: int, category: str | None = None,
                   section: str | None = None) -> list[int]:
    """The seat ids of ``propose_group`` (the API's ``best_available``)."""
    return propose_group(actor, session, count, category, section).seat_ids


def whole_tables(session_id: int, seat_ids: list[int]) -> list[int]:
    """``seat_ids`` with every seat of each table sold whole that any of them sits at."""
    if not seat_ids:
        return seat_ids
    tables = select(Seat.section_id, Seat.row_label).where(Seat.id.in_(seat_ids), Seat.sold_whole.is_(True))
    pairs = db.session.execute(tables).all()
    if not pairs:
        return seat_ids
    extra = db.session.scalars(select(Seat.id).where(
        Seat.sold_whole.is_(True), tuple_(Seat.section_id, Seat.row_label).in_(pairs)))
    return sorted(set(seat_ids) | set(extra))


def check_whole_tables(seat_ids: list[int]) -> None:
    """Refuse an order that takes some but not all seats of a table sold whole, naming the table."""
    if not seat_ids:
        return
    asked = set(seat_ids)
    tables = defaultdict(list)
    pairs = db.session.execute(select(Seat.section_id, Seat.row_label).where(
        Seat.id.in_(seat_ids), Seat.sold_whole.is_(True)).distinct()).all()
    if not pairs:
        return
    for seat_id, section_id, row_label in db.session.execute(select(Seat.id, Seat.section_id, Seat.row_label).where(
            Seat.sold_whole.is_(True), tuple_(Seat.section_id, Seat.row_label).in_(pairs))):
        tables[(section_id, row_label)].append(seat_id)
    for (_section, row_label), ids in tables.items():
        if not asked.issuperset(ids):
            message = _("Table %(table)s is sold whole: take all its %(n)d seats.", table=row_label, n=len(ids))
            raise Invalid(message, code="table_sold_whole", details={"seat_ids": message})
