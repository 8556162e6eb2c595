"""A buyer's contact details as typed at the counter or sent to the API: each may be left empty, and
what is given must be usable (an e-mail address a ticket link can go to, a Thai phone number)."""
import re

from flask_babel import gettext as _

from ..errors import Invalid

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
#: the longest address the tables hold
MAX_EMAIL = 200
#: Thai numbers: 0 and 8 digits (landlines, 02 123 4567) or 9 digits (mobiles, 081 234 5678); +66 for the 0
THAI_PHONE_RE = re.compile(r"^0[1-9]\d{7,8}$")


def usable_email(text: str) -> bool:
    """An address a ticket link can be sent to (and that fits its column)."""
    return len(text) <= MAX_EMAIL and EMAIL_RE.match(text) is not None


def normalised_phone(text: str) -> str | None:
    """'081-234-5678', '+66 81 234 5678', '(02) 123 4567' -> '0812345678' / '021234567'; None if not a Thai number."""
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("+66"):
        digits = "0" + digits[3:].lstrip("0")
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    return digits if digits.isascii() and THAI_PHONE_RE.match(digits) else None


def clean_buyer(buyer) -> dict:
    """The buyer's name, phone (normalised) and e-mail, each stripped and possibly empty; refuses a phone
    or e-mail that cannot be used, naming the field."""
    buyer = buyer if isinstance(buyer, dict) else {}
    name = str(buyer.get("name") or "").strip()[:200]
    phone = str(buyer.get("phone") or "").strip()
    email = str(buyer.get("email") or "").strip()
    errors = {}
    if phone:
        normal = normalised_phone(phone)
        if normal is None:
            errors["buyer_phone"] = _("Give a Thai phone number such as 081 234 5678 or 02 123 4567, or leave it empty.")
        phone = normal or phone
    if email and not usable_email(email):
        errors["buyer_email"] = _("Give an e-mail address such as name@example.com, or leave it empty.")
    if errors:
        raise Invalid(_("Some values are wrong."), code="invalid_buyer", details=errors)
    return {"name": name, "phone": phone, "email": email}
