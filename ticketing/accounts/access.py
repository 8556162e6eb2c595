"""Who may do what (DESIGN.md invariant 5). Views and the API use these, never ad-hoc checks."""
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
    return user.has_role("admin", "treasurer")
