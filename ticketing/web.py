"""The home page: what each role can do next."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from .festivals.services import list_festivals

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def home():
    """A seller's work is the counter, a treasurer's the revenue pages, gate staff's the gate: they
    start there. Others see the overview of what they can do."""
    if current_user.has_role("seller") and not current_user.has_role("admin"):
        return redirect(url_for("counter.index"))
    if current_user.has_role("treasurer") and not current_user.has_role("admin"):
        return redirect(url_for("revenue.index"))
    if current_user.has_role("gate") and not current_user.has_role("admin"):
        return redirect(url_for("gate.setup"))
    return render_template("home.html", festivals=list_festivals(), user=current_user)


def register_error_pages(app) -> None:
    """Friendly pages (in the user's language) for refused and missing pages; the API answers JSON."""
    from flask import request
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError

    def page(status: int, message: str):
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return page(400, _("The form expired or was sent twice; go back, reload the page and try again."))

    def api_error(err):
        from .api import http_error_response
        return http_error_response(err)

    @app.errorhandler(403)
    def forbidden(err):
        if request.path.startswith("/api/"):
            return api_error(err)
        return page(403, _("Your account may not open this page."))

    @app.errorhandler(404)
    def not_found(err):
        if request.path.startswith("/api/"):
            return api_error(err)
        return page(404, _("This page does not exist."))

    @app.errorhandler(500)
    def server_error(err):
        from .extensions import db
        db.session.rollback()
        if request.path.startswith("/api/"):
            return api_error(err)
        return page(500, _("Something went wrong on our side; nothing was saved. Try again, and tell the "
                           "secretariat if it happens again."))
