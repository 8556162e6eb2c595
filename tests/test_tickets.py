"""Tickets on paper and on the phone: PDFs rendered, rasterized and their QR decoded and verified;
Thai text extracted back; the phone page; the API; the counter's print and e-mail."""
import email
import email.policy
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
import zxingcpp
from PIL import Image
from conftest import login
from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.models import OrderEmail, Ticket
from ticketing.sales.services import PaymentInput, sell
from ticketing.tickets import codes, pdf, services

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def order(make):
    session = make.festival().sessions[0]
    seller = make.user("seller1", roles=["seller"])
    seats = inventory.seat_views(session.id)
    result = sell(seller, session.id, [seats[0].id, seats[12].id], PaymentInput("cash"), {"email": "b@example.com"})
    db.session.commit()
    return result


def _rasterize(pdf_bytes: bytes, tmp_path, dpi=150) -> list[Path]:
    src = tmp_path / "t.pdf"
    src.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(src), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def _require_poppler():
    """Skip without poppler's pdftoppm, or fail when REQUIRE_POPPLER=1 (CI) says it must be there."""
    if not shutil.which("pdftoppm"):
        if os.environ.get("REQUIRE_POPPLER") == "1":
            pytest.fail("pdftoppm missing: apt-get install poppler-utils")
        pytest.skip("pdftoppm missing: apt-get install poppler-utils to run the PDF tests "
                    "(REQUIRE_POPPLER=1 turns this skip into a failure)")


@pytest.mark.parametrize("layout", ["a6", "80mm"])
def test_pdf_qr_decodes_to_a_code_that_verifies(order, tmp_path, layout):
    _require_poppler()
    data = pdf.render(pdf.ticket_views(order_id=order.id), layout).getvalue()
    pages = _rasterize(data, tmp_path)
    assert len(pages) == 2
    public = services.signing_key().public_key()
    seen = []
    for page in pages:
        found = zxingcpp.read_barcodes(Image.open(page))
        assert len(found) == 1
        claim = codes.verify(public, found[0].text)
        ticket = db.session.get(Ticket, claim.ticket_id)
        assert ticket.order_id == order.id and (claim.session_id, claim.seat_id) == (ticket.session_id, ticket.seat_id)
        seen.append(ticket.id)
    assert sorted(seen) == sorted(t.id for t in order.tickets)
    ARTIFACTS.mkdir(exist_ok=True)
    Image.open(pages[0]).save(ARTIFACTS / f"ticket-{layout}.png")


def test_pdf_thai_text_extracts_exactly(order, tmp_path):
    _require_poppler()
    src = tmp_path / "t.pdf"
    src.write_bytes(pdf.render(pdf.ticket_views(order_id=order.id), "a6").getvalue())
    text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ["งานแห่เทียน 2570", "รอบ 1 · 19 กรกฎาคม 2570 เวลา 07:00 น.", "แถวหน้า · Front · 1,500.00 บาท baht",
                     "ที่นั่ง VIP · ในนาม 9 องค์กรภาคเอกชน จังหวัดอุบลราชธานี", "อัฒจันทร์ Stand"]:
        assert expected in text, expected


def test_revoked_void_and_genuine_codes(order):
    first, second = order.tickets
    old_code = services.code_for(first)
    assert services.check(old_code).id == first.id
    services.reissue(None, first.id)
    db.session.commit()
    with pytest.raises(codes.InvalidCode, match="revoked"):
        services.check(old_code)
    assert services.check(services.code_for(first)).issue_no == 2
    code = services.code_for(second)
    second.status = "void"
    db.session.commit()
    with pytest.raises(codes.InvalidCode, match="void"):
        services.check(code)
    assert services.revocations(order.session_id) == {"void": [second.id], "reissued": {first.id: 2}}


