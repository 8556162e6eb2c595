"""GET endpoints for festivals, sessions and seats (sales come with the counter capability)."""
from flask_babel import gettext as _
from .parsing import Blueprint

from ..accounts.services import member_organizations
from ..errors import NotFound
from ..extensions import db
from ..festivals.models import FestivalSession
from ..festivals.services import list_festivals, list_sessions
from ..i18n import lang, localized
from ..inventory.services import categories_for_session, seat_views
from .schemas import FestivalListSchema, SeatListSchema, SessionListSchema, SessionQuerySchema

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Festivals, sessions and seat inventory")


@bp.route("/festivals")
@bp.response(200, FestivalListSchema)
def festivals():
    """Every festival, newest first."""
    return {"festivals": [{"id": f.id, "name": localized(f), "name_th": f.name_th, "name_en": f.name_en,
                           "year": f.year, "venue": f.venue(lang())} for f in list_festivals()]}


@bp.route("/sessions")
@bp.arguments(SessionQuerySchema, location="query")
@bp.response(200, SessionListSchema)
def sessions(args):
    """Sessions in time order, optionally of one festival."""
    return {"sessions": [{"id": s.id, "festival_id": s.festival_id, "name": localized(s), "name_th": s.name_th,
                          "name_en": s.name_en, "starts_at": s.starts_at, "ends_at": s.ends_at}
                         for s in list_sessions(args.get("festival"))]}


def session_or_404(session_id: int) -> FestivalSession:
    """The session, or the API's 404 (also for ids no database column can hold)."""
    session = db.session.get(FestivalSession, session_id) if 1 <= session_id < 2**31 else None
    if session is None:
        raise NotFound(_("No such session."))
    return session


@bp.route("/sessions/<int:session_id>/seats")
@bp.etag
@bp.response(200, SeatListSchema)
def seats(session_id):
    """Every seat of a session with its state, category, price and allocation, in seat-map order. With the
    ETag of a previous answer in `If-None-Match`, an unchanged list is 304 with no body."""
    session = session_or_404(session_id)
    categories = {c.id: c for c in categories_for_session(session)}
    orgs = {o.id: {"id": o.id, "code": o.code} for o in member_organizations()}
    return {"session_id": session.id, "seats": [
        {"id": s.id, "label": s.label, "stand": s.stand, "section": s.section, "row": s.row, "state": s.state,
         "category": categories[s.category_id].code, "price_satang": categories[s.category_id].price_satang,
         "sold_whole": s.sold_whole,
         "organization": orgs.get(s.organization_id, {"id": s.organization_id, "code": None})
         if s.organization_id else None} for s in seat_views(session.id)]}
