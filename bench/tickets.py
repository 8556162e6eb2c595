"""Benchmark: render a 1,000-ticket A6 PDF against bare reportlab pages carrying the same QR codes drawn
the naive way (python-qrcode picking the version, one rectangle per module), all in the same run; then
the bulk session PDF in one process and on every core; and ticket codes signed and verified per second.

    .venv/bin/python bench/tickets.py [--tickets 1000]

Its own scratch SQLite database in a temporary folder, with the demo festival loaded.
"""
import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import bench.common  # noqa: E402,F401  (a temporary instance folder for the app, removed at exit)


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
    """(wall seconds, CPU seconds of this process and of the workers it waited for, result). On a shared
    machine the CPU seconds are the steadier figure: they leave out the time spent waiting for a core."""
    def cpu():
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    wall, used = time.perf_counter(), cpu()
    result = work()
    return time.perf_counter() - wall, cpu() - used, result


def best_of(rounds: int, work):
    """The median wall and CPU seconds of ``rounds`` runs, and the last result."""
    runs = [timed(work) for _ in range(rounds)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[-1][2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each fast PDF (median reported)")
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

        def bare():
            out = io.BytesIO()
            canvas = Canvas(out, pagesize=A6, pageCompression=1)
            for text in qr_texts:
                naive_qr(canvas, text, 30, 100, 240)
                canvas.showPage()
            canvas.save()
            return out.getvalue()

        def bulk_pdf():
            out = io.BytesIO()
            return session_pdf(session_id, out, "a6"), len(out.getvalue())

        bare_wall, bare_cpu, bare_pdf = timed(bare)
        full_wall, full_cpu, full = best_of(args.rounds, lambda: render(views, "a6").getvalue())
        one_wall, one_cpu, one = best_of(args.rounds, lambda: session_pdf(session_id, io.BytesIO(), "a6", workers=1))
        bulk_wall, bulk_cpu, (bulk, bulk_size) = best_of(args.rounds, bulk_pdf)

        key = signing_key()
        ids = [str(uuid.uuid4()) for _ in range(5000)]
        sign_seconds, _cpu, signed = timed(lambda: [codes.encode(key, i, 1, n, 1) for n, i in enumerate(ids)])
        public = key.public_key()
        verify_seconds, _cpu, _verified = timed(lambda: [codes.verify(public, code) for code in signed])

    n = len(views)
    size, _modules = qr.matrix(qr_texts[0])
    print(f"tickets: {n}   code length: {len(qr_texts[0])} characters   QR: {size}x{size} modules "
          f"(version {(size - 17) // 4}, error correction {qr.ERROR_CORRECTION})   cores: {cores()}")
    print(f"{'what':<44}{'wall s':>8}{'CPU s':>8}{'tickets/s':>11}{'PDF KB':>8}")
    rows = [("bare pages, same QR, naive (baseline)", bare_wall, bare_cpu, n, len(bare_pdf)),
            ("full ticket PDF (A6), one process", full_wall, full_cpu, n, len(full)),
            ("session PDF from the database, one process", one_wall, one_cpu, one, None),
            (f"session PDF from the database, {cores()} cores", bulk_wall, bulk_cpu, bulk, bulk_size)]
    for what, wall, cpu, count, nbytes in rows:
        kb = f"{nbytes / 1024:>8.0f}" if nbytes else f"{'':>8}"
        print(f"{what:<44}{wall:>8.2f}{cpu:>8.2f}{count / wall:>11.1f}{kb}")
    print(f"ratio full/bare: {bare_wall / full_wall:.2f} by wall time, {bare_cpu / full_cpu:.2f} by CPU time   "
          f"(one process, {n} tickets: {full_wall:.2f} s wall, {full_cpu:.2f} s CPU; target <= 5 s for 1,000)")
    print(f"ratio bulk/bare (wall): {bare_wall / bulk_wall:.2f}   bulk on {cores()} cores against one process "
          f"from the database (wall): {one_wall / bulk_wall:.2f}x   load average: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"codes signed/s: {len(signed) / sign_seconds:,.0f}   verified/s: {len(signed) / verify_seconds:,.0f}")


if __name__ == "__main__":
    main()
