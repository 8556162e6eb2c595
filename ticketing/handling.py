"""One request, one transaction, one place.

Every state-changing request (a page's form, the counter's JSON calls, the API) runs its work through
this module: parse and check access first, call the service, commit once, and only then do side
effects (e-mail, redirects). A :class:`~ticketing.errors.ServiceError` rolls the whole request back;
a page shows it as a flashed message (field messages beside their fields), the API as its documented
JSON error (``api.register_api`` turns it into the body). Views never call ``db.session.commit()``.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import flash
from flask_babel import gettext as _

from .errors import Invalid, ServiceError
from .extensions import db
from .forms import apply_service_error


@contextmanager
def transaction():
    """Commit once when the block ends; roll back on any error and let it propagate."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def commits(view: Callable) -> Callable:
    """For a JSON view (API or a page's fetch call): the whole view is one transaction. Put it
    innermost, under flask-smorest's decorators, so the commit comes before the answer is written."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        with transaction():
            return view(*args, **kwargs)
    return wrapped


@dataclass
class Outcome:
    """What a page action came to: ``value`` on success, ``error`` (already flashed) on refusal."""
    value: Any = None
    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status if self.error else 200


def page_action(action: Callable[[], Any], *, form=None, success: str | Callable[[Any], str] | None = None,
                errors: dict | None = None) -> Outcome:
    """Run one step of a page's POST: the form's CSRF token and validators (when ``form`` is given),
    then ``action()``, then one commit, then flash ``success`` (text, or a function of the result).

    On a ServiceError everything is rolled back and the error is flashed; its field messages go onto
    ``form``'s fields and into ``errors`` (for pages whose fields are not WTForms fields)."""
    try:
        with transaction():
            if form is not None and not form.validate_on_submit():
                if "csrf_token" in form.errors or not form.errors:
                    raise ServiceError(_("The form expired; please try again."))
                raise Invalid(_("Some values are wrong; see the marked fields."))
            value = action()
    except ServiceError as err:
        apply_service_error(form, err)
        if errors is not None:
            errors.update({k: v for k, v in err.details.items() if isinstance(v, str)})
        return Outcome(error=err)
    if success:
        flash(success(value) if callable(success) else success, "success")
    return Outcome(value=value)
