"""Benchmark: render a 1,000-ticket A6 PDF against bare reportlab pages carrying the same QR codes drawn
the naive way (python-qrcode picking the version, one rectangle per module), all in the same run; then
the bulk session PDF in one process and on every core; and ticket codes signed and verified per second.

    .venv/bin/python bench/tickets.py [--tickets 1000]

Its own scratch SQLite database in a temporary folder, with the demo festival loaded.
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


def naive_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR as the tickets drew it before: python-qrcode chooses version and mask, a rect per module."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell)
    canvas.drawPath(path, stroke=0, fill=1)


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


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
    from ticketing.tickets import codes, qr
    from ticketing.tickets.bulk import cores, session_pdf
    from ticketing.tickets.pdf import render, ticket_views
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
        render(views[:2], "a6")  # fonts loaded, as in a running server

        full_seconds, full = timed(lambda: render(views, "a6").getvalue())

        def bare():
            out = io.BytesIO()
            canvas = Canvas(out, pagesize=A6, pageCompression=1)
            for text in qr_texts:
                naive_qr(canvas, text, 30, 100, 240)
                canvas.showPage()
            canvas.save()
            return out.getvalue()

        bare_seconds, bare_pdf = timed(bare)
        one_seconds, one = timed(lambda: session_pdf(session_id, io.BytesIO(), "a6", workers=1))
        out = io.BytesIO()
        bulk_seconds, bulk = timed(lambda: session_pdf(session_id, out, "a6"))
        bulk_size = len(out.getvalue())

        key = signing_key()
        ids = [str(uuid.uuid4()) for _ in range(5000)]
        sign_seconds, signed = timed(lambda: [codes.encode(key, i, 1, n, 1) for n, i in enumerate(ids)])
        public = key.public_key()
        verify_seconds, _ = timed(lambda: [codes.verify(public, code) for code in signed])

    n = len(views)
    size, _modules = qr.matrix(qr_texts[0])
    print(f"tickets: {n}   code length: {len(qr_texts[0])} characters   QR: {size}x{size} modules "
          f"(version {(size - 17) // 4}, error correction {qr.ERROR_CORRECTION})   cores: {cores()}")
    print(f"{'what':<44}{'seconds':>9}{'tickets/s':>11}{'PDF KB':>9}")
    rows = [("bare pages, same QR, naive (baseline)", bare_seconds, n, len(bare_pdf)),
            ("full ticket PDF (A6), one process", full_seconds, n, len(full)),
            ("session PDF from the database, one process", one_seconds, one, None),
            (f"session PDF from the database, {cores()} cores", bulk_seconds, bulk, bulk_size)]
    for what, seconds, count, nbytes in rows:
        kb = f"{nbytes / 1024:>9.0f}" if nbytes else f"{'':>9}"
        print(f"{what:<44}{seconds:>9.2f}{count / seconds:>11.1f}{kb}")
    print(f"ratio full/bare (tickets/s): {bare_seconds / full_seconds:.2f}   "
          f"one process: {full_seconds:.2f} s for {n} tickets (target <= 5 s for 1,000)")
    print(f"ratio bulk/bare (tickets/s): {bare_seconds / bulk_seconds:.2f}   "
          f"bulk on {cores()} cores / one process from the database: {one_seconds / bulk_seconds:.2f}x")
    print(f"codes signed/s: {len(signed) / sign_seconds:,.0f}   verified/s: {len(signed) / verify_seconds:,.0f}")


if __name__ == "__main__":
    main()
