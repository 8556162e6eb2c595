"""Admin pages: import a festival's seating map, set category prices."""
import dataclasses

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
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
            if plan.source == "pretix":  # a pretix plan has no prices: ask for them before importing
                return _ask_prices(festival, plan, raw.decode("utf-8-sig", "replace"), form.replace.data)
            if page_action(lambda: import_map(current_user, festival, plan, replace=form.replace.data),
                           form=form, success=_("Seating map imported: %(n)d seats.", n=len(plan.seats))).ok:
                return redirect(url_for(".manage", festival_id=festival.id))
    return _page(festival, form, problems)


def _page(festival, form, problems):
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


def _ask_prices(festival, plan, map_text: str, replace: bool, typed=None, errors=None, status=200):
    """Step two of importing a pretix plan: one price per category, then the import."""
    return render_template("seating/prices.html", festival=festival, plan=plan, map_text=map_text, replace=replace,
                           typed=typed or {}, errors=errors or {}, form=FlaskForm()), status


@bp.post("/import-priced")
@roles_required("admin")
def import_priced(festival_id):
    """The pretix plan again (kept in the page) with the prices the admin typed for its categories."""
    festival = db.get_or_404(Festival, festival_id)
    map_text = request.form.get("map_text", "")
    replace = request.form.get("replace") == "1"
    try:
        plan = parse_map(map_text, max_bytes=current_app.config["SEATING_MAX_BYTES"])
    except MapError as err:
        flash(_("The file was not imported: %(n)d problem(s) found.", n=len(err.problems)), "error")
        return _page(festival, MapImportForm(formdata=None), err.problems)
    prices, errors = {}, {}
    typed = {c.code: (request.form.get(f"price-{c.code}") or "").strip() for c in plan.categories}
    for c in plan.categories:
        try:
            prices[c.code] = parse_baht(typed[c.code])
        except ValueError:
            errors[c.code] = _("Give the price in baht, like 1,500 or 1500.00.")
    if errors:
        flash(_("Give a price for every category."), "error")
        return _ask_prices(festival, plan, map_text, replace, typed, errors, 422)
    priced = dataclasses.replace(plan, categories=[dataclasses.replace(c, price_satang=prices[c.code])
                                                   for c in plan.categories])
    outcome = page_action(lambda: import_map(current_user, festival, priced, replace=replace), form=FlaskForm(),
                          success=_("Seating map imported: %(n)d seats.", n=len(plan.seats)))
    if outcome.ok:
        return redirect(url_for(".manage", festival_id=festival.id))
    return _ask_prices(festival, plan, map_text, replace, typed, {}, outcome.status)
