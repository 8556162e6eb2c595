"""Money is integer satang (1 baht = 100 satang), never float."""

SATANG_PER_BAHT = 100


def format_thb(satang: int) -> str:
    """12345 -> '123.45'; 150000 -> '1,500.00'."""
    if not isinstance(satang, int):
        raise TypeError("satang must be an int")
    sign = "-" if satang < 0 else ""
    baht, rest = divmod(abs(satang), SATANG_PER_BAHT)
    return f"{sign}{baht:,}.{rest:02d}"


def parse_baht(text: str) -> int:
    """'1,500.50' -> 150050. Raises ValueError on anything that is not an exact amount."""
    cleaned = text.strip().replace(",", "")
    if not cleaned or cleaned.startswith(("+", "-")) and len(cleaned) == 1:
        raise ValueError(text)
    whole, _, frac = cleaned.partition(".")
    if not whole.lstrip("-").isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError(text)
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * SATANG_PER_BAHT + int(frac.ljust(2, "0") or 0))
