"""Login, language switch, and the admin pages for organizations, users and API tokens."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..handling import page_action, transaction
from ..i18n import LANG_COOKIE, LANGUAGES, localized
from . import services
from .access import roles_required
from .forms import LoginForm, OrganizationForm, UserForm
from .models import ApiToken, Organization, User

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return services.user_for_token(header[7:].strip())
    return None


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    resp = redirect(_safe_next(request.args.get("next")))
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
        return redirect(url_for(".users"))
    tokens = []
    if user:
        tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                    .order_by(ApiToken.created_at.desc())).all()
    return render_template("accounts/user_edit.html", form=form, user=user, tokens=tokens,
                           new_token=session.pop("new_token", None))


@bp.post("/admin/users/<int:user_id>/tokens")
@roles_required("admin")
def token_issue(user_id):
    user = db.get_or_404(User, user_id)
    with transaction():
        token = services.issue_token(current_user, user)
    session["new_token"] = token  # shown once, on the next page, then gone
    return redirect(url_for(".user_edit", user_id=user.id))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@roles_required("admin")
def token_revoke(token_id):
    with transaction():
        row = services.revoke_token(current_user, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for(".user_edit", user_id=row.user_id))
