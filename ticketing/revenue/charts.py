"""Small server-drawn SVG bar charts (no JavaScript, print well, Thai labels in the page font)."""
from markupsafe import Markup, escape

from ..money import format_thb

BAR_COLOR = "#a8322d"


LABEL_MAX = 34


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[:LABEL_MAX - 1] + "…"


def bar_chart(rows: list[tuple[str, int]], title: str, width: int = 600, bar: int = 22) -> Markup:
    """Horizontal bars, one per (label, satang) row, with the amount in baht at the end."""
    if not rows:
        return Markup("")
    label_width, gap = 240, 6
    biggest = max((abs(v) for _l, v in rows), default=1) or 1
    height = len(rows) * (bar + gap) + 30
    room = width - label_width - 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 24 + i * (bar + gap)
        length = max(1, round(room * abs(value) / biggest))
        parts.append(f'<g><title>{escape(label)}: {format_thb(value)}</title>'
                     f'<text x="{label_width - 8}" y="{y + bar * 0.7:.0f}" text-anchor="end">{escape(_short(label))}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" fill="{BAR_COLOR}" rx="3"/>'
                     f'<text x="{label_width + length + 6}" y="{y + bar * 0.7:.0f}">{format_thb(value)}</text></g>')
    parts.append(f'<text x="0" y="14" font-weight="700">{escape(title)}</text></svg>')
    return Markup("".join(parts))
