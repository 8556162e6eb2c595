"""Shared form helpers."""
from flask import flash
from flask_babel import get_translations, gettext, ngettext
from flask_wtf import FlaskForm

from .errors import ServiceError


def apply_service_error(form, err: ServiceError) -> None:
    """Show a refused action on the form: field errors beside their fields, the rest flashed."""
    unplaced = []
    for name, message in err.details.items():
        if not isinstance(message, str):  # e.g. a list of seat ids, for the API
            continue
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            unplaced.append(message)
    said = [err.message]
    for message in unplaced:  # details often repeat the message: say each thing once
        if not any(message in earlier for earlier in said):
            said.append(message)
    flash(" ".join(said), "error")


class BabelMessages:
    """WTForms' own messages ("This field is required.") from our catalogue, so they read in Thai: WTForms
    ships no Thai. Their Thai is in translations/th with the rest (listed by ``_wtforms_messages`` below).
    Returned untouched: WTForms fills in its own %(min)d and the like."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


BABEL_MESSAGES = BabelMessages()


def use_our_messages_for_wtforms() -> None:
    """Every FlaskForm's Meta asks ``BABEL_MESSAGES`` (create_app calls this once)."""
    FlaskForm.Meta.get_translations = lambda self, form: BABEL_MESSAGES


def _wtforms_messages():  # never called: it lists WTForms' messages for `pybabel extract`
    return [
        gettext("This field is required."), gettext("Invalid input."), gettext("Invalid email address."),
        gettext("Not a valid choice."), gettext("Not a valid integer value."), gettext("Not a valid decimal value."),
        gettext("Not a valid float value."), gettext("Not a valid date value."),
        gettext("Not a valid datetime value."), gettext("Not a valid time value."),
        gettext("Invalid Choice: could not coerce."), gettext("Choices cannot be None."),
        gettext("Invalid value, must be one of: %(values)s."), gettext("Invalid value, can't be any of: %(values)s."),
        gettext("Number must be at least %(min)s."), gettext("Number must be at most %(max)s."),
        gettext("Number must be between %(min)s and %(max)s."), gettext("Invalid URL."),
        gettext("Field must be between %(min)d and %(max)d characters long."),
        gettext("Field must be equal to %(other_name)s."),
        ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1),
        ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1),
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", 1),
    ]
