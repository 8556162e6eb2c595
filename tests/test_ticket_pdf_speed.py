"""The fast ticket PDF and the bulk session PDF drawn on several processes: every QR on every page
decodes to its ticket's signed code, in seat-map order; the Thai text extracts; the multi-process PDF
holds the same pages as the one-process PDF; progress adds up to the tickets. No timings here: the
figures are in bench/tickets.py."""
import io
import re
import subprocess
import threading

import pikepdf
import pytest
import zxingcpp
from PIL import Image
from test_tickets import _require_poppler
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import Ticket
from ticketing.sales.services import PaymentInput, sell
from ticketing.seating.models import Seat
from ticketing.tickets import bulk, codes, pdf, qr, services


@pytest.fixture
def sold_session(make):
    """Every seat of the small map (56) sold in orders of up to 10; the first seat's ticket void."""
    session = make.festival().sessions[0]
    seller = make.user("seller1", roles=["seller"])
    seats = [s.id for s in inventory.seat_views(session.id)]
    for start in range(0, len(seats), 10):
        sell(seller, session.id, seats[start:start + 10], PaymentInput("cash"))
    db.session.commit()
    void = db.session.scalar(db.select(Ticket).where(Ticket.session_id == session.id, Ticket.seat_id == seats[0]))
    void.status = "void"
    db.session.commit()
    return session


def _live_codes_in_seat_order(session_id) -> list[str]:
    return [services.code_for(view.ticket) for view in pdf.ticket_views(session_id=session_id)]


def _pages(pdf_bytes: bytes, tmp_path, name: str) -> list[tuple[str, str]]:
    """(the QR's text, the page's text) for every page, in order."""
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", "90", str(src), str(tmp_path / name)], check=True)
    images = sorted(tmp_path.glob(f"{name}-*.png"))
    text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")[:len(images)]
    pages = []
    for image, page_text in zip(images, text):
        found = zxingcpp.read_barcodes(Image.open(image), formats=zxingcpp.BarcodeFormat.QRCode)
        assert len(found) == 1, image.name
        pages.append((found[0].text, page_text))
    return pages


def _content(pdf_bytes: bytes) -> list[tuple[bytes, str]]:
    """(the QR as drawn: its path operators, the page's text) for every page, without rasterizing."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as document:
        drawn = [re.search(rb"q 1 g .*?\nf Q", page.Contents.read_bytes(), re.S).group(0) for page in document.pages]
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf_bytes, capture_output=True,
                          check=True).stdout.decode().split("\f")[:len(drawn)]
    return list(zip(drawn, text))


def _bulk(session_id, layout="a6", **kwargs) -> tuple[bytes, list[int]]:
    out, steps = io.BytesIO(), []
    written = bulk.session_pdf(session_id, out, layout, progress=steps.append, **kwargs)
    assert written == sum(steps)
    return out.getvalue(), steps


def test_qr_is_version_6_at_m_and_a_longer_code_still_gets_one(sold_session):
    code = _live_codes_in_seat_order(sold_session.id)[0]
    size, modules = qr.matrix(code)
    assert size == 17 + 4 * qr.VERSION == 41 and len(modules) == size * size and set(modules) == {0, 255}
    longer = code + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 2
    size, modules = qr.matrix(longer)
    assert size > 41
    picture = Image.frombytes("L", (size, size), modules).resize((size * 8, size * 8), Image.NEAREST)
    framed = Image.new("L", (size * 8 + 64, size * 8 + 64), 255)
    framed.paste(picture, (32, 32))
    decoded = zxingcpp.read_barcodes(framed)
    assert decoded[0].text == longer and decoded[0].ec_level == "M"


@pytest.mark.parametrize("layout", ["a6", "80mm"])
def test_every_qr_of_a_multi_process_session_pdf_is_its_signed_code_in_seat_order(sold_session, tmp_path, layout):
    _require_poppler()
    data, steps = _bulk(sold_session.id, layout, workers=2, chunk=10)
    assert len(steps) == 6  # 55 live tickets in parts of 10, each part reported as it was drawn
    pages = _pages(data, tmp_path, "bulk")
    assert [code for code, _text in pages] == _live_codes_in_seat_order(sold_session.id)
    public = services.signing_key().public_key()
    for code, text in pages:
        claim = codes.verify(public, code)
        ticket = db.session.get(Ticket, claim.ticket_id)
        assert ticket.status == "valid" and ticket.session_id == sold_session.id
        assert ticket.order_id[:8].upper() in text and db.session.get(Seat, ticket.seat_id).label in text


def test_multi_process_pdf_has_the_pages_of_the_one_process_pdf(sold_session, tmp_path):
    _require_poppler()
    one, one_steps = _bulk(sold_session.id, workers=1, chunk=10)
    many, many_steps = _bulk(sold_session.id, workers=2, chunk=10)
    assert sum(one_steps) == sum(many_steps) == 55 and len(many_steps) > 1
    one_pages = _content(one)
    assert len(one_pages) == 55 and len({qr_path for qr_path, _text in one_pages}) == 55
    assert _content(many) == one_pages
    assert _content(pdf.render(pdf.ticket_views(session_id=sold_session.id)).getvalue()) == one_pages
    assert [code for code, _text in _pages(many, tmp_path, "many")] == _live_codes_in_seat_order(sold_session.id)


def test_thai_text_of_every_bulk_page_extracts_exactly(sold_session, tmp_path):
    _require_poppler()
    data, _steps = _bulk(sold_session.id, workers=2, chunk=20)
    pages = _pages(data, tmp_path, "thai")
    assert len(pages) == 55
    front = 0
    for _code, text in pages:
        for expected in ["งานแห่เทียน 2570", "Candle Festival 2027", "รอบ 1 · 19 กรกฎาคม 2570 เวลา 07:00 น.",
                         "ที่นั่ง VIP · ในนาม 9 องค์กรภาคเอกชน จังหวัดอุบลราชธานี", "อัฒจันทร์ Stand", "ที่นั่ง Seat",
                         "แสดง QR นี้ที่ประตูทางเข้า · Show this QR at the gate", "ขายโดย องค์กร org"]:
            assert expected in text, (expected, text)
        front += "แถวหน้า · Front · 1,500.00 บาท baht" in text
    assert front == 9  # row 1 of A1 is the front category; one of its tickets is void


def test_bulk_pdf_from_a_process_with_other_threads(sold_session, tmp_path):
    """A web server has threads: the workers then come from a fork server, with the same result."""
    _require_poppler()
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait, daemon=True)
    waiting.start()
    try:
        data, steps = _bulk(sold_session.id, workers=2, chunk=30)
    finally:
        stop.set()
        waiting.join()
    assert sorted(steps) == [25, 30]
    assert [code for code, _text in _pages(data, tmp_path, "threaded")] == _live_codes_in_seat_order(sold_session.id)


def test_bulk_command_reports_progress_and_refuses_an_unknown_session(runner, sold_session, tmp_path):
    out = tmp_path / "all.pdf"
    result = runner.invoke(args=["tickets", "pdf", "--session", str(sold_session.id), "--out", str(out),
                                 "--workers", "2", "--layout", "80mm"])
    assert result.exit_code == 0, result.output
    assert "tickets" in result.output and "55 tickets written" in result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert runner.invoke(args=["tickets", "pdf", "--session", "999", "--out", str(out)]).exit_code == 1
    assert runner.invoke(args=["tickets", "pdf", "--session", str(sold_session.id), "--out", str(out),
                               "--workers", "0"]).exit_code == 2
