"""Login, language switch, and the admin pages for organizations, users and API tokens."""
import time
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_limiter.errors import RateLimitExceeded
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..handling import page_action, transaction
from ..i18n import LANG_COOKIE, LANGUAGES, localized
from ..timeutil import utcnow
from . import services, throttle
from .access import roles_required
from .forms import LoginForm, OrganizationForm, PasswordChangeForm, UserForm
from .models import ApiToken, Organization, User
from .throttle import limiter

API_PATH = "/api/"
#: set in the WSGI environ of a request signed in by a valid Bearer token (and only then)
SIGNED_IN_BY_TOKEN = "ticketing.signed_in_by_token"

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(session_id: str):
    """The user a session cookie names, only while the cookie's generation is the user's current one
    (logout, a password, role or organization change and deactivation raise it). An API request that
    sends a Bearer token is signed in by the token alone, never by a cookie."""
    if is_api_request() and _bearer_token(request) is not None:
        return None
    user_id, _sep, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None  # a cookie from before sessions could be ended, or a forged one
    return services.user_for_session(int(user_id), int(generation))


@login_manager.request_loader
def load_user_from_token(req):
    """``Authorization: Bearer <token>`` signs in to the JSON API only: a token never opens a page."""
    token = _bearer_token(req)
    if not is_api_request() or token is None:
        return None
    user = services.user_for_token(token)
    if user is not None:
        req.environ[SIGNED_IN_BY_TOKEN] = True  # this request needs no CSRF token (api.require_user)
    return user


def _bearer_token(req) -> str | None:
    scheme, _sep, token = req.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def is_api_request() -> bool:
    return request.path.startswith(API_PATH)


def safe_next(target: str | None) -> str:
    """Where to go after signing in or switching language: ``target`` if it is a path on this site,
    else the home page. Decided by parsing, as a browser would read it: no scheme, no host, one
    leading slash, and no backslash, control character or white space (browsers drop tabs and
    newlines and read a backslash as a slash, which would turn a tab or a backslash after the first
    slash into the start of another site's address)."""
    if target and target.startswith("/") and not target.startswith("//") and not any(c == "\\" or c.isspace() or not c.isprintable()
                                                     for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/") \
                and not parts.path.startswith("//"):
            return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=throttle.account_key,
               methods=["POST"], deduct_when=throttle.failed_sign_in)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=throttle.failed_sign_in)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form)


@bp.app_errorhandler(RateLimitExceeded)
def too_many_attempts(err):
    """The lockout: said in the user's language, with how long it lasts."""
    current = limiter.current_limit
    wait = max(1, round(((current.reset_at if current else time.time() + 60) - time.time()) / 60))
    message = _("Too many failed sign-ins. Try again in %(n)d minutes.", n=wait)
    if is_api_request():
        return jsonify({"error": "too_many_requests", "message": message}), 429
    form = LoginForm()
    flash(message, "error")
    return render_template("accounts/login.html", form=form), 429


@bp.post("/logout")
@login_required
def logout():
    """Signing out ends every session of the user, on every device (a copied cookie stops working)."""
    with transaction():
        services.end_sessions(current_user._get_current_object())
    logout_user()
    return redirect(url_for("accounts.login"))


# --- one's own account ------------------------------------------------------------------------

def _own_tokens(user):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc())).all()


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Everyone's own page: change the password (which ends the sessions on other devices) and see and
    revoke one's API tokens."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and page_action(
            lambda: services.change_own_password(user, form.current.data, form.new.data, form.repeated.data),
            form=form, success=_("Password changed. You were signed out on every other device.")).ok:
        login_user(user)  # this session goes on, under the new generation
        return redirect(url_for(".account"))
    return render_template("accounts/account.html", form=form, user=user, tokens=_own_tokens(user), now=utcnow())


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def own_token_revoke(token_id):
    if page_action(lambda: services.revoke_token(current_user, token_id, owner_id=current_user.id)).ok:
        flash(_("Token revoked."), "success")
    return redirect(url_for(".account"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    resp = redirect(safe_next(request.args.get("next")))
    resp.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return resp


# --- organizations -------------------------------------------------------------------------

@bp.get("/admin/organizations")
@roles_required("admin")
def organizations():
    orgs = db.session.scalars(select(Organization).order_by(Organization.kind.desc(), Organization.position))
    return render_template("accounts/organizations.html", organizations=list(orgs))


@bp.route("/admin/organizations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/admin/organizations/<int:org_id>", methods=["GET", "POST"])
@roles_required("admin")
def organization_edit(org_id):
    org = db.get_or_404(Organization, org_id) if org_id else None
    form = OrganizationForm(obj=org)
    if form.validate_on_submit() and page_action(
            lambda: services.save_organization(
                current_user, org, code=form.code.data, kind=form.kind.data, name_th=form.name_th.data,
                name_en=form.name_en.data, is_example=form.is_example.data, active=form.active.data,
                position=form.position.data, promptpay_id=form.promptpay_id.data or "",
                transfer_custody=form.transfer_custody.data),
            form=form, success=_("Saved.")).ok:
        return redirect(url_for(".organizations"))
    return render_template("accounts/organization_edit.html", form=form, org=org)


# --- users ---------------------------------------------------------------------------------

def _user_form(user):
    form = UserForm(obj=user)
    if request.method == "GET" and user:
        form.roles.data = sorted(user.roles)
    orgs = db.session.scalars(select(Organization).order_by(Organization.kind.desc(), Organization.position))
    if user is None:
        form.password.description = _("At least %(n)d characters.", n=services.MIN_PASSWORD)
    form.organization_id.choices = [("", _("Secretariat (no organization)"))] + [
        (o.id, localized(o)) for o in orgs]
    return form


@bp.get("/admin/users")
@roles_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.username))
    return render_template("accounts/users.html", users=list(rows))


@bp.route("/admin/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id):
    user = db.get_or_404(User, user_id) if user_id else None
    form = _user_form(user)
    if form.validate_on_submit() and page_action(
            lambda: services.save_user(current_user, user, username=form.username.data, roles=form.roles.data,
                                       organization_id=form.organization_id.data,
                                       display_name=form.display_name.data or "",
                                       password=form.password.data or None, active=form.active.data),
            form=form, success=_("Saved.")).ok:
        if user is not None and user.id == current_user.id and user.active:
            login_user(user)  # the admin's own sessions elsewhere ended with the change, not this one
        return redirect(url_for(".users"))
    tokens = []
    if user:
        tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                    .order_by(ApiToken.created_at.desc())).all()
    return render_template("accounts/user_edit.html", form=form, user=user, tokens=tokens, now=utcnow(),
                           new_token=session.pop("new_token", None), max_token_days=services.MAX_TOKEN_DAYS)


@bp.post("/admin/users/<int:user_id>/tokens")
@roles_required("admin")
def token_issue(user_id):
    user = db.get_or_404(User, user_id)
    days = request.form.get("days", "").strip()
    outcome = page_action(lambda: services.issue_token(
        current_user, user, days=int(days) if days.isdigit() and len(days) < 6 else (None if not days else -1)))
    if outcome.ok:
        session["new_token"] = outcome.value  # shown once, on the next page, then gone
    return redirect(url_for(".user_edit", user_id=user.id))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@roles_required("admin")
def token_revoke(token_id):
    with transaction():
        row = services.revoke_token(current_user, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for(".user_edit", user_id=row.user_id))
