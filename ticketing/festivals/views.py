"""Admin pages for festivals and sessions."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import roles_required
from ..accounts.services import member_organizations
from ..errors import Invalid
from ..extensions import db
from ..handling import page_action
from ..inventory.sessions import save_session
from ..sales.models import ComplimentaryQuota
from ..sales.services import complimentary_left, set_quota
from ..seating.models import SeatingMap
from ..timeutil import from_local, to_local
from . import services
from .forms import FestivalForm, SessionForm
from .models import Festival, FestivalSession

bp = Blueprint("festivals", __name__, url_prefix="/admin/festivals")


@bp.get("/")
@roles_required("admin")
def index():
    return render_template("festivals/index.html", festivals=services.list_festivals())


@bp.route("/new", methods=["GET", "POST"], defaults={"festival_id": None})
@bp.route("/<int:festival_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(festival_id):
    festival = db.get_or_404(Festival, festival_id) if festival_id else None
    form = FestivalForm(obj=festival)
    if form.validate_on_submit():
        outcome = page_action(
            lambda: services.save_festival(current_user, festival, name_th=form.name_th.data or "",
                                           name_en=form.name_en.data or "", year=form.year.data,
                                           venue_th=form.venue_th.data or "", venue_en=form.venue_en.data or ""),
            form=form, success=_("Saved."))
        if outcome.ok:
            return redirect(url_for(".show", festival_id=outcome.value.id))
    return render_template("festivals/edit.html", form=form, festival=festival)


@bp.get("/<int:festival_id>")
@roles_required("admin")
def show(festival_id):
    festival = db.get_or_404(Festival, festival_id)
    seating_map = db.session.scalar(db.select(SeatingMap).where(SeatingMap.festival_id == festival.id))
    return render_template("festivals/show.html", festival=festival, seating_map=seating_map)


@bp.route("/<int:festival_id>/sessions/new", methods=["GET", "POST"], defaults={"session_id": None})
@bp.route("/<int:festival_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@roles_required("admin")
def session_edit(festival_id, session_id):
    festival = db.get_or_404(Festival, festival_id)
    session = db.get_or_404(FestivalSession, session_id) if session_id else None
    if session and session.festival_id != festival.id:
        return redirect(url_for(".show", festival_id=festival.id))
    form = SessionForm(obj=session)
    if session and not form.is_submitted():
        form.starts_at.data = to_local(session.starts_at).replace(tzinfo=None)
        form.ends_at.data = to_local(session.ends_at).replace(tzinfo=None) if session.ends_at else None
    if form.validate_on_submit() and page_action(
            lambda: save_session(current_user, festival, session, name_th=form.name_th.data or "",
                                 name_en=form.name_en.data or "", starts_at=from_local(form.starts_at.data),
                                 ends_at=from_local(form.ends_at.data) if form.ends_at.data else None),
            form=form, success=_("Saved.")).ok:
        return redirect(url_for(".show", festival_id=festival.id))
    return render_template("festivals/session_edit.html", form=form, festival=festival, session=session)


@bp.route("/<int:festival_id>/quotas", methods=["GET", "POST"])
@roles_required("admin")
def quotas(festival_id):
    """Complimentary seats each organization may give away in this festival."""
    festival = db.get_or_404(Festival, festival_id)
    orgs = member_organizations()

    row_errors: dict[str, str] = {}

    def save():
        """Every row is checked; a wrong one names its row, and then nothing is saved."""
        found = {}
        for org in orgs:
            raw = (request.form.get(f"seats-{org.id}") or "0").strip()
            if not (raw.isascii() and raw.isdigit()):
                found[f"seats-{org.id}"] = _("Give a number of seats from 0 to 10,000.")
                continue
            try:  # set_quota checks before it changes anything; a refusal at the end rolls all rows back
                set_quota(current_user, festival, org.id, int(raw))
            except Invalid as err:
                found[f"seats-{org.id}"] = err.message
        if found:
            raise Invalid(_("Some rows are wrong (marked below); nothing was saved."), details=found)
    outcome = page_action(save, form=FlaskForm(), success=_("Saved."), errors=row_errors) \
        if request.method == "POST" else None
    if outcome is not None and outcome.ok:
        return redirect(url_for(".quotas", festival_id=festival.id))
    granted = dict(db.session.execute(db.select(ComplimentaryQuota.organization_id, ComplimentaryQuota.seats)
                                      .where(ComplimentaryQuota.festival_id == festival.id)).all())
    typed = request.form if outcome is not None else {}  # a refused form shows what was typed
    rows = [(org, typed.get(f"seats-{org.id}", granted.get(org.id, 0)), complimentary_left(org.id, festival.id),
             row_errors.get(f"seats-{org.id}")) for org in orgs]
    return render_template("festivals/quotas.html", festival=festival, rows=rows), \
        outcome.status if outcome is not None else 200
