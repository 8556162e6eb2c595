"""Money is integer satang (1 baht = 100 satang), never float."""
import re

SATANG_PER_BAHT = 100
#: the largest amount anyone types (10,000 million baht): far above any festival, far below what a
#: 64-bit database integer holds, so a typo never reaches the database as an overflow
MAX_SATANG = 10**12


def format_thb(satang: int) -> str:
    """12345 -> '123.45'; 150000 -> '1,500.00'."""
    if not isinstance(satang, int):
        raise TypeError("satang must be an int")
    sign = "-" if satang < 0 else ""
    baht, rest = divmod(abs(satang), SATANG_PER_BAHT)
    return f"{sign}{baht:,}.{rest:02d}"


THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
AMOUNT_RE = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?", re.ASCII)


def parse_baht(text: str) -> int:
    """'1,500.50' -> 150050 (Thai digits accepted). Raises ValueError unless it is an exact,
    non-negative amount with at most two decimals, up to ``MAX_SATANG``."""
    match = AMOUNT_RE.fullmatch(text.strip().translate(THAI_DIGITS))
    if not match:
        raise ValueError(text)
    whole, frac = match.group(1).replace(",", ""), match.group(2) or ""
    if len(whole) > 13:
        raise ValueError(text)
    satang = int(whole) * SATANG_PER_BAHT + int(frac.ljust(2, "0"))
    if satang > MAX_SATANG:
        raise ValueError(text)
    return satang
