"""The home page: what each role can do next."""
from flask import Blueprint, redirect, render_template, url_for
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from .festivals.services import list_festivals

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    """A seller's work is the counter, a treasurer's the revenue pages, gate staff's the gate: they
    start there. Others see the overview of what they can do; a visitor sees the shop and the
    sign-in link."""
    if not current_user.is_authenticated:
        return render_template("visitor.html")
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

    @app.errorhandler(405)
    def method_not_allowed(err):
        if request.path.startswith("/api/"):
            return api_error(err)
        html, status = page(405, _("This method is not allowed here."))
        return html, status, {"Allow": ", ".join(err.valid_methods or ())}

    @app.errorhandler(400)
    def bad_request(err):
        if request.path.startswith("/api/"):
            return api_error(err)
        return page(400, _("The request could not be read. Go back, reload the page and try again."))

    from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

    @app.teardown_appcontext
    def end_session_without_the_database(_exc):
        """Runs before Flask-SQLAlchemy's own teardown (registered later, so run first): closing the session
        rolls back on its connection, and when the database went away (a restart) that raises after the
        answer was made, and the server would send a bare 500 instead of it."""
        from .extensions import db
        try:
            db.session.remove()
        except (OperationalError, InterfaceError):
            app.logger.warning("database unavailable while closing a request's session")
            db.session.registry.clear()  # the connection was invalidated; the pool opens a new one next time

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(err):
        """The database is down, restarting or out of connections: 503 in the caller's format. Nothing
        here may touch the database again, not even to ask who is signed in."""
        from flask import g
        from .extensions import login_manager
        app.logger.error("database unavailable: %s", err)
        g._login_user = login_manager.anonymous_user()
        message = _("The database cannot be reached right now. Try again in a moment.")
        if request.path.startswith("/api/"):
            from .api import error_response
            response, status = error_response(503, "unavailable", message)
        else:
            response, status = page(503, message)
            response = app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response, status

    @app.errorhandler(500)
    def server_error(err):
        if isinstance(getattr(err, "original_exception", None), (OperationalError, InterfaceError, PoolTimeout)):
            # the database went away where no handler of ours runs (an after_request hook, often after the
            # commit): 503, so that the client sends the request again (a sale with its Idempotency-Key)
            return database_unavailable(err.original_exception)
        from .extensions import db
        db.session.rollback()
        if request.path.startswith("/api/"):
            return api_error(err)
        return page(500, _("Something went wrong on our side; nothing was saved. Try again, and tell the "
                           "secretariat if it happens again."))


#: Content-Security-Policy of every page: scripts only from our own files (no inline script or event
#: handler), nothing framed or framing us. Inline style attributes stay allowed (seat and legend colours);
#: the gate's QR decoder runs in a worker made from a blob.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    "font-src 'self'", "connect-src 'self'", "worker-src 'self' blob:", "media-src 'self' blob:",
    # Forms stay on this site; the shop's cart page alone also lets its form go on to Stripe's Checkout
    # (shop.views.checkout_origin).
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"])
#: a PDF is shown by the browser's viewer, which a policy with object-src 'none' would block
PDF_SECURITY_POLICY = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: receipts and tickets (paper and phone) are not kept by browsers or proxies: a shared counter
#: computer must not show the last buyer's tickets from its cache (the phone page keeps working offline
#: through its service worker, whose copy is not the HTTP cache)
NO_STORE_ENDPOINTS = {"counter.receipt", "counter.tickets_pdf", "orders.show", "tickets.phone",
                      "tickets.qr_as_svg", "tickets.qr_as_png", "tickets.buyer_pdf", "api_orders.order_tickets_pdf",
                      "revenue.receipt"}


#: a browser that has reached the site over HTTPS keeps to HTTPS for a year (not the subdomains: the
#: festival's domain may serve other things)
HSTS = "max-age=31536000"


def register_security_headers(app) -> None:
    """The security headers of every response, pages, API, files and errors alike, set in this one place."""
    from flask import request

    @app.after_request
    def security_headers(response):
        headers = response.headers
        is_pdf = response.mimetype == "application/pdf"
        headers.setdefault("Content-Security-Policy", PDF_SECURITY_POLICY if is_pdf else CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", "same-origin")  # ticket links carry their secret in the path
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
        if request.endpoint in NO_STORE_ENDPOINTS:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        if request.is_secure:  # over HTTPS (behind a proxy: as TRUSTED_PROXIES lets its X-Forwarded-Proto say)
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response



#: the largest id an integer column holds on every engine we run on (PostgreSQL's ``integer``)
MAX_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: a number a database id can be (0 .. MAX_ID). A larger one matches no
    page (404) instead of reaching the database, where PostgreSQL refuses it and SQLite overflows."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits, 0 if min is None else min, MAX_ID if max is None else max, signed)


def first_nul(value, path=()) -> tuple | None:
    """Where in parsed JSON (or any nest of dicts, lists and strings) a NUL character hides, as a path of
    keys and indexes, or None. No text may hold one: PostgreSQL refuses it in every text column."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return where + (key,)
                stack.append((where + (key,), inner))
        elif isinstance(item, list):
            stack.extend((where + (i,), inner) for i, inner in enumerate(item))
    return None


class StrictJSONProvider(DefaultJSONProvider):
    """JSON read from a request: nesting too deep for the parser and NUL characters in text are refused
    as unreadable (``request.get_json`` then answers 400), never a 500 further on."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if first_nul(value) is not None:
            raise ValueError("a NUL character in a JSON string")
        return value


def guard_requests(app) -> None:
    """Where requests enter: ids a database can hold in every URL, JSON the parser can read, and no NUL
    character in the path, the query string or a form (a 404, a 400 page or the API's 422 naming the
    field). Call before any blueprint is registered: a route takes its converters when it is added."""
    from flask import abort, request
    from flask_babel import gettext as _

    app.url_map.converters["int"] = DatabaseId
    app.json = StrictJSONProvider(app)

    @app.before_request
    def refuse_nul():
        if "\x00" in request.path:
            abort(404)
        form = request.form if request.mimetype in ("application/x-www-form-urlencoded",
                                                    "multipart/form-data") else MultiDict()
        for location, values in (("query", request.args), ("form", form)):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    message = _("Text may not contain a NUL character.")
                    if request.path.startswith("/api/"):
                        from .api import error_response
                        return error_response(422, "invalid", _("Some values are wrong."),
                                              {location: {key.replace("\x00", ""): [message]}})
                    return render_template("error.html", status=400, message=message), 400
        return None
