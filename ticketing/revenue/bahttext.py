"""Amounts in Thai words, as written on Thai cheques and receipts (like Excel's BAHTTEXT).

    baht_text(123_456_789) == "หนึ่งล้านสองแสนสามหมื่นสี่พันห้าร้อยหกสิบเจ็ดบาทแปดสิบเก้าสตางค์"

Rules: สิบ (not หนึ่งสิบ), ยี่สิบ for the twenties, เอ็ด for a 1 in the units place of a number of
more than one digit (สิบเอ็ด, หนึ่งร้อยเอ็ด, หนึ่งล้านเอ็ด), millions recurse (ล้านล้าน), a whole
amount ends in ถ้วน, satang follow the baht, a negative amount starts with ลบ.
"""

DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
MILLION = 1_000_000


def _below_million(n: int, ed: bool) -> str:
    """1..999,999 in words; ``ed``: a final 1 is read เอ็ด."""
    digits = str(n)
    words = []
    for i, char in enumerate(digits):
        digit, place = int(char), len(digits) - 1 - i
        if digit == 0:
            continue
        if place == 0:
            words.append("เอ็ด" if digit == 1 and ed else DIGITS[digit])
        elif place == 1:
            words.append("สิบ" if digit == 1 else "ยี่สิบ" if digit == 2 else DIGITS[digit] + "สิบ")
        else:
            words.append(DIGITS[digit] + PLACES[place])
    return "".join(words)


def number_text(n: int) -> str:
    """A non-negative whole number in Thai words: 21 -> ยี่สิบเอ็ด, 10**12 -> หนึ่งล้านล้าน."""
    if n == 0:
        return DIGITS[0]
    millions, rest = divmod(n, MILLION)
    words = number_text(millions) + "ล้าน" if millions else ""
    if rest:
        words += _below_million(rest, ed=n >= 10)
    return words


def baht_text(satang: int) -> str:
    """An amount of satang in Thai words: 2100 -> ยี่สิบเอ็ดบาทถ้วน, 50 -> ห้าสิบสตางค์."""
    if isinstance(satang, bool) or not isinstance(satang, int):
        raise TypeError(f"satang must be an int, not {type(satang).__name__}")
    if satang < 0:
        return "ลบ" + baht_text(-satang)
    baht, rest = divmod(satang, 100)
    if rest == 0:
        return number_text(baht) + "บาทถ้วน"
    words = number_text(baht) + "บาท" if baht else ""
    return words + number_text(rest) + "สตางค์"
