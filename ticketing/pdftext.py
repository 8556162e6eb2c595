"""Thai text in reportlab PDFs: the Sarabun font (from the fontpkg-sarabun package, the same family the
pages use), shaped with HarfBuzz so vowels and tone marks sit right, and tagged with ActualText so
copying or extracting the text gives back exactly what was written.

reportlab's own ``drawString(shaping=True)`` is ignored unless its bidi add-on is installed, so we
shape with ``shapeStr`` (uharfbuzz) and draw the shaped string ourselves.

``draw``, ``fit`` and ``text_width`` shape every time they are called: fine for a statement. A
document that writes the same words many times (a thousand tickets) uses a ``Typesetter``, which
shapes each string once and makes its PDF operators once for the whole document.
"""
from functools import lru_cache

import fontpkg_sarabun
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr

REGULAR, BOLD = "Sarabun", "Sarabun-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Sarabun registered with reportlab, and our PDFs' streams deflated without ASCII85 armour on top
    (a fifth smaller, and reportlab's pure-Python ASCII85 cost a thousand tickets 0.4 s). Set once for
    the process: switching it around each document would race between a server's threads."""
    rl_config.useA85 = 0
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


class Typesetter:
    """Text for one canvas, each string shaped once and written once.

    HarfBuzz's advances for Sarabun do not depend on the size (no hinting), so a string is shaped
    once per font and its width scales with the size. The PDF operators of a (string, font, size)
    are made once by reportlab's ``drawString`` at the origin; each use puts its own position in the
    text matrix (``BT 1 0 0 1 x y Tm …``). They hold the glyph codes of this document's font subsets,
    so a Typesetter belongs to one canvas and must not outlive it.
    """

    _AT_ORIGIN = "BT 1 0 0 1 0 0 Tm"

    def __init__(self, canvas):
        register_fonts()
        self.canvas = canvas
        self._shaped: dict = {}
        self._operators: dict = {}

    def _shape(self, text: str, font: str) -> tuple:
        found = self._shaped.get((text, font))
        if found is None:
            shaped = shapeStr(text, font, 10)
            found = self._shaped[text, font] = (shaped, _width(shaped, font, 1000) / 1000)
        return found

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return self._shape(text, BOLD if bold else REGULAR)[1] * size

    def fit(self, text: str, size: float, max_width: float, bold: bool = False, smallest: float = 6) -> float:
        """The largest size up to ``size`` at which ``text`` fits in ``max_width``."""
        width = self.width(text, size, bold)
        return size if width <= max_width else max(smallest, size * max_width / width)

    def _operators_for(self, text: str, font: str, size: float, align: str) -> tuple:
        """(before the position, after it, the shift of x for ``align``)."""
        key = (text, font, size, align)
        found = self._operators.get(key)
        if found is None:
            shaped, unit_width = self._shape(text, font)
            canvas, page_code = self.canvas, self.canvas._code
            canvas._code = []
            try:
                canvas.setFont(font, size)
                canvas.drawString(0, 0, shaped)
                written = " ".join(canvas._code)
            finally:
                canvas._code = page_code
            if not written.startswith(self._AT_ORIGIN):
                raise RuntimeError(f"reportlab wrote text in an unexpected form: {written[:40]!r}")
            shift = {"left": 0, "center": -unit_width * size / 2, "right": -unit_width * size}[align]
            found = self._operators[key] = (f"/Span <</ActualText {_actual_text(text)}>> BDC BT 1 0 0 1 ",
                                            f" Tm{written[len(self._AT_ORIGIN):]} EMC", shift)
        return found

    def draw(self, x: float, y: float, text: str, size: float, bold: bool = False, align: str = "left") -> None:
        """Draw ``text`` at (x, y) in the current fill colour; ``align`` is left, center or right of x."""
        if not text:
            return
        before, after, shift = self._operators_for(text, BOLD if bold else REGULAR, size, align)
        self.canvas._code.append(f"{before}{x + shift:.3f} {y:.3f}{after}")
