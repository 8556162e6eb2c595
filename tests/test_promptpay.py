"""PromptPay payloads against the published vectors, and the QR decoded back."""
import pytest
import qrcode
import zxingcpp

from ticketing import promptpay


def test_phone_without_amount():
    assert promptpay.payload("0801234567") == \
        "00020101021129370016A000000677010111011300668012345675802TH530376463046197"


def test_tax_id_with_amount():
    assert promptpay.payload("1234567890123", 42000) == \
        "00020101021229370016A000000677010111021312345678901235802TH53037645406420.006304BF7B"


def test_crc_check_value():
    assert promptpay.crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize("target", ["", "12345", "08012345678", "abc", "๐๘๐๑๒๓๔๕๖๗", "1234567890123456"])
def test_bad_targets(target):
    with pytest.raises(ValueError):
        promptpay.payload(target)


@pytest.mark.parametrize("amount", [0, -100, 1.5])
def test_bad_amounts(amount):
    with pytest.raises(ValueError):
        promptpay.payload("0801234567", amount)


def test_qr_decodes_back():
    text = promptpay.payload("080-123-4567", 123456)
    assert "<svg" in promptpay.qr_svg(text)[:300]
    # zxing reads bitmaps: draw the same code with qrcode's PIL factory (the browser test decodes the SVG page).
    img = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M).convert("RGB")
    assert [r.text for r in zxingcpp.read_barcodes(img)] == [text]
