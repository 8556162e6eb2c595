"""Thai text in reportlab PDFs: the Sarabun font (from the fontpkg-sarabun package, the same family the
pages use), shaped with HarfBuzz so vowels and tone marks sit right, and tagged with ActualText so
copying or extracting the text gives back exactly what was written.

reportlab's own ``drawString(shaping=True)`` is ignored unless its bidi add-on is installed, so we
shape with ``shapeStr`` (uharfbuzz) and draw the shaped string ourselves.
"""
from functools import lru_cache

import fontpkg_sarabun
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr

REGULAR, BOLD = "Sarabun", "Sarabun-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> None:
    files = fontpkg_sarabun.ROOT / "files"
    pdfmetrics.registerFont(TTFont(REGULAR, str(files / "Sarabun-Regular.ttf"), shapable=True))
    pdfmetrics.registerFont(TTFont(BOLD, str(files / "Sarabun-Bold.ttf"), shapable=True))


def _actual_text(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _width(shaped: str, font: str, size: float) -> float:
    data = getattr(shaped, "__shapeData__", None)  # shapeStr returns a plain str when nothing changed
    if data is None:
        return pdfmetrics.stringWidth(shaped, font, size)
    return sum(d.x_advance for d in data) * size / 1000


def text_width(text: str, size: float, bold: bool = False) -> float:
    font = BOLD if bold else REGULAR
    return _width(shapeStr(text, font, size), font, size)


def draw(canvas, x: float, y: float, text: str, size: float, bold: bool = False, align: str = "left") -> None:
    """Draw ``text`` at (x, y); ``align`` is left, center or right of x."""
    if not text:
        return
    font = BOLD if bold else REGULAR
    shaped = shapeStr(text, font, size)
    if align != "left":
        width = _width(shaped, font, size)
        x -= width / 2 if align == "center" else width
    canvas.setFont(font, size)
    canvas._code.append(f"/Span <</ActualText {_actual_text(text)}>> BDC")
    canvas.drawString(x, y, shaped)
    canvas._code.append("EMC")


def fit(text: str, size: float, max_width: float, bold: bool = False, smallest: float = 6) -> float:
    """The largest size up to ``size`` at which ``text`` fits in ``max_width`` (width grows with size)."""
    width = text_width(text, size, bold)
    return size if width <= max_width else max(smallest, size * max_width / width)
