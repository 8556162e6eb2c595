"""Admin pages: import a festival's seating map, set category prices."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts.access import roles_required
from ..extensions import db
from ..festivals.models import Festival
from ..handling import page_action
from ..inventory.sessions import import_map
from ..money import format_thb, parse_baht
from . import services
from .forms import MapImportForm, PriceForm
from .mapfile import MapError, parse_map
from .models import PriceCategory, Seat

bp = Blueprint("seating", __name__, url_prefix="/admin/festivals/<int:festival_id>/map")


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def manage(festival_id):
    festival = db.get_or_404(Festival, festival_id)
    form = MapImportForm()
    problems = []
    if form.validate_on_submit():
        raw = form.file.data.read(current_app.config["SEATING_MAX_BYTES"] + 1)
        try:
            plan = parse_map(raw, max_bytes=current_app.config["SEATING_MAX_BYTES"])
        except MapError as err:
            problems = err.problems
            flash(_("The file was not imported: %(n)d problem(s) found.", n=len(problems)), "error")
        else:
            if page_action(lambda: import_map(current_user, festival, plan, replace=form.replace.data),
                           form=form, success=_("Seating map imported: %(n)d seats.", n=len(plan.seats))).ok:
                return redirect(url_for(".manage", festival_id=festival.id))
    seating_map = services.map_of(festival.id)
    categories, seat_counts = [], {}
    if seating_map:
        categories = db.session.scalars(select(PriceCategory).where(PriceCategory.map_id == seating_map.id)
                                        .order_by(PriceCategory.id)).all()
        seat_counts = dict(db.session.execute(select(Seat.category_id, func.count()).where(
            Seat.map_id == seating_map.id).group_by(Seat.category_id)).all())
    return render_template("seating/manage.html", festival=festival, form=form, problems=problems,
                           seating_map=seating_map, categories=categories, seat_counts=seat_counts,
                           price_form=PriceForm())


@bp.post("/categories/<int:category_id>/price")
@roles_required("admin")
def set_price(festival_id, category_id):
    category = db.get_or_404(PriceCategory, category_id)
    seating_map = services.map_of(festival_id)
    if seating_map is None or category.map_id != seating_map.id:
        abort(404)
    form = PriceForm()
    if form.validate_on_submit():
        try:
            price = parse_baht(form.price.data or "")
        except ValueError:
            price = None
        page_action(lambda: services.set_category_price(current_user, category, price),
                    success=lambda saved: _("Price saved: %(price)s baht.", price=format_thb(price)))
    return redirect(url_for(".manage", festival_id=festival_id))
