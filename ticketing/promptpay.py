"""Thai QR Payment (PromptPay) codes, made locally: the EMVCo merchant-presented payload that every
Thai banking app scans, for a phone number, a national/tax ID or an e-wallet ID, with the amount."""
import io
import re

import qrcode
import qrcode.image.svg

AID = "A000000677010111"
TARGET_TAGS = {"phone": "01", "tax_id": "02", "ewallet": "03"}


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _field(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def normalise_target(target: str) -> tuple[str, str]:
    """('phone', '0066801234567') from '080-123-4567'; ('tax_id', ...) for 13 digits; ('ewallet', ...) for 15.
    Raises ValueError for anything else."""
    digits = re.sub(r"[\s-]", "", target or "")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("a PromptPay ID has only digits")
    if len(digits) == 10 and digits.startswith("0"):
        return "phone", "0066" + digits[1:]
    if len(digits) == 13:
        return "tax_id", digits
    if len(digits) == 15:
        return "ewallet", digits
    raise ValueError("a PromptPay ID is a 10-digit phone number, a 13-digit ID or a 15-digit e-wallet ID")


def payload(target: str, amount_satang: int | None = None) -> str:
    """The text to put in the QR. ``amount_satang`` None makes a code where the payer types the amount."""
    kind, value = normalise_target(target)
    if amount_satang is not None and (not isinstance(amount_satang, int) or amount_satang <= 0):
        raise ValueError("amount must be a positive number of satang")
    parts = [_field("00", "01"), _field("01", "11" if amount_satang is None else "12"),
             _field("29", _field("00", AID) + _field(TARGET_TAGS[kind], value)),
             _field("58", "TH"), _field("53", "764")]
    if amount_satang is not None:
        parts.append(_field("54", f"{amount_satang // 100}.{amount_satang % 100:02d}"))
    text = "".join(parts) + "6304"
    return text + f"{crc16_ccitt_false(text.encode('ascii')):04X}"


def qr_svg(text: str) -> str:
    """An SVG drawing of ``text`` as a QR code (error correction M)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(text)
    buf = io.BytesIO()
    qr.make_image().save(buf)
    return buf.getvalue().decode()
