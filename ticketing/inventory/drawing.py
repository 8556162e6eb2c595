"""Draw a session's seat map as one SVG string (3,000 seats in one request).

Each seat is a circle whose classes say its state (a=available, h=held, s=sold, b=blocked),
its category (c<ID>) and its allocation (o<ID>); colours come from a <style> block, so the
per-seat markup stays short. ``data-id`` is the seat id, ``data-t`` "section/row/seat" for the
tooltip the page script shows on hover or tap.
"""
from collections import defaultdict

from markupsafe import escape

from .services import SeatView

STATE_CLASS = {"available": "a", "held": "h", "sold": "s", "blocked": "b"}
STATE_COLORS = {"held": "#e040fb", "sold": "#9aa0a6", "blocked": "#111111", "other": "#e3e5e8"}
#: one colour per member organization, in display order (colour-blind friendly, Okabe–Ito + extras)
ORG_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f3c8d", "#8c564b", "#999933",
              "#3969ac", "#f2b701", "#e73f74")


def org_color(index: int) -> str:
    return ORG_COLORS[index % len(ORG_COLORS)]


def _style(categories, org_colors: dict[int, str], own_org_id: int | None) -> str:
    rules = [".seat{stroke-width:1.2}", ".h{fill:%s}" % STATE_COLORS["held"],
             ".s{fill:%s}" % STATE_COLORS["sold"], ".b{fill:%s}" % STATE_COLORS["blocked"],
             ".sel{stroke:#000!important;stroke-width:2.5}", "text{font:7px Sarabun,sans-serif;fill:#333}"]
    for c in categories:
        rules.append(".c%d{stroke:%s}.a.c%d{fill:%s}" % (c.id, c.color, c.id, c.color))
    if own_org_id is None and org_colors:
        # The allocation view: the shared pool's free seats are rings in their category's colour, so
        # that an organization's colour (solid) is never mistaken for a category's.
        rules.append(".a{fill:#fff!important;stroke-width:2.2}")
    for org_id, color in org_colors.items():
        if own_org_id is None:
            rules.append(".a.o%d{fill:%s!important;stroke:%s}" % (org_id, color, color))
        elif org_id != own_org_id:
            rules.append(".a.o%d{fill:%s;stroke:%s}" % (org_id, STATE_COLORS["other"], STATE_COLORS["other"]))
    if own_org_id is not None:
        rules.append(".a.o%d{stroke:#111;stroke-width:2}" % own_org_id)
        # seats allocated to the online shop: no counter sells them
        rules.append(".a.on{fill:%s;stroke:%s}" % (STATE_COLORS["other"], STATE_COLORS["other"]))
    else:
        rules.append(".a.on{fill:#fff!important;stroke:#111;stroke-dasharray:2 1}")
    return "".join(rules)


def _section_labels(seats: list[SeatView], radius: float) -> list[str]:
    """The section code above each section's seats."""
    boxes = defaultdict(lambda: [float("inf"), float("inf"), float("-inf")])
    for s in seats:
        box = boxes[s.section]
        box[0], box[1], box[2] = min(box[0], s.x), min(box[1], s.y), max(box[2], s.x)
    return ['<text x="%g" y="%g" text-anchor="middle">%s</text>' % ((b[0] + b[2]) / 2, b[1] - radius - 2, escape(code))
            for code, b in boxes.items()]


def render_svg(seats: list[SeatView], seating_map, categories, org_colors: dict[int, str],
               own_org_id: int | None = None) -> str:
    """``org_colors`` maps organization id -> colour; ``own_org_id`` switches to the seller's view
    (its own allocation outlined, other organizations' seats greyed out)."""
    r = seating_map.seat_radius
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="seatmap" viewBox="0 -10 %g %g" role="img">'
             % (seating_map.width, seating_map.height + 10),
             "<style>", _style(categories, org_colors, own_org_id), "</style>"]
    parts += _section_labels(seats, r)
    for s in seats:
        org = " o%d" % s.organization_id if s.organization_id is not None else " on" if s.online else ""
        parts.append('<circle class="seat %s c%d%s" cx="%g" cy="%g" r="%g" data-id="%d" data-t="%s/%s/%s"/>' % (
            STATE_CLASS[s.state], s.category_id, org, s.x, s.y, r, s.id,
            escape(s.section), escape(s.row), escape(s.label)))
    parts.append("</svg>")
    return "".join(parts)
