"""The session seat map (admin: block and allocate; everyone else: look) and its SVG."""
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.access import organization_scope, roles_required
from ..accounts.services import member_organizations
from ..errors import ServiceError
from ..extensions import db
from ..festivals.models import FestivalSession
from ..handling import page_action
from ..i18n import localized
from ..seating.models import Section, Stand
from ..seating.services import map_of
from . import allocation, changes, services
from .drawing import STATE_COLORS, org_color, render_svg
from .forms import EqualSharesForm, ReleaseForm, RowRangeForm, SeatSelectionForm

bp = Blueprint("inventory", __name__)


def _session_or_404(session_id: int) -> FestivalSession:
    return db.get_or_404(FestivalSession, session_id)


def map_context(session: FestivalSession, own_org_id: int | None = None) -> dict:
    """Everything a page needs to draw the map and its legend."""
    seating_map = map_of(session.festival_id)
    if seating_map is None:
        return {"svg": None, "categories": [], "organizations": member_organizations(),
                "state_colors": STATE_COLORS}
    orgs = member_organizations()
    colors = {o.id: org_color(i) for i, o in enumerate(orgs)}
    categories = services.categories_for_session(session)
    cursor = changes.cursor_now(session.id)  # before the seats: the live map's first poll misses nothing
    seats = services.seat_views(session.id)
    return {"seats": seats, "svg": render_svg(seats, seating_map, categories, colors, own_org_id), "categories": categories,
            "map_width": seating_map.width, "map_height": seating_map.height,
            "organizations": orgs, "org_colors": colors, "counts": services.inventory_counts(session.id),
            "state_colors": STATE_COLORS, "changes_cursor": cursor, "hold_expiries": services.hold_expiries(session.id)}


def _org_choices(include_none_label=None):
    choices = [(o.id, localized(o)) for o in member_organizations()]
    return ([("", include_none_label)] if include_none_label else []) + choices


@bp.get("/admin/sessions/<int:session_id>/seats")
@roles_required("admin")
def manage(session_id):
    session = _session_or_404(session_id)
    selection, rows, shares, release = SeatSelectionForm(), RowRangeForm(), EqualSharesForm(), ReleaseForm()
    selection.organization_id.choices = _org_choices()
    rows.organization_id.choices = _org_choices(_("Shared pool"))
    release.organization_id.choices = _org_choices(_("All organizations"))
    seating_map = map_of(session.festival_id)
    sections = db.session.execute(select(Section.id, Stand.code, Section.code).join(Stand, Stand.id == Section.stand_id)
                                  .where(Stand.map_id == (seating_map.id if seating_map else -1))
                                  .order_by(Stand.position, Section.position)).all() if seating_map else []
    rows.section_id.choices = [(sid, f"{stand} / {code}") for sid, stand, code in sections]
    context = map_context(session)
    table = allocation.allocation_table(context.pop("seats", []))
    return render_template("inventory/manage.html", session=session, selection=selection, rows=rows,
                           shares=shares, release=release, table=table, **context)


def _act(session_id, action) -> Response:
    """Run one admin action in one transaction, report the outcome, go back to the map."""
    session = _session_or_404(session_id)
    page_action(lambda: action(session), success=lambda message: message)
    return redirect(url_for(".manage", session_id=session.id))


@bp.post("/admin/sessions/<int:session_id>/seats/selection")
@roles_required("admin")
def act_on_selection(session_id):
    form = SeatSelectionForm()
    ids = [i for i in (form.seat_ids.data or "").split(",") if i.strip()]

    def action(session):
        if not form.validate_on_submit():
            raise ServiceError(_("The form expired; please try again."))
        if form.action.data == "block":
            n = services.block_seats(current_user, session, ids, form.reason.data or "")
            return _("%(n)d seats blocked.", n=n)
        if form.action.data == "unblock":
            return _("%(n)d seats unblocked.", n=services.unblock_seats(current_user, session, ids))
        org_id = form.organization_id.data if form.action.data == "allocate" else None
        if form.action.data == "allocate" and org_id is None:
            raise ServiceError(_("Choose an organization."))
        n = services.allocate_seats(current_user, session, ids, org_id)
        return _("%(n)d seats allocated.", n=n) if org_id else _("%(n)d seats returned to the pool.", n=n)
    return _act(session_id, action)


@bp.post("/admin/sessions/<int:session_id>/seats/rows")
@roles_required("admin")
def allocate_rows(session_id):
    form = RowRangeForm()

    def action(session):
        if not form.validate_on_submit() or form.section_id.data is None:
            raise ServiceError(_("Choose a section and give the first and last row."))
        ids = services.seats_in_rows(session, form.section_id.data, form.row_from.data.strip(),
                                     form.row_to.data.strip())
        n = services.allocate_seats(current_user, session, ids, form.organization_id.data, skip_sold=True)
        if n < len(ids):
            return _("%(n)d seats allocated; %(sold)d sold seats stay with the organization that sold them.",
                     n=n, sold=len(ids) - n)
        return _("%(n)d seats allocated.", n=n)
    return _act(session_id, action)


@bp.post("/admin/sessions/<int:session_id>/seats/equal-shares")
@roles_required("admin")
def equal_shares(session_id):
    form = EqualSharesForm()

    def action(session):
        if not form.validate_on_submit():
            raise ServiceError(_("Give a number from 1 to 20."))
        n = allocation.deal_equal_shares(current_user, session, form.run.data)
        return _("%(n)d seats of the shared pool dealt in equal shares.", n=n)
    return _act(session_id, action)


@bp.post("/admin/sessions/<int:session_id>/seats/release")
@roles_required("admin")
def release(session_id):
    form = ReleaseForm()

    def action(session):
        if not form.validate_on_submit():
            raise ServiceError(_("The form expired; please try again."))
        n = services.release_allocation(current_user, session, form.organization_id.data)
        return _("%(n)d unsold seats returned to the shared pool.", n=n)
    return _act(session_id, action)


def _own_organization() -> int | None:
    """Whose allocation the map outlines (others greyed): a seller's own organization. Treasurers and
    admins, and users who may see no organization's figures (gate staff), see every organization's colour."""
    try:
        return organization_scope(current_user)
    except PermissionError:
        return None


@bp.get("/sessions/<int:session_id>/map")
@login_required
def view_map(session_id):
    """Read-only map: a seller sees its own allocation outlined and other organizations' greyed."""
    session = _session_or_404(session_id)
    own = _own_organization()
    return render_template("inventory/view.html", session=session, own_org_id=own, **map_context(session, own))


@bp.get("/sessions/<int:session_id>/map.svg")
@login_required
def map_svg(session_id):
    session = _session_or_404(session_id)
    svg = map_context(session, _own_organization())["svg"]
    if svg is None:
        return Response(status=404)
    return conditional(Response(svg, mimetype="image/svg+xml"))


def conditional(response: Response) -> Response:
    """An ETag of the seat data drawn, and 304 without the body when the browser has it already. The browser
    keeps it (``private``: it is this user's view) but asks every time (``no-cache``), so a change shows at once."""
    response.add_etag()
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
