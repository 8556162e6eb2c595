"""The JSON API under /api/v1: token (or logged-in session) auth, JSON errors, OpenAPI document."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import Invalid, ServiceError
from ..extensions import csrf

API_PREFIX = "/api/v1"


def error_response(status: int, code: str, message: str, field_errors=None, extra=None):
    body = {"error": code, "message": message, **(extra or {})}
    if field_errors:
        body["fields"] = field_errors
    return jsonify(body), status


def http_error_response(err: HTTPException):
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 422: "invalid", 429: "too_many_requests", 500: "server_error"}
    messages = {400: _("The request could not be read: send JSON with 'Content-Type: application/json'."),
                401: _("Sign in or send 'Authorization: Bearer <token>'."), 403: _("You may not do this."),
                404: _("Not found."), 405: _("This method is not allowed here."),
                413: _("The request is too large."), 422: _("Some values are wrong."),
                500: _("Something went wrong on our side; nothing was saved. Try again.")}
    fields = None
    if err.code == 422:
        fields = getattr(err, "data", {}).get("messages") or getattr(err, "exc", None) and err.exc.messages
    response, status = error_response(err.code or 500, codes.get(err.code, "error"),
                                      messages.get(err.code, err.description or ""), fields)
    if getattr(err, "valid_methods", None):  # 405 says which methods are allowed (RFC 9110)
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response, status


def require_user():
    """Runs before every API view: a user (token or browser session) is required."""
    if not current_user.is_authenticated:
        return error_response(401, "unauthorized", _("Sign in or send 'Authorization: Bearer <token>'."))
    # Only a valid Bearer token (accounts.views.load_user_from_token) stands in for the CSRF token: a
    # browser session (cookie) must carry the CSRF token for anything that changes state, whatever other
    # header is sent along.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.environ.get("ticketing.signed_in_by_token"):
        try:
            csrf.protect()
        except CSRFError:
            return error_response(400, "csrf_token_missing", _(
                "A signed-in browser must send the page's CSRF token (X-CSRFToken); other clients use "
                "'Authorization: Bearer <token>'."))
    return None


def register_api(app) -> None:
    """One flask-smorest Api per app (its OpenAPI spec is built from the registered schemas)."""
    from flask_smorest import Api

    from .gate import bp as gate_bp
    from .orders import bp as orders_bp
    from .schemas import ApiErrorSchema
    from .revenue import bp as revenue_bp
    from .views import bp

    class TicketingApi(Api):
        ERROR_SCHEMA = ApiErrorSchema  # the error body every endpoint sends, in the OpenAPI document

    api = TicketingApi(app)

    @app.errorhandler(ServiceError)
    def service_error(err: ServiceError):
        # Nothing was saved: ticketing.handling rolled the request's transaction back.
        # A wrong value names its fields; a refusal (409, 403) carries its facts, e.g. "seats".
        if isinstance(err, Invalid):
            return error_response(err.status, err.code, err.message, err.details or None)
        return error_response(err.status, err.code, err.message, extra=err.details)

    for blueprint in (bp, orders_bp, revenue_bp, gate_bp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
        app.before_request_funcs.setdefault(blueprint.name, []).append(require_user)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.startswith(API_PREFIX):
            return http_error_response(err)
        return err

    from .schemas import OPENAPI_RULES
    for name, rules in OPENAPI_RULES.items():  # what marshmallow fields cannot say (schemas.OPENAPI_RULES)
        api.spec.components.schemas[name].update(rules)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
