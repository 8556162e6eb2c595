"""The gate device's pages: set up (session, entrance, device name, entry or exit), then scan.

The scanner page does its work in the browser (``static/js/gate.js``) through the JSON API
(``/api/v1/checkins`` and the gate bundle), and keeps working offline with the service worker
served here at ``/gate/sw.js`` (scope ``/gate/``)."""
import hashlib
from functools import wraps
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from ..accounts.access import may_scan
from ..extensions import db
from ..festivals.models import FestivalSession
from ..festivals.services import list_sessions
from ..i18n import lang
from ..timeutil import utcnow
from . import services
from .checkin import MODES
from .models import Entrance
from .results import colour, result_message

bp = Blueprint("gate", __name__, url_prefix="/gate")

#: every result a scan can come to (the page needs each one's words, also offline)
RESULTS = ("ok", "already_used", "wrong_session", "wrong_entrance", "void", "revoked", "invalid", "not_yet",
           "not_inside")


def scanners_only(view):
    """Gate staff and admins (``may_scan``); anyone else gets 403."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not may_scan(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _default_session(sessions: list[FestivalSession]) -> FestivalSession | None:
    """The next session (or the one under way): the first that started less than 12 hours ago."""
    now = utcnow()
    return next((s for s in sessions if (now - s.starts_at).total_seconds() < 12 * 3600),
                sessions[-1] if sessions else None)


@bp.get("/")
@scanners_only
def setup():
    sessions = list_sessions()
    festival_ids = sorted({s.festival_id for s in sessions})
    entrances = {fid: services.entrances_of(fid) for fid in festival_ids}
    return render_template("gate/setup.html", sessions=sessions, entrances=entrances,
                           default=_default_session(sessions), modes=MODES)


@bp.get("/start")
@scanners_only
def start():
    """The setup form's answer: on to the scanner page (checked there again)."""
    return redirect(url_for(".scan", session_id=request.args.get("session", 0, type=int),
                            entrance_id=request.args.get("entrance", 0, type=int),
                            mode=request.args.get("mode", "entry")))


def _session_and_entrance(session_id: int, entrance_id: int, mode: str) -> tuple[FestivalSession, Entrance]:
    session = db.session.get(FestivalSession, session_id) if 1 <= session_id < 2**31 else None
    entrance = db.session.get(Entrance, entrance_id) if 1 <= entrance_id < 2**31 else None
    if session is None or entrance is None or entrance.festival_id != session.festival_id:
        abort(404)
    if mode not in MODES or (mode == "exit" and not session.reentry_allowed):
        abort(404)
    return session, entrance


@bp.get("/sessions/<int:session_id>/entrances/<int:entrance_id>")
@scanners_only
def scan(session_id, entrance_id):
    mode = request.args.get("mode", "entry")
    session, entrance = _session_and_entrance(session_id, entrance_id, mode)
    return render_template("gate/scan.html", session=session, entrance=entrance, mode=mode,
                           page_data={**_page_data(session, entrance, mode), "csrf": generate_csrf()})


def _page_data(session: FestivalSession, entrance: Entrance, mode: str) -> dict:
    """Everything gate.js needs: where to send scans, and every word it shows (translated here)."""
    api = "/api/v1"
    return {
        "lang": lang(), "session_id": session.id, "entrance_id": entrance.id, "mode": mode,
        "username": current_user.username,
        "urls": {"checkin": f"{api}/checkins", "batch": f"{api}/checkins/batch",
                 "bundle": f"{api}/sessions/{session.id}/gate-bundle",
                 "counts": f"{api}/sessions/{session.id}/gate-counts",
                 "lookup": f"{api}/sessions/{session.id}/gate-lookup",
                 "public_key": f"{api}/tickets/public-key",
                 "sw": url_for(".service_worker"), "scope": url_for(".setup"),
                 "decoder": url_for("static", filename="vendor/qr-scanner/qr-scanner.umd.min.js")},
        "messages": {r: result_message(r, mode) for r in RESULTS},
        "colours": {r: colour(r) for r in RESULTS},
        "text": {
            "green": _("Gone out") if mode == "exit" else _("OK to enter"),
            "amber": _("Already used"),
            "red": _("Refused"),
            "offline": _("Offline: decided on this device"),
            "seat": _("Seat"), "section": _("Section"), "row": _("Row"),
            "first_at": _("First admitted at %(time)s, entrance %(entrance)s"),
            "first_here": _("First admitted at %(time)s"),
            "tap": _("Tap or scan the next ticket"),
            "online": _("Online"), "offline_short": _("Offline"),
            "queue": _("Queue: %(n)s"),
            "synced": _("Sent %(n)s offline scans to the server."),
            "conflict": _("Admitted twice: %(seat)s was admitted offline here, but another device had "
                          "admitted it first (%(time)s, entrance %(entrance)s)."),
            "differs": _("%(seat)s: this device said \"%(device)s\" offline; the server says \"%(server)s\"."),
            "sync_refused": _("The server refused the offline queue: %(message)s"),
            "no_camera": _("No camera: use a hand scanner or type the code."),
            "camera_off": _("Camera off"), "turn_on": _("Turn the camera on"), "turn_off": _("Turn the camera off"),
            "not_ready": _("This device has no gate data for this session yet: open the page once with "
                           "network."),
            "lookup_offline": _("The look-up needs the network."),
            "lookup_none": _("No ticket found."),
            "admit": _("Admit"), "exit": _("Mark gone out"),
            "in": _("Inside since %(time)s"), "out": _("Gone out"), "not_valid": _("Void"),
            "server_error": _("The server could not answer: %(message)s"),
            "signed_out": _("Signed out: sign in again so that the queue can be sent."),
            "other_entrance": _("another entrance"),
        },
    }


#: what the service worker keeps for offline use (paths under static/)
OFFLINE_FILES = ("css/app.css", "css/gate.css", "js/gate.js", "js/gate-setup.js", "js/confirm.js",
                 "vendor/qr-scanner/qr-scanner.umd.min.js", "vendor/qr-scanner/qr-scanner-worker.min.js",
                 "fonts/sarabun/sarabun-thai-400-normal.woff2", "fonts/sarabun/sarabun-thai-700-normal.woff2",
                 "fonts/sarabun/sarabun-latin-400-normal.woff2", "fonts/sarabun/sarabun-latin-700-normal.woff2",
                 "favicon.svg")


def _files_version() -> str:
    """Changes whenever one of the kept files does, so that browsers install the new worker."""
    digest = hashlib.sha256()
    for name in OFFLINE_FILES:
        stat = (Path(current_app.static_folder) / name).stat()
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@bp.get("/sw.js")
def service_worker():
    """The gate's service worker: keeps the gate pages and their files for when the network drops."""
    script = render_template("gate/sw.js", version=_files_version(), pages=[url_for(".setup")],
                             files=[url_for("static", filename=name) for name in OFFLINE_FILES])
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
