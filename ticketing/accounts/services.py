"""Creating and changing organizations, users and API tokens: one audit entry per change, filed under the
organization it concerns (so that organization's own chain shows who may act in its name); for a user of no
organization, under the acting user's."""
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, String, bindparam, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import Invalid, NotFound
from ..extensions import as_loaded, db
from ..i18n import MAX_NAME, name_problems
from ..promptpay import normalise_target
from ..rawsql import Statement
from ..timeutil import utcnow
from .models import ORG_KINDS, ROLES, ApiToken, Organization, User, UserRole

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cft_"
#: the longest life a token can be given, in days
MAX_TOKEN_DAYS = 3650
#: a token's ``last_used_at`` is written at most this often
LAST_USED_EVERY = timedelta(minutes=1)


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
    errors.update(name_problems(name_th, name_en))
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
                 "organization", org.id, before, _org_snapshot(org), organization_id=org.id)
    return org


def member_organizations() -> list[Organization]:
    """The active member organizations (not the central fund), in their set order."""
    return list(db.session.scalars(select(Organization).where(
        Organization.kind == "member", Organization.active.is_(True)).order_by(Organization.position, Organization.id)))


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
    if len((display_name or "").strip()) > MAX_NAME:
        errors["display_name"] = _("At most %(n)d characters.", n=MAX_NAME)
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    before = _user_snapshot(user) if user else None
    if user is None:
        user = User(username=username, session_generation=0)
        db.session.add(user)
    elif password or not active or set(roles) != user.roles or organization_id != user.organization_id:
        # A new password, other rights or a deactivated account: whoever is signed in as this user
        # (maybe with a stolen cookie) must sign in again, under the new terms.
        end_sessions(user)
    user.username, user.display_name, user.active = username, display_name.strip(), active
    user.organization_id = organization_id
    if password:
        user.password_hash = generate_password_hash(password)
    user.role_rows = [r for r in user.role_rows if r.role in roles]
    user.role_rows += [UserRole(role=r) for r in sorted(set(roles) - user.roles)]
    db.session.flush()
    after = _user_snapshot(user)
    audit.record(actor, "user.create" if before is None else "user.update", "user", user.id,
                 before, after, organization_id=user.organization_id)
    if before and before["organization_id"] not in (None, user.organization_id):
        # moved out: the organization it leaves keeps the record too
        audit.record(actor, "user.update", "user", user.id, before, after, organization_id=before["organization_id"])
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` on every device: cookies of the old generation sign nobody in
    (``User.get_id`` and the user loader in ``accounts.views``). One conditional update, so two
    requests ending sessions at once both count."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_generation=User.session_generation + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["session_generation"])


@cache
def _dummy_hash() -> str:
    """A password hash made with the same method and cost as real ones, to check against when the
    username is unknown: a wrong username then costs the time a wrong password does."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User | None:
    """The user with this name, in any capitals (a tablet capitalises the first letter), and password.
    Every attempt checks one password hash, so the time taken does not tell which usernames exist."""
    name = username.strip()
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:  # usernames differing only in case are refused by save_user, so this is one user
        user = db.session.scalars(select(User).where(func.lower(User.username) == name.lower())
                                  .order_by(User.id)).first()
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not user.active or not matches:
        return None
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(actor, user: User, *, days: int | None = None) -> str:
    """Create an API token for ``user`` and return it; it cannot be shown again. With ``days`` it
    stops working that many days from now; without, it works until revoked."""
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS):
        raise Invalid(_("A token is valid for 1 to %(n)d days, or until revoked.", n=MAX_TOKEN_DAYS),
                      details={"days": _("Give a number of days from 1 to %(n)d, or leave it empty.",
                                         n=MAX_TOKEN_DAYS)})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=days) if days else None
    row = ApiToken(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12], expires_at=expires_at)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "token.issue", "api_token", row.id, None,
                 {"user_id": user.id, "prefix": row.prefix,
                  "expires_at": expires_at.isoformat() if expires_at else None},
                 organization_id=user.organization_id)
    return token


def change_own_password(user: User, current: str, new: str, repeated: str) -> User:
    """A user changes their own password: the current one is asked first. Every session of the user
    ends (the caller signs the one it serves in again)."""
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current"] = _("This is not your current password.")
    if len(new or "") < MIN_PASSWORD:
        errors["new"] = _("The password needs at least %(n)d characters.", n=MIN_PASSWORD)
    elif new == current:
        errors["new"] = _("Choose a password other than the current one.")
    elif new != repeated:
        errors["repeated"] = _("The two new passwords differ.")
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    user.password_hash = generate_password_hash(new)
    end_sessions(user)
    audit.record(user, "user.password", "user", user.id, None, {"by": "self"})
    return user


def revoke_token(actor, token_id: int, *, owner_id: int | None = None) -> ApiToken:
    """Revoke a token; with ``owner_id``, only a token of that user (a user revoking their own)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (owner_id is not None and row.user_id != owner_id):
        raise NotFound(_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        owner = db.session.get(User, row.user_id)
        audit.record(actor, "token.revoke", "api_token", row.id, None, {"user_id": row.user_id},
                     organization_id=owner.organization_id)
    return row


@cache
def _token_user_query():
    """The user of an unrevoked token (parameter ``token_hash``), one row per role, with the token's id,
    expiry and last use: Core, built once. ``user_for_token`` makes the User from the row itself, which
    costs a fraction of the ORM's loading of a user with its roles (every API request signs in)."""
    tokens = ApiToken.__table__
    return Statement(_user_with_roles(tokens.c.id.label("token_id"), tokens.c.expires_at, tokens.c.last_used_at)
                     .join_from(User.__table__, tokens, tokens.c.user_id == User.__table__.c.id)
                     .where(tokens.c.token_hash == bindparam("token_hash", type_=String),
                            tokens.c.revoked_at.is_(None)))


@cache
def _session_user_query():
    """A user (parameter ``user_id``) with one row per role: Core, built once, for ``user_for_session``."""
    return Statement(_user_with_roles().where(User.__table__.c.id == bindparam("user_id", type_=Integer)))


def _user_with_roles(*extra):
    """Every column of a user, one row per role (``role`` None for a user without roles), and ``extra``:
    the rows ``_user_from_rows`` makes the User from."""
    users, roles = User.__table__, UserRole.__table__
    return select(*users.c, roles.c.role, *extra).select_from(
        users.outerjoin(roles, roles.c.user_id == users.c.id))


def user_for_session(user_id: int, generation: int) -> User | None:
    """The user a session cookie names, while the cookie's generation is the user's current one.

    Every page and every tablet's once-a-second map poll signs in this way: one statement that reads the
    user with the roles, made into the User without the ORM's loading (which took two queries, the user
    and then its roles, and was half of a poll's CPU: bench/polling.py)."""
    if not 0 < user_id < 2**31:  # the column's range (the cookie is signed: only a key leak could put one here)
        return None
    rows = _session_user_query().rows({"user_id": user_id})
    if not rows or rows[0].session_generation != generation:
        return None
    return _user_from_rows(rows)


def _loaded(model, values: dict):
    """The ``model`` object of this row as a query would hand it over: the session's own one refreshed
    from ``values`` if the session holds it, else a new one made persistent without a query."""
    mapper = model.__mapper__
    key = db.session.identity_key(model, tuple(values[c.key] for c in mapper.primary_key))
    known = db.session.identity_map.get(key)
    if known is None:
        known = model(**values)
        as_loaded(known)
    else:
        for name, value in values.items():
            set_committed_value(known, name, value)
    return known


def _user_from_rows(rows) -> User:
    """The User with its roles that ``_token_user_query``'s or ``_session_user_query``'s rows describe, as if
    a query had loaded it."""
    first = rows[0]
    user = _loaded(User, {column.key: getattr(first, column.name) for column in User.__table__.c})
    set_committed_value(user, "role_rows", [_loaded(UserRole, {"user_id": user.id, "role": row.role})
                                            for row in rows if row.role is not None])
    return user


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked, unexpired token, or None. Notes the token's use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    # One query: the token's user and the user's roles.
    rows = _token_user_query().rows({"token_hash": _hash_token(token)})
    if not rows:
        return None
    first, now = rows[0], utcnow()
    if not first.active or (first.expires_at is not None and first.expires_at <= now):
        return None
    if first.last_used_at is None or now - first.last_used_at >= LAST_USED_EVERY:
        _note_use(first.token_id, now)
    return _user_from_rows(rows)


def _note_use(token_id: int, now: datetime) -> None:
    """Write a token's ``last_used_at``, at most once per ``LAST_USED_EVERY`` (the sale path stays short).

    On a connection of its own, committed at once: a GET answers without committing, and a sale must
    not wait for it. The condition lets only one of several requests arriving together write."""
    table = ApiToken.__table__
    with db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == token_id, or_(
            table.c.last_used_at.is_(None), table.c.last_used_at <= now - LAST_USED_EVERY)).values(last_used_at=now))
