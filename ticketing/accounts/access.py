"""Who may do what (DESIGN.md invariant 5). One function per question, used by the pages, the API and
the exports alike; views never write an access rule out by hand.

The questions take the facts they need (an organization id, an order or shift with its
``organization_id`` / ``user_id``) so that this package depends on nothing above it."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Let the view run only for a logged-in user with one of ``roles`` (403 otherwise)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def sees_all_organizations(user) -> bool:
    """Treasurers and admins see every organization's sales and money."""
    return user.has_role("admin", "treasurer")


def organization_scope(user) -> int | None:
    """Whose figures ``user`` may see: None for all organizations, else its own organization's id.

    Raises PermissionError for a user who may see no organization's money (gate staff, or a seller
    without an organization), so the caller cannot mistake "nobody's" for "everybody's"."""
    if sees_all_organizations(user):
        return None
    if user.has_role("seller") and user.organization_id:
        return user.organization_id
    raise PermissionError("no organization to show")


def may_see_organization(user, organization_id: int | None) -> bool:
    """May ``user`` see this organization's statement, orders and money?"""
    try:
        scope = organization_scope(user)
    except PermissionError:
        return False
    return scope is None or scope == organization_id


def may_see_order(user, order) -> bool:
    """Orders are seen by their selling organization's sellers, treasurers and admins; gate staff
    verify ticket codes but do not read orders."""
    return may_see_organization(user, order.organization_id)


def may_change_order(user, order) -> bool:
    """Void, refund, resend: the selling organization's sellers and admins (treasurers only read)."""
    if user.has_role("admin"):
        return True
    return user.has_role("seller") and bool(user.organization_id) and user.organization_id == order.organization_id


def may_see_shift(user, shift) -> bool:
    """A shift report is its seller's; treasurers and admins see all of them."""
    return sees_all_organizations(user) or shift.user_id == user.id


def may_receive_shift_cash(user) -> bool:
    """Marking a closed shift's cash as received is the treasurer's act."""
    return user.has_role("treasurer")


def may_scan(user) -> bool:
    """Gate staff (and admins) scan tickets; sellers and treasurers do not admit anyone."""
    return user.has_role("gate", "admin")
