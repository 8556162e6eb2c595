"""The ticket's QR drawn fast: encoded by zxing-cpp (C++) at a fixed version and error correction, and
drawn as one PDF path.

A ticket code is 146 characters of base32, which QR's alphanumeric mode holds at version 6 with error
correction M (41 × 41 modules). Fixing both spares the encoder its search for a size; the mask is
still the one the standard's penalty rules pick. A code that ever outgrows version 6 still gets a QR,
at the smallest version that holds it.

The matrix becomes one path in module units: each row's runs of dark modules are one rectangle, and a
single ``cm`` scales the whole path to the printed size (quiet zone of 4 modules included).
"""
import re

import zxingcpp

VERSION = 6
ERROR_CORRECTION = "M"
QUIET_ZONE = 4
_DARK_RUN = re.compile(rb"\x00+")  # zxing-cpp's image: 0 for a dark module, 255 for a light one


def matrix(text: str) -> tuple[int, bytes]:
    """(n, modules): the n × n modules row by row from the top, 0 dark and 255 light, no quiet zone."""
    try:
        symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION,
                                         version=VERSION)
    except ValueError:  # longer than version 6 holds: let the encoder pick the version
        symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION)
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    return image.shape[0], image.tobytes()


def pdf_path(text: str, x: float, y: float, size: float) -> str:
    """PDF operators drawing ``text`` as a QR with its lower left corner at (x, y), ``size`` wide with
    the quiet zone: a white square, then every dark module in one black path. The graphics state is
    saved and restored around it."""
    n, modules = matrix(text)
    cell = size / (n + 2 * QUIET_ZONE)
    # the rows joined by a light module, so that one search finds every row's dark runs
    rows, width, top = b"\xff".join(modules[r * n:(r + 1) * n] for r in range(n)), n + 1, n - 1
    runs = "\n".join([f"{start % width} {top - start // width} {end - start} 1 re"
                      for start, end in (run.span() for run in _DARK_RUN.finditer(rows))])
    return (f"q 1 g {x:.3f} {y:.3f} {size:.3f} {size:.3f} re f 0 g "
            f"{cell:.5f} 0 0 {cell:.5f} {x + QUIET_ZONE * cell:.3f} {y + QUIET_ZONE * cell:.3f} cm\n{runs}\nf Q")
