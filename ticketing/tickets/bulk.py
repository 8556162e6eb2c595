"""Every live ticket of a session in one PDF, drawn on every core.

The calling process reads the ids of the session's live tickets in seat-map order (so that the print
holds the tickets live when it started, whatever is sold or voided meanwhile), then the tickets a chunk
at a time, and makes each into a ``TicketFace``: text and signed code, the part that needs the
database, the words and the key. Worker processes draw the chunks into PDFs of their own, and qpdf
(pikepdf) joins them, in order, into one file. A session too small to share out is drawn in this
process.

Workers are forks of this process when it runs a single thread (the ``flask tickets pdf`` command):
they start in a millisecond with everything imported and never touch the inherited database
connections. A process with other threads (a web server) might fork while one of them holds a lock,
so there the workers come from a fork server, which costs an import of the app once per process.
"""
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from tempfile import TemporaryDirectory

import pikepdf
from sqlalchemy import func, select

from ..extensions import db
from ..sales.models import Ticket
from .pdf import Labels, TicketFace, faces, render_faces, session_ticket_ids, ticket_views

#: tickets per worker task: enough that each part's fonts and shared form are a small overhead,
#: few enough that the progress bar moves and the cores stay evenly busy
CHUNK = 125


def live_ticket_count(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.session_id == session_id, Ticket.status == "valid"))


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render_part(part: list[TicketFace], labels: Labels, layout: str, path: str) -> int:
    """In a worker: one chunk of tickets into its own PDF file."""
    with open(path, "wb") as out:
        render_faces(part, labels, layout, out)
    return len(part)


def _pool(workers: int) -> ProcessPoolExecutor:
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context)


def _parts(ids: list[str], labels: Labels, chunk: int):
    for start in range(0, len(ids), chunk):
        yield list(faces(ticket_views(ticket_ids=ids[start:start + chunk]), labels))


def session_pdf(session_id: int, out, layout: str = "a6", progress=None, workers: int | None = None,
                chunk: int = CHUNK) -> int:
    """Write every live ticket of the session, one page each in seat-map order, to ``out`` (a binary
    file). ``progress(n)`` is called as each n tickets are drawn. Returns the number of tickets."""
    labels = Labels.make()
    ids = session_ticket_ids(session_id)
    workers = min(workers or cores(), -(-len(ids) // chunk))
    if workers <= 1:
        ticket_faces = [face for part in _parts(ids, labels, chunk) for face in part]
        render_faces(ticket_faces, labels, layout, out, progress)
        return len(ticket_faces)
    with TemporaryDirectory(prefix="tickets-") as tmp, _pool(workers) as pool:
        paths, pending = [], []
        for index, part in enumerate(_parts(ids, labels, chunk)):
            paths.append(os.path.join(tmp, f"{index:06d}.pdf"))
            pending.append(pool.submit(_render_part, part, labels, layout, paths[-1]))
        drawn = 0
        for future in as_completed(pending):
            drawn += future.result()
            if progress:
                progress(future.result())
        _join(paths, out)
    return drawn


def _join(paths: list[str], out) -> None:
    """The parts' pages, in order, in one PDF (the first part's title and settings kept)."""
    parts = [pikepdf.open(path) for path in paths]
    try:
        whole = parts[0]
        for part in parts[1:]:
            whole.pages.extend(part.pages)
        whole.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                   stream_decode_level=pikepdf.StreamDecodeLevel.none)  # the parts' streams as they are
    finally:
        for part in parts:
            part.close()
