"""Benchmark: render a 1,000-ticket PDF against bare reportlab pages carrying the same QR codes,
and count ticket codes signed and verified per second, all in the same run.

    .venv/bin/python bench/tickets.py [--tickets 1000]
"""
import argparse
import io
import os
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TICKETING_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfgen.canvas import Canvas

    from ticketing import create_app
    from ticketing.accounts.models import User
    from ticketing.demo import load_demo
    from ticketing.extensions import db
    from ticketing.inventory.services import seat_views
    from ticketing.sales.services import PaymentInput, sell
    from ticketing.tickets import codes
    from ticketing.tickets.pdf import draw_qr, render, ticket_views
    from ticketing.tickets.services import code_for, signing_key

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tempfile.mkdtemp()}/tickets.sqlite3"})
    with app.app_context():
        upgrade()
        load_demo()
        seller = db.session.scalar(db.select(User).where(User.username == "seller1"))
        session_id = 2  # the demo deals the first session in equal shares; the second is the shared pool
        seats = [s.id for s in seat_views(session_id)][:args.tickets]
        for start in range(0, len(seats), 20):
            sell(seller, session_id, seats[start:start + 20], PaymentInput("cash"))
        db.session.commit()
        views = ticket_views(session_id=session_id)
        qr_texts = [code_for(v.ticket) for v in views]

        start = time.perf_counter()
        full = render(views, "a6").getvalue()
        full_seconds = time.perf_counter() - start

        start = time.perf_counter()
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A6, pageCompression=1)
        for text in qr_texts:
            draw_qr(canvas, text, 30, 100, 240)
            canvas.showPage()
        canvas.save()
        bare_seconds = time.perf_counter() - start

        key = signing_key()
        ids = [str(uuid.uuid4()) for _ in range(5000)]
        start = time.perf_counter()
        signed = [codes.encode(key, i, 1, n, 1) for n, i in enumerate(ids)]
        sign_seconds = time.perf_counter() - start
        public = key.public_key()
        start = time.perf_counter()
        for code in signed:
            codes.verify(public, code)
        verify_seconds = time.perf_counter() - start

    n = len(views)
    import qrcode
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(qr_texts[0])
    qr.make()
    print(f"tickets: {n}   code length: {len(qr_texts[0])} characters   QR version: {qr.version} (error correction M)")
    print(f"{'what':<28}{'seconds':>9}{'tickets/s':>11}{'PDF KB':>9}")
    print(f"{'full ticket PDF (A6)':<28}{full_seconds:>9.2f}{n / full_seconds:>11.1f}{len(full) / 1024:>9.0f}")
    print(f"{'bare pages, same QR':<28}{bare_seconds:>9.2f}{n / bare_seconds:>11.1f}{len(out.getvalue()) / 1024:>9.0f}")
    print(f"ratio full/bare (tickets/s): {bare_seconds / full_seconds:.2f}")
    print(f"codes signed/s: {len(signed) / sign_seconds:,.0f}   verified/s: {len(signed) / verify_seconds:,.0f}")


if __name__ == "__main__":
    main()