def test_phone_page_and_images(client, order):
    resp = client.get(f"/t/{order.access_token}")
    page = resp.get_data(as_text=True)
    # Not kept by the HTTP cache (issue 14): the service worker keeps it for the gate (test_groups_browser).
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert page.count("<svg") == 2 and "A1" in page
    assert client.get("/t/not-a-token").status_code == 404
    ticket = order.tickets[0]
    png = client.get(f"/t/{order.access_token}/{ticket.id}.png")
    from io import BytesIO
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(png.data)))
    assert decoded[0].text == services.code_for(ticket)
    assert client.get(f"/t/{order.access_token}/{ticket.id}.svg").mimetype == "image/svg+xml"
    other = Ticket(id="00000000-0000-0000-0000-000000000000")
    assert client.get(f"/t/{order.access_token}/{other.id}.svg").status_code == 404
    assert client.get(f"/t/{order.access_token}/tickets-a6.pdf").mimetype == "application/pdf"
    assert client.get(f"/t/{order.access_token}/tickets-a4.pdf").status_code == 404


def test_api_order_carries_codes_and_pdf(client, order, make):
    treasurer = make.user("treasurer", roles=["treasurer"])
    token = issue_token(None, treasurer)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/orders/{order.id}", headers=headers).json
    public = services.signing_key().public_key()
    for t in body["tickets"]:
        assert codes.verify(public, t["code"]).ticket_id == t["id"]
    resp = client.get(f"/api/v1/orders/{order.id}/tickets.pdf", headers=headers)
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    key = client.get("/api/v1/tickets/public-key", headers=headers).json
    assert key["algorithm"] == "Ed25519" and "PUBLIC KEY" in key["public_key_pem"]
    assert client.get(f"/api/v1/sessions/{order.session_id}/revocations", headers=headers).json["void"] == []


def test_counter_receipt_links_and_email(client, order, app, tmp_path):
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    login(client, "seller1")
    page = client.get(f"/counter/orders/{order.id}").get_data(as_text=True)
    assert f"/t/{order.access_token}" in page and "tickets-a6.pdf" in page
    assert client.get(f"/counter/orders/{order.id}/tickets-80mm.pdf").data.startswith(b"%PDF")
    client.post(f"/counter/orders/{order.id}/email", data={"email": "not-an-address"})
    assert not (tmp_path / "outbox").exists()
    client.post(f"/counter/orders/{order.id}/email", data={"email": "buyer@example.com"})
    sent = list((tmp_path / "outbox").glob("*.eml"))
    assert len(sent) == 1
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "buyer@example.com" and f"/t/{order.access_token}" in message.get_content()


def test_a_mail_server_that_does_not_answer_is_said_not_a_500(client, order, app, make):
    """The counter's and the orders desk's "send the ticket e-mail": told in Thai that it did not go out."""
    import socket
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    make.user("admin1", roles=["admin"])
    for who, url, back in (("seller1", f"/counter/orders/{order.id}/email", f"/counter/orders/{order.id}"),
                           ("admin1", f"/orders/{order.id}/email", f"/orders/{order.id}")):
        login(client, who)
        answer = client.post(url, data={"email": "buyer@example.com"})
        assert answer.status_code == 302, (who, answer.status_code)
        assert "ส่งอีเมลถึง buyer@example.com ไม่ได้" in client.get(back).get_data(as_text=True), who
        client.post("/logout")
    assert db.session.scalar(select(func.count()).select_from(OrderEmail)) == 0  # none listed as sent


def test_the_ticket_email_says_where_to_have_it_sent_again(client, order, app, tmp_path):
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    login(client, "seller1")
    client.post(f"/counter/orders/{order.id}/email", data={"email": "buyer@example.com"})
    message = email.message_from_bytes(next((tmp_path / "outbox").glob("*.eml")).read_bytes(),
                                       policy=email.policy.default)
    assert "/shop/tickets-again" in message.get_content()


def test_bulk_pdf_command(runner, order, tmp_path):
    out = tmp_path / "all.pdf"
    result = runner.invoke(args=["tickets", "pdf", "--session", str(order.session_id), "--out", str(out)])
    assert result.exit_code == 0 and "2 tickets" in result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert runner.invoke(args=["tickets", "pdf", "--session", "999", "--out", str(out)]).exit_code == 1
    assert "BEGIN PUBLIC KEY" in runner.invoke(args=["tickets", "public-key"]).output
