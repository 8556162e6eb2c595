"""The admin's side of the gate: entrances and their stands, each session's gate rules, the dashboard."""
from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..accounts.access import roles_required
from ..errors import Invalid
from ..extensions import db
from ..festivals.models import Festival, FestivalSession
from ..festivals.services import list_sessions
from ..handling import page_action
from ..timeutil import from_local, to_local, utcnow
from . import dashboard, services
from .checkin import gate_opens_at
from .models import Entrance
from .results import result_message

bp = Blueprint("gate_admin", __name__)
#: one colour per entrance in the dashboard's chart
COLOURS = ("#a8322d", "#1a73e8", "#188038", "#f29900", "#9334e6", "#5f6368")


@bp.route("/admin/festivals/<int:festival_id>/entrances", methods=["GET", "POST"])
@roles_required("admin")
def entrances(festival_id):
    festival = db.get_or_404(Festival, festival_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        outcome = page_action(lambda: _apply(festival, request.form.get("action", "")), form=FlaskForm(),
                              errors=errors, success=_("Saved."))
        if outcome.ok:
            return redirect(url_for(".entrances", festival_id=festival.id))
        status = outcome.status
    return render_template("gate/entrances.html", festival=festival, entrances=services.entrances_of(festival.id),
                           stands=services.stand_codes(festival.id), errors=errors, values=request.form,
                           opens={s.id: to_local(gate_opens_at(s.starts_at, s.gate_opens_at)).replace(tzinfo=None)
                                  for s in festival.sessions}), status


def _apply(festival: Festival, action: str) -> None:
    """One form on the page: add / save / delete an entrance, or save a session's gate rules."""
    form = request.form
    if action in ("add", "save"):
        entrance = None
        if action == "save":
            entrance = _entrance(festival, form.get("entrance_id", ""))
        services.save_entrance(current_user, festival.id, entrance,
                               code=form.get("code", ""), name_th=form.get("name_th", ""),
                               name_en=form.get("name_en", ""), stands=form.getlist("stands"))
    elif action == "delete":
        services.delete_entrance(current_user, _entrance(festival, form.get("entrance_id", "")))
    elif action == "session":
        session = db.session.get(FestivalSession, int(form.get("session_id", "0") or 0)) \
            if (form.get("session_id") or "").isdigit() else None
        if session is None or session.festival_id != festival.id:
            raise Invalid(_("No such session."))
        services.set_gate_rules(current_user, session, reentry_allowed=form.get("reentry") == "on",
                                gate_opens_at=_local_time(form.get("gate_opens_at", "")))
    else:
        raise Invalid(_("Unknown action."))


def _entrance(festival: Festival, raw: str) -> Entrance:
    entrance = db.session.get(Entrance, int(raw)) if raw.isdigit() and int(raw) < 2**31 else None
    if entrance is None or entrance.festival_id != festival.id:
        raise Invalid(_("No such entrance."))
    return entrance


def _local_time(raw: str) -> datetime | None:
    """A time typed in Ubon ("2027-07-19T05:30"); empty for the default."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is not None or not 2000 <= value.year <= 2100:
        raise Invalid(_("Give the time the gates open as date and time, like 2027-07-19 05:30."),
                      details={"gate_opens_at": _("Give a date and time.")})
    return from_local(value)


@bp.get("/gate/dashboard")
@roles_required("admin")
def dashboard_page():
    session = _chosen_session()
    return render_template("gate/dashboard.html", session=session, sessions=list_sessions(),
                           **_dashboard(session))


@bp.get("/gate/dashboard/body")
@roles_required("admin")
def dashboard_body():
    """The dashboard's figures alone, fetched every few seconds by the page."""
    session = _chosen_session()
    return render_template("gate/_dashboard_body.html", session=session, **_dashboard(session))


def _chosen_session() -> FestivalSession:
    sessions = list_sessions()
    if not sessions:
        abort(404)
    wanted = request.args.get("session", type=int)
    now = utcnow()
    default = min(sessions, key=lambda s: abs((s.starts_at - now).total_seconds()))
    return next((s for s in sessions if s.id == wanted), default)


def _dashboard(session: FestivalSession) -> dict:
    now = utcnow()
    by_id = dashboard.entrances_by_id(session.festival_id)
    over_time = [(_clock(start), counts) for start, counts in dashboard.admitted_over_time(session.id)]
    colours = {entrance_id: COLOURS[i % len(COLOURS)] for i, entrance_id in enumerate(by_id)}
    return {"counts": services.counts(session.id), "entrances": by_id, "over_time": over_time, "colours": colours,
            "over_time_max": max((sum(c.values()) for _t, c in over_time), default=0),
            "per_minute": [(_clock(minute), n) for minute, n in dashboard.scans_per_minute(session.id, now)],
            "refusals": [(result, result_message(result), n) for result, n in dashboard.refusals(session.id)],
            "devices": dashboard.devices(session.id), "conflicts": dashboard.conflicts(session.id), "now": now}


def _clock(moment: datetime) -> str:
    """HH:MM in Ubon, for chart labels (the page says which day)."""
    return to_local(moment).strftime("%H:%M")
