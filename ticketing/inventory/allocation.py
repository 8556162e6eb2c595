"""Fair allocation: deal the shared pool so that every member organization gets the same number
of seats (±1), the same mix of categories (±1 each) and the same mix of front and back rows.

Seats are dealt in small runs of adjacent seats (``run`` seats of one row) so that every
organization can still sell groups sitting together. Each category's front half (the front half of
every section's rows) and back half are dealt apart, the organizations taking turns, so every
organization gets the same front and back seats of each category, ±1.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .. import audit
from ..accounts.models import Organization
from ..accounts.services import member_organizations
from ..errors import Invalid
from ..extensions import db
from ..festivals.models import FestivalSession
from ..timeutil import utcnow
from .models import SeatInventory, in_shared_pool
from .services import SeatView, seat_views

DEFAULT_RUN = 4


def _front_rows(seats: list[SeatView]) -> set[tuple[int, int]]:
    """(section_id, row_index) pairs in the front half of their section."""
    depth = defaultdict(int)
    for s in seats:
        depth[s.section_id] = max(depth[s.section_id], s.row_index + 1)
    return {(s.section_id, s.row_index) for s in seats if s.row_index < depth[s.section_id] / 2}


def deal(seats: list[SeatView], org_ids: list[int], run: int = DEFAULT_RUN) -> dict[int, int]:
    """Return {seat_id: org_id} for ``seats`` (already in map order). Pure: no database."""
    totals = {o: 0 for o in org_ids}
    in_category: dict[int, dict[int, int]] = defaultdict(lambda: {o: 0 for o in org_ids})
    result: dict[int, int] = {}
    front = _front_rows(seats)
    buckets: dict[tuple[int, bool], list[SeatView]] = defaultdict(list)
    for s in seats:  # each category's front half and back half are dealt on their own, ±1 each
        buckets[(s.category_id, (s.section_id, s.row_index) not in front)].append(s)
    turn = 0
    for key in sorted(buckets):
        group = sorted(buckets[key], key=lambda s: s.row_index)  # stable: keeps map order within a row
        q, r = divmod(len(group), len(org_ids))
        # Extras go to whoever has fewest of this category so far, then fewest seats in all: each
        # category and the totals stay within ±1.
        extras = sorted(org_ids, key=lambda o: (in_category[key[0]][o], totals[o],
                                                (org_ids.index(o) - turn) % len(org_ids)))[:r]
        quota = {o: q + (o in extras) for o in org_ids}
        i = 0
        while i < len(group):
            while quota[org_ids[turn % len(org_ids)]] == 0:
                turn += 1
            org = org_ids[turn % len(org_ids)]
            row_key = (group[i].section_id, group[i].row)
            take = 0
            while i < len(group) and take < min(run, quota[org]) and (group[i].section_id, group[i].row) == row_key:
                result[group[i].id] = org
                i += 1
                take += 1
            quota[org] -= take
            totals[org] += take
            in_category[key[0]][org] += take
            turn += 1
    return result


def deal_equal_shares(actor, session: FestivalSession, run: int = DEFAULT_RUN) -> int:
    """Deal every free seat of the shared pool among the active member organizations."""
    if not isinstance(run, int) or not 1 <= run <= 20:
        raise Invalid(_("Seats dealt together must be between 1 and 20."), code="invalid_run",
                      details={"run": _("Between 1 and 20.")})
    orgs = member_organizations()
    if not orgs:
        raise Invalid(_("There is no active member organization to deal seats to."), code="no_organizations")
    pool = [s for s in seat_views(session.id)
            if s.state == "available" and s.organization_id is None and not s.online]
    dealt = deal(pool, [o.id for o in orgs], run)
    by_org = defaultdict(list)
    for seat_id, org_id in dealt.items():
        by_org[org_id].append(seat_id)
    now = utcnow()
    for org_id, ids in by_org.items():
        db.session.execute(
            SeatInventory.__table__.update()
            .where(SeatInventory.session_id == session.id, SeatInventory.seat_id.in_(ids),
                   in_shared_pool(), SeatInventory.state != "sold")
            .values(organization_id=org_id, updated_at=now))
    audit.record(actor, "inventory.equal_shares", "session", session.id, None,
                 {"run": run, "seats": {str(o): len(ids) for o, ids in by_org.items()}})
    return len(dealt)


@dataclass
class AllocationLine:
    """One line of the per-organization table (organization None = shared pool)."""
    organization: object
    total: int = 0
    sold: int = 0
    front: int = 0
    back: int = 0
    by_category: dict = field(default_factory=lambda: defaultdict(int))


def allocation_table(all_seats: list[SeatView]) -> list[AllocationLine]:
    """Seats per organization (and the shared pool), by category and front/back; blocked seats left out."""
    seats = [s for s in all_seats if s.state != "blocked"]
    front = _front_rows(seats)
    orgs = member_organizations()
    lines = {o.id: AllocationLine(o) for o in orgs}
    pool = AllocationLine(None)
    for s in seats:
        if s.organization_id is not None and s.organization_id not in lines:  # an organization made inactive
            lines[s.organization_id] = AllocationLine(db.session.get(Organization, s.organization_id))
        line = lines[s.organization_id] if s.organization_id is not None else pool
        line.total += 1
        line.sold += s.state == "sold"
        line.by_category[s.category_id] += 1
        if (s.section_id, s.row_index) in front:
            line.front += 1
        else:
            line.back += 1
    return [*lines.values(), pool]
