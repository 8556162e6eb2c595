"""Creating and changing organizations, users and API tokens (one audit entry per change)."""
import hashlib
import re
import secrets
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import Invalid, NotFound
from ..extensions import db
from ..promptpay import normalise_target
from ..timeutil import utcnow
from .models import ORG_KINDS, ROLES, ApiToken, Organization, User, UserRole

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cft_"


ORG_FIELDS = ("code", "kind", "name_th", "name_en", "is_example", "active", "position", "promptpay_id",
              "transfer_custody")


def _org_snapshot(org: Organization) -> dict:
    return {k: getattr(org, k) for k in ORG_FIELDS}


def save_organization(actor, org: Organization | None, *, code: str, kind: str, name_th: str,
                      name_en: str, is_example: bool = False, active: bool = True,
                      position: int | None = None, promptpay_id: str = "",
                      transfer_custody: str = "central") -> Organization:
    """Create (org=None) or update an organization."""
    code, promptpay_id = code.strip(), (promptpay_id or "").strip()
    errors = {}
    if promptpay_id:
        try:
            normalise_target(promptpay_id)
        except ValueError:
            errors["promptpay_id"] = _("A PromptPay ID is a 10-digit phone number, a 13-digit ID or a 15-digit e-wallet ID.")
    if transfer_custody not in ("own", "central"):
        errors["transfer_custody"] = _("Choose where transfers and PromptPay payments go.")
    if not CODE_RE.match(code):
        errors["code"] = _("Use 1-40 lower-case letters, digits, - or _.")
    elif db.session.scalar(select(Organization.id).where(Organization.code == code,
                                                         Organization.id != getattr(org, "id", None))):
        errors["code"] = _("Another organization already uses this code.")
    if kind not in ORG_KINDS:
        errors["kind"] = _("Unknown kind of organization.")
    elif kind == "central" and db.session.scalar(select(Organization.id).where(
            Organization.kind == "central", Organization.id != getattr(org, "id", None))):
        errors["kind"] = _("There is already a central fund account.")
    if not name_th.strip():
        errors["name_th"] = _("A Thai name is required.")
    if not name_en.strip():
        errors["name_en"] = _("An English name is required.")
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    before = _org_snapshot(org) if org else None
    if org is None:
        if position is None:
            position = (db.session.scalar(select(db.func.max(Organization.position))) or 0) + 1
        org = Organization()
        db.session.add(org)
    org.code, org.kind, org.name_th, org.name_en = code, kind, name_th.strip(), name_en.strip()
    org.is_example, org.active = is_example, active
    org.promptpay_id, org.transfer_custody = promptpay_id, transfer_custody
    if position is not None:
        org.position = position
    db.session.flush()
    audit.record(actor, "organization.create" if before is None else "organization.update",
                 "organization", org.id, before, _org_snapshot(org))
    return org


def _user_snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "active": user.active,
            "organization_id": user.organization_id, "roles": sorted(user.roles)}


def save_user(actor, user: User | None, *, username: str, roles: list[str], organization_id: int | None,
              display_name: str = "", password: str | None = None, active: bool = True) -> User:
    """Create (user=None) or update a user. A new user needs a password; an update may keep it."""
    username = username.strip()
    errors = {}
    if not USERNAME_RE.match(username):
        errors["username"] = _("Use 2-80 letters, digits, '.', '-' or '_'.")
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower(),
                                                 User.id != getattr(user, "id", None))):
        errors["username"] = _("This username is taken.")  # also in other capitals: sign-in ignores case
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        errors["roles"] = _("Choose at least one role among admin, treasurer, seller and gate.")
    org = db.session.get(Organization, organization_id) if organization_id else None
    if organization_id and org is None:
        errors["organization_id"] = _("Unknown organization.")
    elif "seller" in roles and (org is None or org.kind != "member"):
        errors["organization_id"] = _("A seller must belong to one of the member organizations.")
    if user is None and not password:
        errors["password"] = _("A password is required.")
    if password and len(password) < MIN_PASSWORD:
        errors["password"] = _("The password needs at least %(n)d characters.", n=MIN_PASSWORD)
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    before = _user_snapshot(user) if user else None
    if user is None:
        user = User(username=username)
        db.session.add(user)
    user.username, user.display_name, user.active = username, display_name.strip(), active
    user.organization_id = organization_id
    if password:
        user.password_hash = generate_password_hash(password)
    user.role_rows = [r for r in user.role_rows if r.role in roles]
    user.role_rows += [UserRole(role=r) for r in sorted(set(roles) - user.roles)]
    db.session.flush()
    audit.record(actor, "user.create" if before is None else "user.update", "user", user.id,
                 before, _user_snapshot(user))
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user with this name, in any capitals (a tablet capitalises the first letter), and password."""
    name = username.strip()
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:  # usernames differing only in case are refused by save_user, so this is one user
        user = db.session.scalars(select(User).where(func.lower(User.username) == name.lower())
                                  .order_by(User.id)).first()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(actor, user: User) -> str:
    """Create an API token for ``user`` and return it; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12])
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "token.issue", "api_token", row.id, None, {"user_id": user.id, "prefix": row.prefix})
    return token


def revoke_token(actor, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(actor, "token.revoke", "api_token", row.id, None, {"user_id": row.user_id})
    return row


@cache
def _token_user_query():
    """The user of an unrevoked token (parameter ``token_hash``) with its roles: built once, and loading
    the user alone (not the token as well), which halves the cost of every API request's sign-in."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash", type_=String), ApiToken.revoked_at.is_(None))
            .options(joinedload(User.role_rows)))


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    # One query: the token's user and the user's roles.
    user = db.session.execute(_token_user_query(), {"token_hash": _hash_token(token)}).unique().scalar()
    if user is None or not user.active:
        return None
    return user
